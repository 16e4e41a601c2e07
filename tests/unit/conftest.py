"""Unit tests run on in-memory fakes: no AWS and no sockets (a test that opens one fails)."""

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_sockets() -> Iterator[None]:
    disable_socket()
    yield
    enable_socket()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/unit" in str(item.path):
            item.add_marker(pytest.mark.unit)
