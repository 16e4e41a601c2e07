"""`Idempotency-Key` for POST /orders, on powertools Idempotency (docs/design.md, §6).

The record is keyed on (customer, key) so two customers never share one, kept 24 h; the request
body is the validation payload, so the same key with another body is refused. Only successful
results are stored: a failed attempt can be retried with the same key.

The record's key is `KEY_PREFIX#<hash of [customer, key]>`, the same in every function (not
powertools' default, which starts with the Lambda's own name), so erasure, in staff_api, can
delete a customer's records by key (P6) without a Scan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from atelier.adapters.sdk_errors import translated_errors
from atelier.domain.errors import ConflictError, ServiceUnavailableError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb.client import DynamoDBClient

KEEP_SECONDS = 24 * 60 * 60
KEY_PREFIX = "atelier.orders.create"

_config = IdempotencyConfig(
    event_key_jmespath="[customer_id, idempotency_key]",
    payload_validation_jmespath="body",
    expires_after_seconds=KEEP_SECONDS,
    raise_on_no_idempotency_key=True,
)


def idempotency_store(table_name: str, client: DynamoDBClient) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)


def _perform(request: dict[str, Any], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return work()


def _request(customer_id: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"customer_id": customer_id, "idempotency_key": key, "body": body}


class _Erased(Exception):
    """Why a record is deleted, for powertools' debug line (it names no customer)."""


class PowertoolsIdempotencyRecords:
    """The IdempotencyRecords port: powertools Idempotency on one persistence layer, every
    record keyed (customer, key) under KEY_PREFIX."""

    def __init__(self, store: DynamoDBPersistenceLayer) -> None:
        self._store = store

    def run_once(
        self,
        *,
        customer_id: str,
        key: str,
        body: dict[str, Any],
        work: Callable[[], dict[str, Any]],
        lambda_context: LambdaContext | None = None,
    ) -> dict[str, Any]:
        """`work()`'s result, computed at most once per (customer, key) within 24 h."""
        if lambda_context is not None:
            _config.register_lambda_context(lambda_context)
        once = idempotent_function(
            _perform,
            data_keyword_argument="request",
            persistence_store=self._store,
            config=_config,
            key_prefix=KEY_PREFIX,
        )
        request = _request(customer_id, key, body)
        try:
            result: dict[str, Any] = once(request=request, work=work)
        except IdempotencyValidationError as exc:
            raise ConflictError(
                "This Idempotency-Key was used for a different request; use a new key.",
                code="IDEMPOTENCY_KEY_REUSED",
            ) from exc
        except IdempotencyAlreadyInProgressError as exc:
            raise ConflictError(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                code="REQUEST_IN_PROGRESS",
            ) from exc
        except IdempotencyPersistenceLayerError as exc:
            raise ServiceUnavailableError(
                "Could not record the Idempotency-Key; try again shortly."
            ) from exc
        return result

    def forget(self, customer_id: str, key: str) -> None:
        self._store.configure(_config, key_prefix=KEY_PREFIX)
        with translated_errors("forget_idempotency_record"):
            # The body only validates a replay; the record's key is (customer, key) alone.
            self._store.delete_record(
                data=_request(customer_id, key, {}), exception=_Erased("personal data erased")
            )
