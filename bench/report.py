"""Plain-text tables and the BUDGET lines a script can read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    name: str
    measured: str
    limit: str
    passed: bool

    def line(self) -> str:
        """`BUDGET <name> <measured> <limit> PASS|FAIL`: four tokens after BUDGET, no spaces."""
        verdict = "PASS" if self.passed else "FAIL"
        return f"BUDGET {self.name} {self.measured} {self.limit} {verdict}"


class Table:
    def __init__(self, *headers: str) -> None:
        self.headers = headers
        self.rows: list[tuple[str, ...]] = []

    def add(self, *cells: str) -> None:
        if len(cells) != len(self.headers):
            raise ValueError(f"{len(cells)} cells for {len(self.headers)} columns")
        self.rows.append(cells)

    def render(self) -> str:
        """A Markdown table (aligned, so it also reads as plain text)."""
        widths = [
            max(len(cell) for cell in column)
            for column in zip(self.headers, *self.rows, strict=True)
        ]

        def line(cells: tuple[str, ...]) -> str:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

        rule = "| " + " | ".join("-" * w for w in widths) + " |"
        return "\n".join([line(self.headers), rule, *(line(row) for row in self.rows)])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def us(microseconds: float) -> str:
    return f"{microseconds:,.0f}"


def kib(size: int) -> str:
    return f"{size / 1024:,.0f}"
