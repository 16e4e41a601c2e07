"""The local stack over a developer's day: it stops when told however it is told, keeps its
state across a restart when asked to, answers requests sent at once, and keeps delivering
events after a transaction fails inside the emulator."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local.launcher import RunningStack, StackFailed, start_stack
from tests.e2e.conftest import call, pay_in_sandbox, place_ring, token_for

STOP_BUDGET_S = 5.0


def _stopped_within(process: Any, seconds: float) -> float:
    started = time.monotonic()
    try:
        process.wait(timeout=seconds + 5)
    except Exception:
        process.kill()
        process.wait()
        raise
    return time.monotonic() - started


@pytest.mark.parametrize(
    ("signals", "to_group"),
    [
        ([signal.SIGINT], False),  # Ctrl-C
        ([signal.SIGINT, signal.SIGINT, signal.SIGINT], False),  # Ctrl-C, impatiently
        ([signal.SIGTERM] * 5, True),  # kill -TERM to the process group, again and again
    ],
    ids=["ctrl-c", "ctrl-c-three-times", "group-kill-five-times"],
)
def test_any_number_of_stop_signals_stop_the_stack_within_5_seconds(
    signals: list[signal.Signals], to_group: bool
) -> None:
    running = start_stack(60, new_session=to_group)
    token = token_for(running, "stopper")
    assert place_ring(running, token).status == 201
    started = time.monotonic()
    for sent in signals:
        if to_group:
            os.killpg(running.process.pid, sent)
        else:
            running.process.send_signal(sent)
        time.sleep(0.01)
    _stopped_within(running.process, STOP_BUDGET_S)
    assert time.monotonic() - started <= STOP_BUDGET_S, running.output
    assert running.process.returncode == 0, running.output


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def _with_state(state_dir: Path) -> RunningStack:
    return start_stack(60, environment={"ATELIER_LOCAL_STATE": str(state_dir)})


def _stop(running: RunningStack) -> None:
    assert running.stop() == 0, running.output


def test_state_kept_across_a_stop_and_a_start(state_dir: Path) -> None:
    first = _with_state(state_dir)
    try:
        customer = token_for(first, "keeper")
        staff = token_for(first, "designer", "staff")
        paid = place_ring(first, customer).json
        assert pay_in_sandbox(first, paid).status == 200
        product = call(first, "GET", "/products/signet-ring").json
        edited = {k: v for k, v in product.items() if k != "product_id"}
        edited["name"] = "Signet Ring (kept)"
        assert call(first, "PUT", "/staff/products/signet-ring", edited, token=staff).status == 200
        assert call(first, "POST", "/_local/clock", {"advance_seconds": 3600}).status == 200
        emails_before = call(first, "GET", "/_local/outbox").json
        assert emails_before
    finally:
        _stop(first)
    assert (state_dir / "atelier-local-state.json.gz").is_file()

    second = _with_state(state_dir)
    try:
        assert "state restored from" in second.output
        order = call(second, "GET", f"/orders/{paid['order_id']}", token=customer).json
        assert order["status"] == "IN_PRODUCTION"
        assert call(second, "GET", "/products/signet-ring").json["name"] == "Signet Ring (kept)"
        assert call(second, "GET", "/_local/clock").json["offset_seconds"] == 3600
        assert call(second, "GET", "/_local/outbox").json == emails_before
        # The restarted stack delivers new events from where the first one stopped.
        placed = place_ring(second, customer).json
        outbox = call(second, "GET", "/_local/outbox").json
        assert len(outbox) == len(emails_before) + 1
        assert placed["order_id"] in outbox[0]["subject"] + outbox[0]["body"]
    finally:
        _stop(second)


def _refused(state_dir: Path) -> str:
    with pytest.raises(StackFailed) as failed:
        _with_state(state_dir)
    return str(failed.value)


def test_a_corrupt_state_is_refused_and_nothing_is_loaded(state_dir: Path) -> None:
    state_dir.mkdir()
    (state_dir / "atelier-local-state.json.gz").write_bytes(b"\x1f\x8bnot really gzip")
    output = _refused(state_dir)
    assert "is corrupt" in output and "to start afresh" in output


def test_a_state_written_by_another_version_is_refused(state_dir: Path) -> None:
    state_dir.mkdir()
    document = {"format": 1, "atelier": "0.0.1", "tables": {}}
    (state_dir / "atelier-local-state.json.gz").write_bytes(
        gzip.compress(json.dumps(document).encode())
    )
    output = _refused(state_dir)
    assert "written by Atelier 0.0.1" in output and "delete" in output


@pytest.fixture(scope="module")
def busy() -> Iterator[RunningStack]:
    running = start_stack(60)
    yield running
    running.stop()


def test_requests_sent_at_once_are_all_answered_correctly(busy: RunningStack) -> None:
    """A browser page opens a handful of requests at once."""
    token = token_for(busy, "many-tabs")
    answers: list[int] = []
    orders: list[str] = []

    def order_and_read() -> None:
        placed = place_ring(busy, token)
        answers.append(placed.status)
        orders.append(placed.json["order_id"])
        answers.append(call(busy, "GET", "/products").status)
        answers.append(call(busy, "GET", f"/orders/{placed.json['order_id']}", token=token).status)

    threads = [threading.Thread(target=order_and_read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(set(answers)) == [200, 201]
    assert len(answers) == 24 and len(set(orders)) == 8
    listed = call(busy, "GET", "/orders?limit=100", token=token).json["items"]
    assert {o["order_id"] for o in listed} >= set(orders)


def test_events_keep_flowing_after_a_transaction_fails_in_the_emulator(
    busy: RunningStack,
) -> None:
    """A cancelled transaction once left the stream reader on a dead copy of the table: no
    event, no email, ever again, and no word about it."""
    token = token_for(busy, "after-failure")
    first = place_ring(busy, token).json
    moto = re.search(r"AWS \(moto\)\s+(\S+)", busy.output)
    table = re.search(r"Table\s+AtelierTable: (\S+)", busy.output)
    assert moto and table
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=moto.group(1),
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    key = {"pk": {"S": f"ORDER#{first['order_id']}"}, "sk": {"S": "ORDER"}}
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table.group(1),
                        "Key": key,
                        "UpdateExpression": "SET probe = :x",
                        "ExpressionAttributeValues": {":x": {"S": "rolled back"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table.group(1),
                        "Key": {"pk": {"S": "ORDER#none"}, "sk": {"S": "ORDER"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "probe" not in dynamodb.get_item(TableName=table.group(1), Key=key)["Item"]

    before = call(busy, "GET", "/_local/stats").json["events_published_total"]
    second = place_ring(busy, token).json
    assert pay_in_sandbox(busy, second).status == 200
    after = call(busy, "GET", "/_local/stats").json
    assert after["events_published_total"] == before + 2  # placed, confirmed
    subjects = [e["subject"] for e in call(busy, "GET", "/_local/outbox").json[:2]]
    assert all(second["order_id"] in subject for subject in subjects)


def test_the_stack_reports_what_it_holds(busy: RunningStack) -> None:
    stats = call(busy, "GET", "/_local/stats").json
    assert stats["rss_mb"] > 0
    assert stats["stream_records_dropped"] == 0
    assert stats["stream_records_trimmed_unread"] == 0
    assert stats["bus_events_dead_lettered"] == 0
    assert any(t["items"] > 0 for t in stats["tables"].values())
