"""Swagger UI reads as a guide: every operation says what it does in a summary of its own and a
description, and every request body carries an example."""

import json

import pytest

from atelier.api.openapi import published_document

pytestmark = pytest.mark.unit

DOCUMENT = json.loads(published_document())
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]


@pytest.mark.parametrize(
    "method, path, operation", OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_P1_every_operation_has_its_own_summary_and_a_description(method, path, operation):
    summary = operation.get("summary", "")
    assert summary and path not in summary and not summary.startswith(method), summary
    assert len(operation.get("description", "")) >= 20


def test_P1_every_request_body_model_documents_a_realistic_example():
    schemas = DOCUMENT["components"]["schemas"]
    for method, path, operation in OPERATIONS:
        if "requestBody" not in operation or path == "/webhooks/payments":
            continue
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        example = schemas[ref.rsplit("/", 1)[-1]].get("examples", [None])[0]
        assert isinstance(example, dict), f"{method} {path}"
        assert "string" not in json.dumps(example), f"{method} {path}: a generated placeholder"
