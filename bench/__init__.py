"""`make bench`: cold starts, DynamoDB requests and capacity, sweep scaling, warm handler
overhead, cost per 1,000 orders and deployment size, with a BUDGET line per budget.
See docs/performance.md."""
