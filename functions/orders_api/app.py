"""orders_api: the public catalog and terms, and the customer's own orders and claims.

One resolver; each resource's routes live in their own router module beside this one.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from browse_routes import router as browse_router
from claim_routes import router as claim_router
from order_routes import router as order_router

from atelier.api.resolver import new_resolver
from atelier.entry import lambda_entry

app = new_resolver()
app.include_router(browse_router)
app.include_router(order_router)
app.include_router(claim_router)


@lambda_entry(
    needs=("idempotency_table_name", "evidence_bucket"),
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
