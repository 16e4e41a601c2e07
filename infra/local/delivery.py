"""What the local stack's event deliveries (table streams, the event bus) have in common."""

from __future__ import annotations

from typing import Any, Protocol

from infra.local.template import FunctionSpec


class Invoker(Protocol):
    def invoke(self, function: FunctionSpec, event: dict[str, Any]) -> Any: ...


class Delivery:
    """Hands pending events to functions until none are left. Called after every invocation
    (and by the background pump); a delivery's own invocations call it again, which returns at
    once: the outer loop picks up whatever they produced."""

    def __init__(self) -> None:
        self._busy = False
        self.invoker: Invoker | None = None

    def __call__(self) -> None:
        if self._busy or self.invoker is None:
            return
        self._busy = True
        try:
            while self._deliver_once():
                pass
        finally:
            self._busy = False

    def _deliver_once(self) -> bool:
        """Deliver what is pending; True when anything was."""
        raise NotImplementedError
