"""Sending email through Amazon SES (API v2), as the EmailSender port promises."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from atelier.domain.errors import DomainError, ServiceUnavailableError
from atelier.notifications.layout import Email

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client

# SES answers worth retrying later: sending rate exceeded, throttled, or SES itself failing.
_TRANSIENT = frozenset(
    {
        "TooManyRequestsException",
        "LimitExceededException",
        "Throttling",
        "ThrottlingException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServerError",
    }
)


class EmailNotSentError(DomainError):
    """SES refused the email for a reason a retry will not fix on its own (an unverified
    sender, a suspended account, a malformed address): it goes to the dead-letter queue."""

    code = "EMAIL_NOT_SENT"


@contextmanager
def translated_ses_errors() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _TRANSIENT:
            raise ServiceUnavailableError(
                "The mail service is busy; try again shortly.", details={"error_code": code}
            ) from exc
        raise EmailNotSentError(
            "The mail service refused the email.", details={"error_code": code}
        ) from exc
    except BotoCoreError as exc:  # timeouts, connection failures
        raise ServiceUnavailableError("The mail service did not answer.") from exc


class SesEmailSender:
    def __init__(self, client: SESV2Client, from_address: str) -> None:
        self._client = client
        self._from = from_address

    def send(self, email: Email) -> None:
        with translated_ses_errors():
            self._client.send_email(
                FromEmailAddress=self._from,
                Destination={"ToAddresses": [email.to]},
                Content={
                    "Simple": {
                        "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                        "Body": {
                            "Text": {"Data": email.text, "Charset": "UTF-8"},
                            "Html": {"Data": email.html, "Charset": "UTF-8"},
                        },
                    }
                },
            )
