"""Unit tests run on in-memory fakes: no AWS and no sockets (a test that opens one fails)."""

import os
from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket

# The X-Ray SDK opens a UDP socket when it is first imported, which the Tracer in
# atelier.observability does: import it here, before any test disables sockets, so no test's
# outcome depends on whether an earlier one imported it.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
import atelier.observability  # noqa: F401


@pytest.fixture(autouse=True)
def _no_sockets() -> Iterator[None]:
    disable_socket()
    yield
    enable_socket()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/unit" in str(item.path):
            item.add_marker(pytest.mark.unit)
