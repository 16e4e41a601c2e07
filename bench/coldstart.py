"""Cold start proxy: fresh interpreters importing each handler and building what its first
invocation builds, against a floor measured in the same run with the same libraries."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.env import AWS_ENVIRONMENT, ROOT, template_model
from infra.local.template import FunctionSpec

CHILD = Path(__file__).with_name("coldstart_child.py")
FLOORS = Path(__file__).with_name("floors")
# The layer's content (`ContentUri: shared/`), on sys.path after the code folder as Lambda puts
# /opt/python; floors get it too, so every target searches the same path. Without it the
# children would import whichever atelier .venv's editable install points at (another
# checkout's, in a worktree).
LAYER_DIR = ROOT / "shared"
RUNS = 10
# One function and its floor, also with nothing compiled in advance (a few runs: it is slow).
UNCOMPILED_SAMPLE = "orders_api"
UNCOMPILED_RUNS = 3

# What each function's first invocation builds in its container before it touches AWS
# (API functions: the DynamoDB client; the others: every client their handler uses).
FIRST_INVOCATION = {
    "orders_api": ("dynamodb",),
    "staff_api": ("dynamodb",),
    "payment_webhook": ("dynamodb",),
    "expiry_sweep": ("dynamodb",),
    "sla_watch": ("dynamodb",),
    "notifier": ("dynamodb", "email_sender"),
    "event_relay": ("publisher",),
    "evidence_upload": ("dynamodb", "evidence_store"),
}
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "api" or "other"
    code_dir: Path
    handler_file: Path
    handler: str
    attributes: tuple[str, ...]
    environment: Mapping[str, str]


@dataclass
class Measured:
    target: Target
    totals: list[float] = field(default_factory=list)
    imports: list[float] = field(default_factory=list)
    inits: list[float] = field(default_factory=list)
    packages_ms: dict[str, float] = field(default_factory=dict)  # self import time, grouped
    clients: list[str] = field(default_factory=list)
    atelier_modules: list[str] = field(default_factory=list)
    modules: int = 0

    @property
    def median_s(self) -> float:
        return statistics.median(self.totals)


@dataclass(frozen=True)
class ColdStartReport:
    functions: list[Measured]
    floors: dict[str, Measured]
    runs: int
    # Without bytecode caches (as the layer deploys today, with no .pyc): name -> seconds.
    uncompiled: dict[str, float] = field(default_factory=dict)

    def ratio(self, measured: Measured) -> float:
        return measured.median_s / self.floors[measured.target.kind].median_s

    def offenders(self, measured: Measured, top: int = 6) -> list[tuple[str, float]]:
        """Import time (ms, self, grouped by package) the function spends beyond its floor."""
        floor = self.floors[measured.target.kind].packages_ms
        extra = {
            package: ms - floor.get(package, 0.0) for package, ms in measured.packages_ms.items()
        }
        ranked = sorted(extra.items(), key=lambda kv: kv[1], reverse=True)
        return [(package, ms) for package, ms in ranked[:top] if ms >= 1.0]


def _lambda_environment(function: FunctionSpec | None, code_dir: Path) -> dict[str, str]:
    """What Lambda gives a function: its template variables (as deployed, no local
    overrides), the runtime's own variables and (dummy) credentials."""
    variables = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        **AWS_ENVIRONMENT,
        "LAMBDA_TASK_ROOT": str(code_dir),  # also what turns the Tracer on, as in Lambda
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    }
    # Tracing is Active in the template: keep the Tracer on, as it is in AWS.
    variables.pop("POWERTOOLS_TRACE_DISABLED", None)
    variables.pop("POWERTOOLS_METRICS_DISABLED", None)
    if function is not None:
        variables.update(function.environment)
        variables["AWS_LAMBDA_FUNCTION_NAME"] = function.function_name
        variables["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(function.memory_mb)
    else:
        variables.update({"AWS_LAMBDA_FUNCTION_NAME": "floor", "POWERTOOLS_SERVICE_NAME": "floor"})
    return variables


def targets() -> tuple[list[Target], dict[str, Target]]:
    model = template_model()
    api_functions = {route.function for route in model.routes}
    functions = []
    for spec in sorted(model.functions.values(), key=lambda f: f.name):
        handler = spec.handler.rpartition(".")[2]
        functions.append(
            Target(
                name=spec.name,
                kind="api" if spec.logical_id in api_functions else "other",
                code_dir=spec.code_dir,
                handler_file=spec.handler_file,
                handler=handler,
                attributes=FIRST_INVOCATION.get(spec.name, ("dynamodb",)),
                environment=_lambda_environment(spec, spec.code_dir),
            )
        )
    floors = {}
    for kind in ("api", "other"):
        code_dir = FLOORS / kind
        floors[kind] = Target(
            name=f"floor ({kind})",
            kind=kind,
            code_dir=code_dir,
            handler_file=code_dir / "app.py",
            handler="lambda_handler",
            attributes=(),
            environment=_lambda_environment(None, code_dir),
        )
    return functions, floors


@dataclass(frozen=True)
class ChildResult:
    import_s: float
    init_s: float
    total_s: float
    modules: int
    clients: tuple[str, ...]
    atelier_modules: tuple[str, ...]
    importtime: str  # stderr of a -X importtime run


def _run(target: Target, *, probe: bool = False, compile_all: bool = False) -> ChildResult:
    """One fresh interpreter. `compile_all`: with an empty bytecode cache, so every module is
    compiled from source, as in Lambda when a package ships without .pyc files."""
    spec = {
        "code_dir": str(target.code_dir),
        "layer_dir": str(LAYER_DIR),
        "handler_file": str(target.handler_file),
        "handler": target.handler,
        "attributes": list(target.attributes),
        "probe": probe,
    }
    command = [sys.executable]
    if probe:
        command += ["-X", "importtime"]
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as empty:
        if compile_all:
            command += ["-X", f"pycache_prefix={empty}"]
        command += ["-c", CHILD.read_text(encoding="utf-8"), json.dumps(spec)]
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            command,
            env=dict(target.environment),
            cwd=target.code_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{target.name}: cold start run failed:\n{done.stderr[-2000:]}")
    result: Any = json.loads(lines[-1].removeprefix("BENCH_RESULT "))
    return ChildResult(
        import_s=float(result["import_s"]),
        init_s=float(result["init_s"]),
        total_s=float(result["total_s"]),
        modules=int(result["modules"]),
        clients=tuple(str(c) for c in result.get("clients", ())),
        atelier_modules=tuple(str(m) for m in result.get("atelier_modules", ())),
        importtime=done.stderr if probe else "",
    )


def _packages(importtime: str) -> dict[str, float]:
    """Self import time in ms, grouped by top-level package (atelier by module)."""
    grouped: dict[str, float] = defaultdict(float)
    for line in importtime.splitlines():
        match = _IMPORT_LINE.match(line)
        if not match:
            continue
        self_us, module = int(match.group(1)), match.group(4)
        parts = module.split(".")
        group = ".".join(parts[:3]) if parts[0] == "atelier" else parts[0]
        grouped[group] += self_us / 1000
    return dict(grouped)


def run(runs: int = RUNS) -> ColdStartReport:
    functions, floors = targets()
    everything = [*floors.values(), *functions]
    measured = {t.name: Measured(t) for t in everything}
    # The -X importtime run goes first: it also fills the bytecode caches (not timed).
    for target in everything:
        result = _run(target, probe=True)
        m = measured[target.name]
        m.packages_ms = _packages(result.importtime)
        m.clients = list(result.clients)
        m.atelier_modules = list(result.atelier_modules)
        m.modules = result.modules
    for round_ in range(runs):
        # Rotate the order so no target always runs right after the same neighbour.
        shift = round_ % len(everything)
        for target in everything[shift:] + everything[:shift]:
            result = _run(target)
            m = measured[target.name]
            m.totals.append(result.total_s)
            m.imports.append(result.import_s)
            m.inits.append(result.init_s)
    pair = [floors["api"], *(t for t in functions if t.name == UNCOMPILED_SAMPLE)]
    compiled: dict[str, list[float]] = {t.name: [] for t in pair}
    for _ in range(UNCOMPILED_RUNS):  # interleaved, like the runs above
        for target in pair:
            compiled[target.name].append(_run(target, compile_all=True).total_s)
    uncompiled = {name: statistics.median(totals) for name, totals in compiled.items()}
    return ColdStartReport(
        functions=[measured[t.name] for t in functions],
        floors={kind: measured[t.name] for kind, t in floors.items()},
        runs=runs,
        uncompiled=uncompiled,
    )


def _print_self_check() -> None:  # pragma: no cover - a quick look: python -m bench.coldstart
    report = run(runs=3)
    for m in report.functions:
        print(m.target.name, f"{m.median_s * 1000:.0f} ms", f"{report.ratio(m):.2f}x")
        print("   ", report.offenders(m))


if __name__ == "__main__":  # pragma: no cover
    _print_self_check()
