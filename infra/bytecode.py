"""Compile what `sam build` produced, with the Lambda runtime's Python, and prove it complete.

`/opt` (the layer) is read-only in Lambda and `sam build` ships no `.pyc`, so without this every
cold start compiles every module it imports: 3-6x the import time (docs/performance.md). The
`.pyc` are hash-based and unchecked: Python loads them without comparing the source's
timestamp, which a deployment zip does not keep reliably; the build is made afresh each time,
so they cannot go stale.

    python3.13 -m infra.bytecode .aws-sam/build --python 3.13     # `make build` runs this

Standard library only: it runs on the runtime's interpreter, which has none of the project's
dependencies.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import py_compile
import sys
from collections.abc import Iterator
from pathlib import Path

# Byte 4-8 of a .pyc: bit 0 set = hash-based, bit 1 set = check the source's hash (PEP 552).
_HASH_BASED = 0b01
_CHECK_SOURCE = 0b10


def compile_tree(root: Path) -> bool:
    """Compile every module under `root` for this interpreter; False if any failed."""
    return bool(
        compileall.compile_dir(
            root,
            quiet=1,
            workers=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    )


def sources(root: Path) -> Iterator[Path]:
    return (path for path in sorted(root.rglob("*.py")) if "__pycache__" not in path.parts)


def without_bytecode(root: Path) -> list[Path]:
    """Modules under `root` with no unchecked-hash .pyc for this interpreter."""
    missing = []
    for source in sources(root):
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.is_file() or _flags(cached) != _HASH_BASED:
            missing.append(source)
    return missing


def _flags(pyc: Path) -> int:
    with pyc.open("rb") as handle:
        header = handle.read(8)
    return int.from_bytes(header[4:8], "little") & (_HASH_BASED | _CHECK_SOURCE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the build folder (.aws-sam/build)")
    parser.add_argument("--python", required=True, help="the runtime's version, e.g. 3.13")
    args = parser.parse_args(argv)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != args.python:
        print(f"bytecode: the runtime is Python {args.python}, this is {running}", file=sys.stderr)
        return 2
    if not args.root.is_dir():
        print(f"bytecode: {args.root} is not a folder; run sam build first", file=sys.stderr)
        return 2
    compiled = compile_tree(args.root)
    missing = without_bytecode(args.root)
    for source in missing[:20]:
        print(f"bytecode: not compiled: {source}", file=sys.stderr)
    if not compiled or missing:
        print(f"bytecode: {len(missing)} module(s) without bytecode", file=sys.stderr)
        return 1
    count = sum(1 for _ in sources(args.root))
    print(f"bytecode: {count} modules compiled for Python {running} under {args.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
