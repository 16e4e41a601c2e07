"""ISO 3166-1 alpha-2 country codes, from the `tzdata` package the layer already ships.

tzdata's `iso3166.tab` is the tz database's table of every officially assigned alpha-2 code
(249, kept current with ISO/TC 46 by the tz maintainers) and is released with each tzdata
update, which this project already takes for the shop's time zone. Read once, on first use
(no I/O at import time); docs/decisions.md says why this source.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def country_codes() -> frozenset[str]:
    table = resources.files("tzdata.zoneinfo").joinpath("iso3166.tab")
    rows = table.read_text(encoding="utf-8").splitlines()
    return frozenset(row.split("\t", 1)[0] for row in rows if row and not row.startswith("#"))


def is_country_code(code: str) -> bool:
    return code in country_codes()
