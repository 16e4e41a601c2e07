"""Build the one OpenAPI document for every function: `python -m infra.openapi [--check]`.

Each function's resolver describes its own routes; this merges them, swaps powertools' default
validation-error schema for the project's error shape, and marks which routes need a token
(from template.yaml, the same source API Gateway uses).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.local.inprocess import ROOT, read_template
from infra.local.runtime import import_handler, module_name_for
from infra.local.template import FunctionSpec, StackModel

OUTPUT = ROOT / "shared" / "atelier" / "api" / "openapi.json"
TITLE = "Atelier API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Customized jewelry orders: catalog, orders, payments, workshop and quality claims. "
    'Errors answered by the functions have the shape `{"error": {"code", "message", '
    '"details"}}`; answers made by API Gateway itself (401 from the JWT authorizer, 404 for an '
    'unknown route, 413, 429) keep AWS\'s `{"message": ...}`.'
)


def read_template_stack() -> StackModel:
    return read_template()[0]


def load_resolver(function: FunctionSpec) -> Any:
    """The function's powertools resolver (`app` in its handler module)."""
    import_handler(function)
    return sys.modules[module_name_for(function)].app


def _replace_refs(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {
            k: (new if k == "$ref" and v == old else _replace_refs(v, old, new))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_replace_refs(v, old, new) for v in node]
    return node


# ---------------------------------------------------------------------------- what routes answer
# The resolvers describe what each function answers on purpose; these fill in what a route also
# answers in reality, whoever answers it (the function's shared error handlers, or API Gateway
# before the function runs), so that a client (and the fuzzer) can rely on the document.

ERROR = {"$ref": "#/components/schemas/ErrorResponse"}
GATEWAY = {"$ref": "#/components/schemas/GatewayMessage"}
ERROR_OR_GATEWAY = {"anyOf": [ERROR, GATEWAY]}

# (status, description, schema): added where missing.
ANY_ROUTE = (
    (
        "429",
        "Too many requests: throttled by API Gateway (the stage's rate and burst limits), "
        'answered as `{"message": "Too Many Requests"}`. Retry with backoff.',
        GATEWAY,
    ),
    (
        "500",
        "Not handled on our side: `INTERNAL_ERROR` with a `correlation_id` to quote to "
        'support (or API Gateway\'s `{"message": "Internal Server Error"}` when the function '
        "itself failed).",
        ERROR_OR_GATEWAY,
    ),
)
WITH_A_BODY = (
    (
        "400",
        "The body is not JSON (`MALFORMED_JSON`: invalid JSON, or not UTF-8).",
        ERROR,
    ),
    (
        "413",
        'The body is over API Gateway\'s 10 MB payload quota, answered as `{"message": '
        '"Request Entity Too Large"}`.',
        GATEWAY,
    ),
)
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
# The 201 answers that say where the new resource is.
LOCATIONS = {
    ("post", "/orders"): "/orders/{order_id}",
    ("post", "/staff/products"): "/staff/products/{product_id}",
}
WEBHOOK = ("post", "/webhooks/payments")
WEBHOOK_400 = (
    "Not applied, and not to be retried: the `Stripe-Signature` header is missing or does not "
    "verify (`INVALID_SIGNATURE`), or the body is not a Stripe event (`MALFORMED_EVENT`)."
)
OPERATION_KEYS = (
    "tags",
    "summary",
    "description",
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "security",
)
STRIPE_EVENT: dict[str, Any] = {
    "title": "StripeEvent",
    "description": (
        "A Stripe event, as Stripe posts it (`checkout.session.completed`, "
        "`checkout.session.async_payment_succeeded`/`_failed`, `checkout.session.expired`, "
        "`charge.refunded`, `charge.dispute.created`, `refund.failed`, "
        "`charge.refund.updated`; other types are acknowledged and ignored). The raw bytes are "
        "what the `Stripe-Signature` header signs: any change to them is a 400."
    ),
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string"},
        "created": {"type": "integer"},
        "data": {
            "type": "object",
            "properties": {"object": {"type": "object"}},
            "required": ["object"],
        },
    },
    "required": ["id", "type", "created", "data"],
}
STRIPE_SIGNATURE = {
    "name": "Stripe-Signature",
    "in": "header",
    "required": True,
    "description": (
        '`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, by one of the current '
        "webhook secrets, at most 300 s old. Missing or not verifying: 400 "
        "`INVALID_SIGNATURE`, nothing applied."
    ),
    "schema": {"type": "string"},
}
# OpenAPI links: where an answer's ids lead. (source, status) -> {name: (target, parameters)}.
_ORDER_ROUTES_OF_A_CUSTOMER = {
    "GetOrder": ("get", "/orders/{order_id}"),
    "CancelOrder": ("post", "/orders/{order_id}/cancel"),
    "RenewCheckout": ("post", "/orders/{order_id}/checkout"),
    "ListMessages": ("get", "/orders/{order_id}/messages"),
    "PostMessage": ("post", "/orders/{order_id}/messages"),
    "AcceptSurcharge": ("post", "/orders/{order_id}/surcharge/accept"),
    "DeclineSurcharge": ("post", "/orders/{order_id}/surcharge/decline"),
    "FileClaim": ("post", "/orders/{order_id}/claims"),
}
_ORDER_ROUTES_OF_STAFF = {
    "GetOrder": ("get", "/staff/orders/{order_id}"),
    "Review": ("post", "/staff/orders/{order_id}/review"),
    "Delay": ("post", "/staff/orders/{order_id}/delay"),
    "Ship": ("post", "/staff/orders/{order_id}/ship"),
    "Deliver": ("post", "/staff/orders/{order_id}/deliver"),
    "Cancel": ("post", "/staff/orders/{order_id}/cancel"),
    "PostMessage": ("post", "/staff/orders/{order_id}/messages"),
}
_CLAIM_ROUTES = {
    "GetClaim": ("get", "/orders/{order_id}/claims/{claim_id}"),
    "RequestEvidenceUpload": ("post", "/orders/{order_id}/claims/{claim_id}/evidence"),
    "SubmitClaim": ("post", "/orders/{order_id}/claims/{claim_id}/submit"),
}


def _links_to(
    routes: dict[str, tuple[str, str]], parameters: dict[str, str]
) -> dict[str, tuple[tuple[str, str], dict[str, str]]]:
    return {name: (route, parameters) for name, route in routes.items()}


LINKS: dict[tuple[str, str, str], dict[str, tuple[tuple[str, str], dict[str, str]]]] = {
    ("post", "/orders", "201"): _links_to(
        _ORDER_ROUTES_OF_A_CUSTOMER, {"order_id": "$response.body#/order_id"}
    ),
    ("get", "/orders", "200"): _links_to(
        _ORDER_ROUTES_OF_A_CUSTOMER, {"order_id": "$response.body#/items/0/order_id"}
    ),
    ("post", "/orders/{order_id}/claims", "201"): _links_to(
        _CLAIM_ROUTES,
        {"order_id": "$response.body#/order_id", "claim_id": "$response.body#/claim_id"},
    ),
    ("get", "/products", "200"): {
        "GetProduct": (
            ("get", "/products/{product_id}"),
            {"product_id": "$response.body#/items/0/product_id"},
        )
    },
    ("get", "/staff/orders", "200"): _links_to(
        _ORDER_ROUTES_OF_STAFF, {"order_id": "$response.body#/items/0/order_id"}
    ),
    ("get", "/staff/claims", "200"): {
        "Decide": (
            ("post", "/staff/claims/{claim_id}/decision"),
            {"claim_id": "$response.body#/items/0/claim_id"},
        )
    },
    ("get", "/staff/products", "200"): {
        "ReplaceProduct": (
            ("put", "/staff/products/{product_id}"),
            {"product_id": "$response.body#/items/0/product_id"},
        )
    },
    ("post", "/staff/products", "201"): {
        "ReplaceProduct": (
            ("put", "/staff/products/{product_id}"),
            {"product_id": "$response.body#/product_id"},
        )
    },
}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def describe_reality(paths: dict[str, Any]) -> None:
    """Add what routes answer besides their own results (see the comment above), the webhook's
    body and signature header, the `Location` of new resources, and the links between routes."""
    operation_ids = {
        (method, path): operation["operationId"]
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if (method, path) == WEBHOOK:
                operation["parameters"] = [*operation.get("parameters", []), STRIPE_SIGNATURE]
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/StripeEvent"}}
                    },
                }
                responses["400"]["description"] = WEBHOOK_400
                responses.pop("422", None)  # its rule breaks are 400s (Stripe does not retry)
            elif "parameters" not in operation and "requestBody" not in operation:
                responses.pop("422", None)  # nothing to validate
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"] == "idempotency-key":
                    parameter["name"] = "Idempotency-Key"
            added = ANY_ROUTE + (WITH_A_BODY if "requestBody" in operation else ())
            for status, description, schema in added:
                if status not in responses:
                    responses[status] = _json(description, schema)
            for status in ("401", "500"):
                if status in responses:  # the function's error shape, or API Gateway's
                    responses[status]["content"]["application/json"]["schema"] = ERROR_OR_GATEWAY
            if "503" in responses:
                responses["503"]["headers"] = RETRY_AFTER
            location = LOCATIONS.get((method, path))
            if location is not None:
                responses["201"]["headers"] = {
                    "Location": {
                        "description": f"The new resource: `{location}`.",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                }
            for status, response in responses.items():
                links = LINKS.get((method, path, status))
                if links:
                    response["links"] = {
                        name: {"operationId": operation_ids[target], "parameters": parameters}
                        for name, (target, parameters) in links.items()
                    }
            operation["responses"] = dict(sorted(responses.items()))
            reordered = {key: operation[key] for key in OPERATION_KEYS if key in operation}
            reordered.update(operation)
            operation.clear()
            operation.update(reordered)


def build_document() -> dict[str, Any]:
    stack = read_template_stack()
    protected = {(route.method.lower(), route.path) for route in stack.routes if route.authorizer}
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    http_functions = {route.function for route in stack.routes}
    for function in (stack.functions[name] for name in sorted(http_functions)):
        schema = load_resolver(function).get_openapi_schema(title=TITLE, version=VERSION)
        document = schema.model_dump(mode="json", by_alias=True, exclude_none=True)
        for path, operations in document.get("paths", {}).items():
            for method in operations:
                if (method, path) in protected:
                    operations[method]["security"] = [{"bearerAuth": []}]
            paths.setdefault(path, {}).update(operations)
        schemas.update(document.get("components", {}).get("schemas", {}))

    old_ref = "#/components/schemas/HTTPValidationError"
    paths = _replace_refs(paths, old_ref, "#/components/schemas/ErrorResponse")
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    schemas["GatewayMessage"] = {
        "title": "GatewayMessage",
        "description": "An answer made by API Gateway itself, before any function runs.",
        "type": "object",
        "properties": {"message": {"type": "string"}},
        "required": ["message"],
    }
    schemas["StripeEvent"] = STRIPE_EVENT
    describe_reality(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
