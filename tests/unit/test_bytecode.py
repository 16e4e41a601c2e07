"""The deployed code ships bytecode for the runtime's Python (cold starts, docs/performance.md):
`make build` compiles what `sam build` produced with that Python, and refuses to finish if a
module is left without."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.bytecode import compile_tree, main, without_bytecode
from infra.local.cfn import load_template_file
from infra.local.template import merge_globals

ROOT = Path(__file__).resolve().parents[2]
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def package(root: Path) -> Path:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "mod.py").write_text("VALUE = 1\n")
    (root / "app.py").write_text("import pkg.sub.mod\n")
    return root


def test_every_module_gets_unchecked_hash_bytecode(tmp_path: Path) -> None:
    build = package(tmp_path)
    assert len(without_bytecode(build)) == 4

    assert compile_tree(build)

    assert without_bytecode(build) == []
    cached = Path(importlib.util.cache_from_source(str(build / "pkg" / "sub" / "mod.py")))
    flags = int.from_bytes(cached.read_bytes()[4:8], "little")
    assert flags == 0b01  # hash-based, source never checked: a zip's timestamps do not matter


def test_timestamp_bytecode_does_not_count(tmp_path: Path) -> None:
    build = package(tmp_path)
    subprocess.run(  # noqa: S603 - this interpreter, the standard library's compileall
        [sys.executable, "-m", "compileall", "-q", str(build)], check=True
    )

    assert len(without_bytecode(build)) == 4


def test_the_build_step_compiles_and_reports_a_module_it_could_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = package(tmp_path)
    (build / "broken.py").write_text("def (:\n")

    assert main([str(build), "--python", RUNNING]) == 1
    assert "broken.py" in capsys.readouterr().err
    (build / "broken.py").unlink()
    assert main([str(build), "--python", RUNNING]) == 0


def test_the_build_step_refuses_another_python_than_the_runtime(tmp_path: Path) -> None:
    assert main([str(package(tmp_path)), "--python", "2.7"]) == 2


def test_make_build_compiles_with_the_runtime_of_every_function_and_the_layer() -> None:
    template = load_template_file(ROOT / "template.yaml")
    resources = template["Resources"]
    function_globals = template.get("Globals", {}).get("Function", {})
    runtimes = {
        merge_globals(function_globals, r.get("Properties") or {})["Runtime"]
        for r in resources.values()
        if r.get("Type") == "AWS::Serverless::Function"
    }
    runtimes |= {
        r["Metadata"]["BuildMethod"]
        for r in resources.values()
        if r.get("Type") == "AWS::Serverless::LayerVersion"
    }
    assert len(runtimes) == 1, runtimes
    version = runtimes.pop().removeprefix("python")

    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^build:.*?\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe is not None, "no build target in the Makefile"
    steps = recipe.group(1).splitlines()
    sam = next(i for i, step in enumerate(steps) if "sam build" in step)
    compile_step = f"python{version} -m infra.bytecode .aws-sam/build --python {version}"
    assert any(compile_step in step for step in steps[sam + 1 :]), steps
