"""The one prologue every Lambda handler has: the settings it needs checked on its first
invocation, then powertools' logger context, tracing and metrics around it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from atelier.bootstrap import Container, get_container
from atelier.observability import logger, metrics, tracer

Handler = TypeVar("Handler", bound=Callable[..., Any])


def lambda_entry(
    *,
    needs: Sequence[str | tuple[str, ...]] = (),
    correlation_id_path: str | None = None,
) -> Callable[[Handler], Handler]:
    """`needs`: the settings this function cannot run without, beyond the table (a tuple: any
    one of them). A missing one fails the invocation with a ConfigurationError naming every
    missing variable, before any work, instead of at the first request that happens to reach
    it. A test compares each function's needs with what template.yaml gives it."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def checked(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
            container: Container = kwargs.get("container") or get_container()
            container.settings.require(*needs)
            return handler(event, context, *args, **kwargs)

        decorated = logger.inject_lambda_context(correlation_id_path=correlation_id_path)(
            tracer.capture_lambda_handler(metrics.log_metrics(checked))
        )
        return cast(Handler, decorated)

    return wrap
