"""Plain HTTP request and response values, so routing and event building need no socket."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # the request line's target: raw path plus query string
    headers: tuple[tuple[str, str], ...] = ()  # as received, in order, repeats kept
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    @property
    def raw_path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def raw_query(self) -> str:
        return urlsplit(self.target).query

    def header(self, name: str) -> str | None:
        """A header's values joined by "," (how API Gateway hands repeated headers on)."""
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return ",".join(values) if values else None

    def json_body(self) -> Any:
        """The body as JSON; ValueError when it is not. An empty body reads as {}."""
        if not self.body.strip():
            return {}
        return json.loads(self.body)


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def json(
        cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None
    ) -> HttpResponse:
        return cls(
            status,
            [("content-type", "application/json"), *(headers or [])],
            json.dumps(payload).encode(),
        )

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def gateway_error(status: int, message: str) -> HttpResponse:
    """An answer API Gateway makes itself: AWS's `{"message": …}` body."""
    return HttpResponse.json(status, {"message": message})


def control_error(status: int, code: str, message: str) -> HttpResponse:
    """An answer of the local control API, in the functions' error shape."""
    return HttpResponse.json(status, {"error": {"code": code, "message": message}})
