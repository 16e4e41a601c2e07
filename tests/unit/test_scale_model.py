"""The scale model of bench/scale.py: its arithmetic on lifecycles of known cost."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bench import scale

pytestmark = pytest.mark.unit


def lifecycle(partitions: dict[str, float], *, emails: int = 3, when_paid: int = 1) -> Any:
    return SimpleNamespace(
        usage=SimpleNamespace(by_index_partition=partitions),
        emails_sent=emails,
        emails_when_paid=when_paid,
        api_calls=5,
        invocations={"orders_api": 2, "notifier": 3},
    )


ORDER = {"ByCustomer CUSTOMER#c-1": 8.0, "ByStatus STATUS#PAID": 4.0, "ByDue DUE#PAYMENT": 2.0}
DESIGN = scale.DesignPoint(orders_per_day=100, busiest_hour_share=0.3, burst=5)


def limit(report: scale.ScaleReport, name: str) -> scale.Limit:
    return next(item for item in report.limits if item.name.startswith(name))


def test_a_customers_own_partition_is_never_the_hot_one() -> None:
    report = scale.analyse([lifecycle(ORDER)], DESIGN)

    assert report.hottest_partitions[0] == ("ByStatus STATUS#PAID", 4.0)
    assert all("CUSTOMER#" not in name for name, _ in report.hottest_partitions)


def test_the_partition_limit_is_its_write_units_over_the_peak_demand() -> None:
    report = scale.analyse([lifecycle(ORDER)], DESIGN)

    peak = 100 * 0.3 / 3600 * 5  # orders a second in the busiest minute
    assert limit(report, "DynamoDB").headroom == pytest.approx(1000 / (peak * 4.0))


def test_twice_the_writes_per_order_halve_the_headroom() -> None:
    doubled = {name: units * 2 for name, units in ORDER.items()}

    once = limit(scale.analyse([lifecycle(ORDER)], DESIGN), "DynamoDB").headroom
    twice = limit(scale.analyse([lifecycle(doubled)], DESIGN), "DynamoDB").headroom

    assert twice == pytest.approx(once / 2)


def test_per_order_figures_are_means_over_the_lifecycles() -> None:
    light = {"ByStatus STATUS#PAID": 2.0}
    heavy = {"ByStatus STATUS#PAID": 6.0}

    report = scale.analyse([lifecycle(light), lifecycle(heavy)], DESIGN)

    assert report.hottest_partitions == [("ByStatus STATUS#PAID", 4.0)]
    assert report.orders == 2


def test_only_the_emails_of_paying_crowd_the_busiest_minute() -> None:
    all_at_once = scale.analyse([lifecycle(ORDER, emails=3, when_paid=3)], DESIGN)
    spread = scale.analyse([lifecycle(ORDER, emails=3, when_paid=1)], DESIGN)

    assert (
        limit(spread, "SES sending rate").headroom > limit(all_at_once, "SES sending rate").headroom
    )
    # the daily quota counts every email, whenever it is sent
    assert limit(spread, "SES daily quota").headroom == pytest.approx(50_000 / 300)


def test_the_first_limit_is_the_nearest_one() -> None:
    report = scale.analyse([lifecycle(ORDER)], DESIGN)

    assert report.first.headroom == min(item.headroom for item in report.limits)
    assert report.first_dynamodb.name.startswith("DynamoDB")


def test_no_lifecycle_is_an_error_not_a_zero() -> None:
    with pytest.raises(ValueError):
        scale.analyse([], DESIGN)


def test_a_changed_index_key_bills_the_old_partition_and_the_new_one() -> None:
    from bench.capacity import IndexSpec, index_write_cost

    index = IndexSpec("ByStatus", ("gsi2pk", "gsi2sk"), "ALL")
    keys = ("pk", "sk")
    before = {"pk": {"S": "ORDER#1"}, "sk": {"S": "ORDER"}, "gsi2pk": {"S": "STATUS#A"}}
    before["gsi2sk"] = {"S": "t#1"}
    after = {**before, "gsi2pk": {"S": "STATUS#B"}}

    moved = index_write_cost(index, before, after, keys)
    placed = index_write_cost(index, None, before, keys)
    unchanged = index_write_cost(index, before, dict(before), keys)

    assert moved.partitions == (("STATUS#A", 1.0), ("STATUS#B", 1.0))
    assert placed.partitions == (("STATUS#A", 1.0),)
    assert unchanged.partitions == ()
