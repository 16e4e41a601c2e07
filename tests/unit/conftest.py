"""Unit tests run on in-memory fakes: no AWS and no sockets (a test that opens one fails)."""

import os
from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


# Nothing is traced in a unit test: the X-Ray SDK opens a UDP socket when the Tracer is first
# made, which happens at whichever test first imports atelier.observability.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")


@pytest.fixture(autouse=True)
def _no_sockets() -> Iterator[None]:
    disable_socket()
    yield
    enable_socket()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/unit" in str(item.path):
            item.add_marker(pytest.mark.unit)
