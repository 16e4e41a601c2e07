"""Typed settings, read once from the environment at cold start. The only reader of os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=1)
    idempotency_table_name: str | None = None
    customization_fee_cents: int = Field(default=1000, ge=0)
    payment_reminder_lead_hours: int = Field(default=4, ge=1, le=23)
    shop_timezone: str = "America/New_York"
    shop_holiday_country: str = "US"
    shop_closures: str = ""
    shop_cutoff: str = Field(default="17:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    payment_provider: Literal["sandbox", "stripe"] = "sandbox"
    sandbox_pay_url: str = "http://127.0.0.1:3000/_local/pay"
    # Webhook signing secrets: comma separated (several during a rotation). In AWS they live
    # in an SSM SecureString named by webhook_secret_parameter; locally, in webhook_secrets.
    event_bus_name: str = ""
    evidence_bucket: str = ""
    webhook_secrets: str = ""
    webhook_secret_parameter: str = ""
    stripe_secret_parameter: str = ""
    checkout_success_url: str = "https://shop.example.com/orders/{order_id}?paid=1"
    checkout_cancel_url: str = "https://shop.example.com/orders/{order_id}"
    # The notifier's sender (a verified SES identity) and where staff alerts go (P7, P11).
    email_from: str = ""
    staff_alert_email: str = ""


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


def load_settings(environ: Mapping[str, str]) -> Settings:
    values = {name: environ[var] for name, var in _ENVIRONMENT.items() if var in environ}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_ENVIRONMENT.get(str(err['loc'][0]), err['loc'][0])}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings(os.environ)
