"""Request and response bodies of the HTTP API, one module per consumer, so that a function
builds only the pydantic models it answers with, for a shorter cold start: `error` (every
function, the error handlers and the OpenAPI helpers), `orders` and `claims` (views both APIs
show), `customer` (orders_api), `staff` (staff_api). Stored items live in the adapters, not here.

This package imports none of its modules: import the one you need.
"""
