"""DynamoDB adapters: the single table of docs/data-model.md, by concern: `keys` (every key,
in one place), `order_items` (an order as its item), `entries` (history, due and message
items), `orders` and `products` (the repositories), `parking` (events kept for a payment not
recorded yet, and the webhook ledger).

Everything above this package sees domain objects and domain errors, never attribute maps or
botocore exceptions.
"""

from atelier.adapters.dynamodb.entries import history_to_item
from atelier.adapters.dynamodb.keys import order_key, product_key
from atelier.adapters.dynamodb.order_items import item_to_order, order_to_item
from atelier.adapters.dynamodb.orders import DynamoOrderRepository
from atelier.adapters.dynamodb.parking import LEDGER_RETENTION
from atelier.adapters.dynamodb.products import DynamoProductRepository

__all__ = [
    "LEDGER_RETENTION",
    "DynamoOrderRepository",
    "DynamoProductRepository",
    "history_to_item",
    "item_to_order",
    "order_key",
    "order_to_item",
    "product_key",
]
