"""Typed settings, read once from the environment at cold start. The only reader of os.environ.

A frozen dataclass, not a pydantic model: every function reads its settings on its cold path,
and the event-driven ones need pydantic for nothing else there (docs/decisions.md). The checks
and their messages are pydantic's, so a bad setting reads as it always did.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, Literal

PAYMENT_PROVIDERS = ("sandbox", "stripe")
_CUTOFF_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_CUTOFF = re.compile(_CUTOFF_PATTERN)
# How pydantic reads an integer from text: outer white space, a sign, ASCII digits with single
# underscores between them, and a fraction of zeros only ("2.00" is 2, "2.5" is refused).
_INTEGER = re.compile(r"([+-]?[0-9]+(?:_[0-9]+)*)(?:\.0+)?")
_NOT_AN_INTEGER = "Input should be a valid integer, unable to parse string as an integer"
# What pydantic-core trims around a number: Unicode's White_Space, which leaves out the four
# control separators U+001C-U+001F that Python's str.strip() also removes.
_WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
_WHITE_SPACE += "\u2028\u2029\u202f\u205f\u3000"


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    idempotency_table_name: str | None = None
    customization_fee_cents: int = 1000
    payment_reminder_lead_hours: int = 4
    shop_timezone: str = "America/New_York"
    shop_holiday_country: str = "US"
    shop_closures: str = ""  # none: the calendar's holidays only
    shop_cutoff: str = "17:00"
    payment_provider: Literal["sandbox", "stripe"] = "sandbox"
    sandbox_pay_url: str = "http://127.0.0.1:3000/_local/pay"
    # Webhook signing secrets: comma separated (several during a rotation). In AWS they live
    # in an SSM SecureString named by webhook_secret_parameter; locally, in webhook_secrets.
    # Settings only some functions need are None when unset; each function names the ones it
    # needs (`require`), and its first invocation fails naming any that are missing.
    event_bus_name: str | None = None
    evidence_bucket: str | None = None
    webhook_secrets: str | None = None
    webhook_secret_parameter: str | None = None
    stripe_secret_parameter: str | None = None
    checkout_success_url: str = "https://shop.example.com/orders/{order_id}?paid=1"
    checkout_cancel_url: str = "https://shop.example.com/orders/{order_id}"
    # The notifier's sender (a verified SES identity) and where staff alerts go (P7, P11).
    email_from: str | None = None
    staff_alert_email: str | None = None

    def __post_init__(self) -> None:
        problems = [
            (name, problem)
            for name, value in vars(self).items()
            if (problem := _problem(name, value))
        ]
        if problems:
            raise _invalid(problems)

    def require(self, *needs: str | tuple[str, ...]) -> None:
        """Every setting in `needs` is set (a tuple: any one of them); else one error naming
        each missing environment variable."""
        groups = [(need,) if isinstance(need, str) else need for need in needs]
        missing = [
            " or ".join(_ENVIRONMENT[name] for name in group)
            for group in groups
            if not any(getattr(self, name) for name in group)
        ]
        if missing:
            raise ConfigurationError("missing settings: " + "; ".join(missing))

    def required(self, name: str) -> str:
        """The value of a setting a caller cannot do without."""
        self.require(name)
        value: str = getattr(self, name)
        return value


# Setting name -> environment variable. Everything not listed keeps its default.
_ENVIRONMENT = {
    "table_name": "TABLE_NAME",
    "idempotency_table_name": "IDEMPOTENCY_TABLE_NAME",
    "customization_fee_cents": "CUSTOMIZATION_FEE_CENTS",
    "payment_reminder_lead_hours": "PAYMENT_REMINDER_LEAD_HOURS",
    "shop_timezone": "SHOP_TIMEZONE",
    "shop_holiday_country": "SHOP_HOLIDAY_COUNTRY",
    "shop_closures": "SHOP_CLOSURES",
    "shop_cutoff": "SHOP_CUTOFF",
    "payment_provider": "PAYMENT_PROVIDER",
    "sandbox_pay_url": "SANDBOX_PAY_URL",
    "event_bus_name": "EVENT_BUS_NAME",
    "evidence_bucket": "EVIDENCE_BUCKET",
    "webhook_secrets": "WEBHOOK_SECRETS",
    "webhook_secret_parameter": "WEBHOOK_SECRET_PARAMETER",
    "stripe_secret_parameter": "STRIPE_SECRET_PARAMETER",
    "checkout_success_url": "CHECKOUT_SUCCESS_URL",
    "checkout_cancel_url": "CHECKOUT_CANCEL_URL",
    "email_from": "EMAIL_FROM",
    "staff_alert_email": "STAFF_ALERT_EMAIL",
}
_OPTIONAL = frozenset(
    {
        "idempotency_table_name",
        "event_bus_name",
        "evidence_bucket",
        "webhook_secrets",
        "webhook_secret_parameter",
        "stripe_secret_parameter",
        "email_from",
        "staff_alert_email",
    }
)
# Bounds of the integer settings, inclusive (None: unbounded).
_INTEGERS: dict[str, tuple[int, int | None]] = {
    "customization_fee_cents": (0, None),
    "payment_reminder_lead_hours": (1, 23),
}


def load_settings(environ: Mapping[str, str]) -> Settings:
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for setting in fields(Settings):
        name = setting.name
        variable = _ENVIRONMENT.get(name)
        if variable is None or variable not in environ:
            if name == "table_name":
                problems.append((name, "Field required"))
            continue
        text = environ[variable]
        if name in _INTEGERS:
            number = _integer(text)
            if number is None:
                problems.append((name, _NOT_AN_INTEGER))
                continue
            values[name] = number
        else:
            values[name] = text
        problem = _problem(name, values[name])
        if problem:
            problems.append((name, problem))
    if problems:
        raise _invalid(problems)
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings(os.environ)


def _integer(text: str) -> int | None:
    match = _INTEGER.fullmatch(text.strip(_WHITE_SPACE))
    return int(match.group(1)) if match else None


def _problem(name: str, value: Any) -> str | None:
    """What is wrong with one setting's value, in pydantic's words; None when it is fine."""
    if name in _INTEGERS:
        if not isinstance(value, int) or isinstance(value, bool):
            return "Input should be a valid integer"
        low, high = _INTEGERS[name]
        if value < low:
            return f"Input should be greater than or equal to {low}"
        if high is not None and value > high:
            return f"Input should be less than or equal to {high}"
        return None
    if value is None and name in _OPTIONAL:
        return None
    if not isinstance(value, str):
        return "Input should be a valid string"
    if name == "table_name" and not value:
        return "String should have at least 1 character"
    if name == "shop_cutoff" and not _CUTOFF.fullmatch(value):
        # fullmatch: pydantic's "$" does not let a trailing newline through either.
        return f"String should match pattern '{_CUTOFF_PATTERN}'"
    if name == "payment_provider" and value not in PAYMENT_PROVIDERS:
        return "Input should be " + " or ".join(f"'{p}'" for p in PAYMENT_PROVIDERS)
    return None


def _invalid(problems: list[tuple[str, str]]) -> ConfigurationError:
    listed = "; ".join(f"{_ENVIRONMENT.get(name, name)}: {problem}" for name, problem in problems)
    return ConfigurationError(f"invalid settings: {listed}")
