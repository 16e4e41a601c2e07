"""Run the template's functions in this process, one invocation at a time.

moto is not thread-safe, so every invocation (and every control action that touches moto)
holds one process-wide lock: the functions see moto the way they would see DynamoDB when
requests do not race. That is also what lets the per-function `AWS_LAMBDA_*` variables be set
in the shared environment for the duration of an invocation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from pathlib import Path
from types import ModuleType
from typing import Any

from infra.local.template import FunctionSpec

log = logging.getLogger("local_stack")

Handler = Callable[[Any, Any], Any]

# One lock for the whole process; see the module docstring.
MOTO_LOCK = threading.RLock()


class FunctionLoadError(Exception):
    """A function's handler cannot be imported; the message names the file."""


class LambdaContext:
    """The attributes and method of the Python runtime's context object that code reads."""

    def __init__(self, function: FunctionSpec, request_id: str, started: float) -> None:
        self.function_name = function.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = started + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def module_name_for(function: FunctionSpec) -> str:
    """A sys.modules name unique to the handler's file: every function folder has an app.py."""
    module = function.handler.rpartition(".")[0].replace(".", "_")
    digest = hashlib.sha256(str(function.handler_file).encode()).hexdigest()[:8]
    return f"atelier_local_fn_{function.code_dir.name}__{module}_{digest}"


def import_handler(function: FunctionSpec) -> Handler:
    path = function.handler_file
    if not path.is_file():
        raise FunctionLoadError(
            f"{function.logical_id}: handler file {path} does not exist "
            f"(CodeUri {function.code_dir}, Handler {function.handler})"
        )
    name = module_name_for(function)
    module = sys.modules.get(name)
    if module is None:
        module = _import_file(name, path, function.code_dir)
    handler = getattr(module, function.handler_attribute, None)
    if not callable(handler):
        raise FunctionLoadError(
            f"{function.logical_id}: {path} has no {function.handler_attribute}"
        )
    return handler  # type: ignore[no-any-return]


def _import_file(name: str, path: Path, code_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FunctionLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before running so pydantic and dataclasses can find the module by name.
    sys.modules[name] = module
    # Lambda puts the CodeUri folder first on sys.path: sibling modules import as top level.
    sys.path.insert(0, str(code_dir))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(str(code_dir))
    return module


class FunctionHost:
    """Imports each function's handler once (its cold start) and invokes it under the lock."""

    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        *,
        lock: threading.RLock = MOTO_LOCK,
        environ: MutableMapping[str, str] | None = None,
        after_invoke: Iterable[Callable[[], None]] = (),
    ) -> None:
        self._functions = functions
        self._lock = lock
        self._environ = os.environ if environ is None else environ
        self._after_invoke = list(after_invoke)
        self._handlers: dict[str, Handler] = {}

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def warm_up(self) -> dict[str, BaseException]:
        """Import every handler now; the failures, by logical id (their routes will answer
        500 and retry the import on each request, so a fixed file is picked up)."""
        failures: dict[str, BaseException] = {}
        for function in self._functions.values():
            try:
                with self._lock:
                    self._handler(function)
            except Exception as exc:
                failures[function.logical_id] = exc
        return failures

    def invoke(self, function: FunctionSpec, event: dict[str, Any]) -> Any:
        with self._lock:
            handler = self._handler(function)
            self._set_function_variables(function)
            started = time.monotonic()
            context = LambdaContext(function, str(uuid.uuid4()), started)
            try:
                return handler(event, context)
            finally:
                elapsed = time.monotonic() - started
                if elapsed > function.timeout_s:
                    log.warning(
                        "%s ran %.1f s, over its %d s Timeout: Lambda would have stopped it",
                        function.name,
                        elapsed,
                        function.timeout_s,
                    )
                for hook in self._after_invoke:
                    hook()

    def _handler(self, function: FunctionSpec) -> Handler:
        handler = self._handlers.get(function.logical_id)
        if handler is None:
            self._set_function_variables(function)
            started = time.monotonic()
            handler = import_handler(function)
            log.info(
                "cold start: %s imported in %d ms",
                function.name,
                (time.monotonic() - started) * 1000,
            )
            self._handlers[function.logical_id] = handler
        return handler

    def _set_function_variables(self, function: FunctionSpec) -> None:
        self._environ.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
            }
        )
