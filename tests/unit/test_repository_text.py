"""What a newcomer reads is theirs to read: the product contract lives in the repository
(docs/design.md, linked from the README), and no comment or document cites an issue number of
a tracker they cannot see."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".ts", ".tsx", ".cfg", ".ini"}
CITATION = re.compile(r"\b[Ii]ssues? ?#?\d+|\(#\d+\)")
OUTSIDE = re.compile(r"\bDESIGN\.md|\.\./shared/")  # the team's notes beside the checkout


def _texts() -> Iterator[Path]:
    """The repository's own text files: what git tracks or would (not what it ignores, such
    as virtualenvs, node_modules and build output)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if path.is_file() and (path.suffix in SUFFIXES or path.name == "Makefile"):
            yield path


def _lines_matching(pattern: re.Pattern[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _texts()
        if path != Path(__file__)
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if pattern.search(line)
    ]


def test_no_comment_or_document_cites_an_issue_number() -> None:
    found = _lines_matching(CITATION)
    assert found == [], "say what is meant instead of citing an issue:\n" + "\n".join(found)


def test_nothing_points_outside_the_repository_for_the_contract() -> None:
    found = _lines_matching(OUTSIDE)
    assert found == [], "point to docs/design.md instead:\n" + "\n".join(found)


def test_the_citation_pattern_finds_what_it_should() -> None:
    assert CITATION.search("cold starts (issue 7)")
    assert CITATION.search("Issue 12 item 1: Stripe does not order events")
    assert CITATION.search("see #12 (#12)")
    assert not CITATION.search("P7's delay; the issue is the date")
    assert not CITATION.search("issued 3 tokens")


def test_the_readme_points_to_the_contract_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "../shared/" not in readme
    assert "docs/design.md" in readme
    design = (ROOT / "docs" / "design.md").read_text()
    for rule in (f"P{n}" for n in range(1, 12)):
        assert re.search(rf"\b{rule}\b", design), f"docs/design.md does not state {rule}"


MAX_MODULE_LINES = 400  # docs/architecture.md: one concern per module


def test_no_module_of_the_shared_package_outgrows_one_room() -> None:
    package = ROOT / "shared" / "atelier"
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in sorted(package.rglob("*.py"))
        if (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []
