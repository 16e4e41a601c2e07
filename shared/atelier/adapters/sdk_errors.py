"""botocore failures as domain errors, for every AWS adapter.

Apart from the DynamoDB adapter so that a function that only publishes (event_relay) does not
load the order domain with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from atelier.domain.errors import ConflictError, ServiceUnavailableError

# Errors a caller may retry after the SDK's own retries are spent.
_TRANSIENT = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)


# Why a transaction was cancelled that a retry can fix.
_TRANSIENT_CANCELLATIONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)


@contextmanager
def translated_errors(operation: str) -> Iterator[None]:
    """Turn botocore failures into domain errors; conditional failures are the caller's."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _TRANSIENT:
            raise ServiceUnavailableError(
                "The store is busy; try again shortly.", details={"operation": operation}
            ) from exc
        if code == "TransactionCanceledException":
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons:
                raise ConflictError(
                    "The order changed while this request was handled; read it and try again.",
                    code="CONCURRENT_UPDATE",
                ) from exc
            if any(r in _TRANSIENT_CANCELLATIONS for r in reasons):
                raise ServiceUnavailableError(
                    "The store is busy; try again shortly.", details={"operation": operation}
                ) from exc
        raise
    except BotoCoreError as exc:  # timeouts, connection failures
        raise ServiceUnavailableError(
            "The store did not answer; try again shortly.", details={"operation": operation}
        ) from exc


def cancellation_codes(error: BaseException) -> list[str]:
    """Per-item reasons of a cancelled transaction, in the order the items were sent."""
    cause = error.__cause__
    if isinstance(cause, ClientError):
        return [r.get("Code", "None") for r in cause.response.get("CancellationReasons", [])]
    return []
