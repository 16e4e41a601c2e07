"""The local stack, started once per test session as `make run` starts it (on free ports),
and the small HTTP client the e2e tests speak to it with."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY = "Atelier local stack ready on "
STARTUP_TIMEOUT_S = 60
CATALOG = json.loads((ROOT / "infra" / "seed" / "catalog.json").read_text())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    base_url: str = ""
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(READY):
                self.base_url = line[len(READY) :].strip()
                self.ready.set()


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    environment = {
        **os.environ,
        "ATELIER_PORT": str(free_port()),
        "MOTO_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = RunningStack(process)
    threading.Thread(target=running.read_output, daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not running.ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(
                f"the local stack did not become ready (exit code {process.returncode}):\n"
                + running.output
            )
    yield running
    process.send_signal(signal.SIGTERM)
    try:
        exit_code = process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("the local stack did not stop within 15 s of SIGTERM:\n" + running.output)
    assert exit_code == 0, f"the local stack exited with {exit_code}:\n{running.output}"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


def call(
    stack: RunningStack,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(stack.base_url + path, data, sent, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local URL
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read())


def token_for(stack: RunningStack, sub: str, *groups: str) -> str:
    reply = call(
        stack,
        "POST",
        "/_local/token",
        {"sub": sub, "email": f"{sub}@example.com", "groups": list(groups)},
    )
    assert reply.status == 200, reply.raw
    return str(reply.json["token"])
