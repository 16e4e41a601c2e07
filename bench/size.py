"""Deployment size: each function's package and the layer, zipped and unzipped.

From `.aws-sam/build` when `make build` has been run (what would be deployed), else from the
source folders (the layer then without its dependencies).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bench.env import ROOT, template_model

BUILD = ROOT / ".aws-sam" / "build"
LAYER_LOGICAL_ID = "AtelierLayer"
# Lambda's quotas: a function and all its layers unzipped, and a zip uploaded directly.
UNZIPPED_LIMIT = 250 * 1024 * 1024
_SKIP = {".pytest_cache", ".mypy_cache"}
# A build ships the .pyc `make build` compiles (infra/bytecode.py); a source folder's caches are
# this machine's, not what would be deployed.
_SKIP_IN_SOURCE = _SKIP | {"__pycache__"}


@dataclass(frozen=True)
class Package:
    name: str
    origin: str  # "sam build", "source"
    files: int
    unzipped: int
    zipped: int
    stale: bool  # the build differs from the source it was built from
    source: tuple[int, int] | None = None  # (unzipped, zipped) of the source now, if stale


@dataclass(frozen=True)
class SizeReport:
    packages: list[Package]
    built_at: str | None  # when .aws-sam/build was written, if used

    @property
    def largest_function_with_layer(self) -> int:
        layer = next((p.unzipped for p in self.packages if p.name == "layer"), 0)
        functions = [p.unzipped for p in self.packages if p.name != "layer"]
        return layer + max(functions, default=0)


def _files(folder: Path, skip: set[str] = _SKIP_IN_SOURCE) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not skip.intersection(p.relative_to(folder).parts)
    )


def _measure(name: str, folder: Path, origin: str, stale: bool) -> Package:
    files = _files(folder, _SKIP if origin == "sam build" else _SKIP_IN_SOURCE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder))
    return Package(
        name=name,
        origin=origin,
        files=len(files),
        unzipped=sum(p.stat().st_size for p in files),
        zipped=buffer.getbuffer().nbytes,
        stale=stale,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _differs(built: Path, source: Path) -> bool:
    """Any source file missing from the build or different in it."""
    for path in _files(source):
        if path.suffix not in (".py", ".json", ".txt", ".html"):
            continue
        twin = built / path.relative_to(source)
        if not twin.is_file() or _digest(twin) != _digest(path):
            return True
    return False


def run() -> SizeReport:
    model = template_model()
    packages: list[Package] = []
    for spec in sorted(model.functions.values(), key=lambda f: f.name):
        built = BUILD / spec.logical_id
        if built.is_dir():
            package = _measure(spec.name, built, "sam build", _differs(built, spec.code_dir))
            if package.stale:
                now = _measure(spec.name, spec.code_dir, "source", False)
                package = replace(package, source=(now.unzipped, now.zipped))
            packages.append(package)
        else:
            packages.append(_measure(spec.name, spec.code_dir, "source", False))
    layer_build = BUILD / LAYER_LOGICAL_ID / "python"
    shared = ROOT / "shared" / "atelier"
    if layer_build.is_dir():
        layer = _measure("layer", layer_build.parent, "sam build", False)
        if _differs(layer_build / "atelier", shared):
            built_atelier = _measure("atelier", layer_build / "atelier", "sam build", False)
            now = _measure("atelier", shared, "source", False)
            layer = replace(
                layer,
                stale=True,
                source=(
                    layer.unzipped - built_atelier.unzipped + now.unzipped,
                    layer.zipped - built_atelier.zipped + now.zipped,
                ),
            )
        packages.append(layer)
    else:
        packages.append(_measure("layer", shared, "source (atelier only)", False))
    built_at = None
    if BUILD.is_dir():
        stamp = datetime.fromtimestamp(BUILD.stat().st_mtime, UTC)
        built_at = stamp.strftime("%Y-%m-%d %H:%M UTC")
    return SizeReport(packages, built_at)
