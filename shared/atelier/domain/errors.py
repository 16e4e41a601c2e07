"""Domain errors. Each carries a stable code; `atelier.api.errors` maps the classes to HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidRequestError(DomainError):
    """The request breaks a rule (422)."""

    code = "INVALID_REQUEST"


class NotFoundError(DomainError):
    """The thing does not exist, or is not the caller's (404)."""

    code = "NOT_FOUND"


class ConflictError(DomainError):
    """The request does not fit the current state, or lost a race (409)."""

    code = "CONFLICT"


class DuplicateEventError(ConflictError):
    """A provider event that was already applied."""

    code = "DUPLICATE_EVENT"


class IllegalTransitionError(ConflictError):
    code = "ILLEGAL_TRANSITION"


class PaymentProviderRefusedError(ConflictError):
    """The payment provider refused for good (a disputed charge, a refund already made, a
    checkout whose payment never settled): asking again gets the same answer."""

    code = "PAYMENT_PROVIDER_REFUSED"


class PaymentRequestChangedError(ConflictError):
    """The provider already holds a request under this idempotency key with other details, so
    it did nothing now; never a refusal of the payment or the refund itself."""

    code = "PAYMENT_REQUEST_CHANGED"


class InvalidSignatureError(InvalidRequestError):
    """A webhook whose signature does not verify (400)."""

    code = "INVALID_SIGNATURE"


class ForbiddenError(DomainError):
    code = "FORBIDDEN"


class UnauthorizedError(DomainError):
    code = "UNAUTHORIZED"


class ServiceUnavailableError(DomainError):
    """A dependency is throttling or down; the caller may retry (503)."""

    code = "SERVICE_UNAVAILABLE"
