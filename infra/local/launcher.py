"""Start the local stack in a child process on free loopback ports, as `make run` starts it,
wait until it is ready, keep reading its output, and stop it: shared by the e2e and fuzz tests'
fixture and by `make load`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY = "Atelier local stack ready on "
READY_LINE = READY + "{url}"  # what the server prints once it serves (infra/local/server.py)


class StackFailed(RuntimeError):
    """The stack did not start, or did not stop cleanly; the message carries its output."""


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
        """Keep reading: a full pipe would block the stack on its next log line."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(READY):
                self.base_url = line[len(READY) :].strip()
                self.ready.set()

    def stop(self, timeout_s: float = 15) -> int:
        """SIGTERM, then the exit code; StackFailed if it does not stop in time."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise StackFailed(
                f"the local stack did not stop within {timeout_s:g} s of SIGTERM:\n{self.output}"
            ) from None


def start_stack(
    timeout_s: float = 60,
    *,
    environment: dict[str, str] | None = None,
    new_session: bool = False,
) -> RunningStack:
    """A fresh local stack on free ports, ready to serve; StackFailed if it is not in time.
    `environment` adds variables; `new_session` starts it as its own process group (as a
    terminal's `make run` is), so a test can signal the group."""
    process = spawn_stack(environment, new_session=new_session)
    running = RunningStack(process)
    return wait_until_ready(running, timeout_s)


def spawn_stack(
    environment: dict[str, str] | None = None, *, new_session: bool = False
) -> subprocess.Popen[str]:
    """`python -m infra.local` on free ports, its output on a pipe; not waited for."""
    variables = {
        **os.environ,
        "ATELIER_PORT": str(free_port()),
        "MOTO_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
        **(environment or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "infra.local"],
        cwd=ROOT,
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=new_session,
    )


def wait_until_ready(running: RunningStack, timeout_s: float) -> RunningStack:
    process = running.process
    threading.Thread(target=running.read_output, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while not running.ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise StackFailed(
                f"the local stack did not become ready (exit code {process.returncode}):\n"
                + running.output
            )
    return running
