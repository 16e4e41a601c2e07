"""Build the one OpenAPI document for every function: `python -m infra.openapi [--check]`.

Each function's resolver describes its own routes; this merges them, swaps powertools' default
validation-error schema for the project's error shape, and marks which routes need a token
(from template.yaml, the same source API Gateway uses).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from infra.local.cfn import Resolver, StackContext, load_template_file, parameter_values
from infra.local.runtime import import_handler, module_name_for
from infra.local.template import FunctionSpec, StackModel, read_stack

ROOT = Path(__file__).resolve().parent.parent
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
    template = load_template_file(ROOT / "template.yaml")
    resolver = Resolver(template, StackContext(), parameter_values(template, {}))
    return read_stack(template, resolver, ROOT)


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
    for operations in paths.values():
        for operation in operations.values():
            unauthorized = operation.get("responses", {}).get("401")
            if unauthorized:
                unauthorized["content"]["application/json"]["schema"] = {
                    "anyOf": [
                        {"$ref": "#/components/schemas/ErrorResponse"},
                        {"$ref": "#/components/schemas/GatewayMessage"},
                    ]
                }
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
