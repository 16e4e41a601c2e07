"""staff_api: the shop's designers and customer service (JWT with the `staff` group, checked
here: API Gateway only checks the token, so a customer's token gets a 403).

One resolver; each resource's routes live in their own router module beside this one.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from staff_catalog_routes import router as catalog_router
from staff_claim_routes import router as claim_router
from staff_order_routes import router as order_router
from staff_privacy_routes import router as privacy_router

from atelier.api import auth
from atelier.api.errors import forbidden_response
from atelier.api.resolver import new_resolver
from atelier.entry import lambda_entry

app = new_resolver()
app.include_router(order_router)
app.include_router(claim_router)
app.include_router(privacy_router)
app.include_router(catalog_router)


@lambda_entry(
    needs=("idempotency_table_name", "evidence_bucket"),
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Every route here is staff-only: refuse before the body is even validated, so a customer
    # learns nothing from this API but "forbidden". (Each route checks again.)
    if auth.STAFF_GROUP not in auth.groups_in(auth.event_claims(event)):
        return forbidden_response()
    return app.resolve(event, context)
