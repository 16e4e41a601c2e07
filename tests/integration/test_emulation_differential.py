"""moto as shipped against moto as the local stack runs it (infra/local/emulation.py): one
corpus of transactions, and everything a client can observe after each, compared.

The journal replaces moto's whole-table copies; this is the proof that nothing a function sees
changed: table contents, GSI answers, stream records and error payloads, step by step."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local import emulation
from infra.local.streams import StreamReader
from tests.integration.moto_tables import create_table, streams_client

REGION = "us-east-1"
TABLE = "differential"
INDEX = "by_status"


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def key(pk: str) -> dict[str, Any]:
    return {"pk": s(pk), "sk": s("order")}


def put(pk: str, status: str | None = "ST#NEW", **extra: Any) -> dict[str, Any]:
    item = {**key(pk), "v": n(1), **extra}
    if status is not None:
        item |= {"gpk": s(status), "gsk": s(f"t-{pk}")}
    return {"Put": {"TableName": TABLE, "Item": item}}


def update(pk: str, expression: str, values: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": key(pk),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": values,
            **more,
        }
    }


def check(pk: str, condition: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": TABLE, "Key": key(pk), "ConditionExpression": condition}
    if values:
        op["ExpressionAttributeValues"] = values
    return {"ConditionCheck": op}


def delete(pk: str, **more: Any) -> dict[str, Any]:
    return {"Delete": {"TableName": TABLE, "Key": key(pk), **more}}


SEED = [put("o1"), put("o2"), put("o3")]

# name -> the transaction's items; run in this order, each on the state the last one left.
CORPUS: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "success: put, update changing GSI keys, delete, condition check",
        [
            put("o4"),
            update("o1", "SET v = v + :one, gpk = :paid", {":one": n(1), ":paid": s("ST#PAID")}),
            delete("o3"),
            check("o2", "attribute_exists(pk)"),
        ],
    ),
    (
        "condition fails at the first item",
        [
            check("o2", "attribute_not_exists(pk)"),
            update("o1", "SET v = :x", {":x": n(100)}),
            put("o5"),
        ],
    ),
    (
        "condition fails in the middle, after a GSI key change",
        [
            update("o1", "SET gpk = :s", {":s": s("ST#SHIPPED")}),
            check("o2", "v = :wrong", {":wrong": n(42)}),
            put("o6"),
        ],
    ),
    (
        "condition fails at the last item, returning the old item",
        [
            put("o7"),
            update("o4", "SET v = :x", {":x": n(7)}),
            delete(
                "o2",
                ConditionExpression="v = :nope",
                ExpressionAttributeValues={":nope": n(9)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
        ],
    ),
    (
        "two conditions fail",
        [
            check("o2", "v = :a", {":a": n(5)}),
            put("o8"),
            check("o4", "v = :b", {":b": n(6)}),
        ],
    ),
    (
        "validation error after a write (a key of the wrong type)",
        [
            update("o1", "SET v = :x", {":x": n(9)}),
            {"Put": {"TableName": TABLE, "Item": {"pk": n(1), "sk": s("order")}}},
        ],
    ),
    (
        "validation error: a key attribute missing from a put",
        [put("o9"), {"Put": {"TableName": TABLE, "Item": {"pk": s("o10")}}}],
    ),
    (
        "two actions on one item",
        [update("o1", "SET v = :x", {":x": n(11)}), delete("o1")],
    ),
    (
        "an update that creates an item, then a failing condition",
        [
            update("o11", "SET v = :one, gpk = :n", {":one": n(1), ":n": s("ST#NEW")}),
            check("o2", "attribute_not_exists(pk)"),
        ],
    ),
    (
        "an update over the item size limit after a put",
        [put("o12"), update("o1", "SET big = :b", {":b": s("x" * 410_000)})],
    ),
    (
        "an expression attribute value that is not defined (refused before the transaction)",
        [update("o1", "SET v = :undefined", {":other": n(1)})],
    ),
    (
        "success: a GSI key removed, a delete of nothing, a put",
        [update("o2", "REMOVE gpk, gsk", {}), delete("nothing-here"), put("o13")],
    ),
    (
        "a put on an existing item with attribute_not_exists",
        [
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {**key("o2"), "v": n(2)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ],
    ),
    (
        "a table that does not exist",
        [put("o14"), {"Put": {"TableName": "no-such-table", "Item": key("x")}}],
    ),
    ("success after all the failures", [update("o1", "SET v = :x", {":x": n(20)}), put("o15")]),
]


def _without_empty_values(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An empty ExpressionAttributeValues is a client-side error in botocore; drop it."""
    cleaned = []
    for item in items:
        ((kind, op),) = item.items()
        if op.get("ExpressionAttributeValues") == {}:
            op = {k: v for k, v in op.items() if k != "ExpressionAttributeValues"}
        cleaned.append({kind: op})
    return cleaned


def _create_table(client: Any) -> str:
    return create_table(client, TABLE, index=INDEX)


def _stream_records(streams: Any, arn: str) -> list[dict[str, Any]]:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return [
        {
            "eventName": r["eventName"],
            "SequenceNumber": r["dynamodb"]["SequenceNumber"],
            "Keys": r["dynamodb"]["Keys"],
            "NewImage": r["dynamodb"].get("NewImage"),
            "OldImage": r["dynamodb"].get("OldImage"),
        }
        for r in records
    ]


def _observe(client: Any, streams: Any, arn: str) -> dict[str, Any]:
    items = client.scan(TableName=TABLE)["Items"]
    gsi = {
        status: client.query(
            TableName=TABLE,
            IndexName=INDEX,
            KeyConditionExpression="gpk = :s",
            ExpressionAttributeValues={":s": s(status)},
        )["Items"]
        for status in ("ST#NEW", "ST#PAID", "ST#SHIPPED")
    }
    partitions = {
        pk: client.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": s(pk)},
            ScanIndexForward=False,
        )["Items"]
        for pk in ("o1", "o2", "o4", "o11", "nothing-here")
    }
    count = client.describe_table(TableName=TABLE)["Table"].get("ItemCount")
    return {
        "items": sorted(items, key=lambda item: item["pk"]["S"]),
        "gsi": gsi,
        "partitions": partitions,
        "item_count": count,
        "stream": _stream_records(streams, arn),
    }


def _outcome(call: Callable[[], Any]) -> dict[str, Any]:
    try:
        call()
    except ClientError as exc:
        return {
            "error": exc.response["Error"],
            "reasons": exc.response.get("CancellationReasons"),
        }
    return {"error": None}


def run_corpus() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(step, its outcome, what a client observes after it), for the whole corpus."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        streams = streams_client()
        arn = _create_table(client)
        client.transact_write_items(TransactItems=SEED)
        observed = []
        for name, items in CORPUS:
            sent = _without_empty_values(items)
            outcome = _outcome(lambda sent=sent: client.transact_write_items(TransactItems=sent))
            observed.append((name, outcome, _observe(client, streams, arn)))
        return observed


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_the_journal_answers_every_transaction_as_moto_as_shipped_does() -> None:
    with emulation.moto_as_shipped():
        shipped = run_corpus()
    assert emulation.installed()
    journaled = run_corpus()

    assert [name for name, _, _ in journaled] == [name for name, _ in CORPUS]
    for (name, shipped_outcome, shipped_view), (_, outcome, view) in zip(
        shipped, journaled, strict=True
    ):
        assert outcome == shipped_outcome, name
        assert view == shipped_view, name
    # The corpus is what it says: successes, cancellations, and validation errors all occur.
    codes = [outcome["error"] and outcome["error"]["Code"] for _, outcome, _ in journaled]
    assert codes.count(None) >= 3
    assert "TransactionCanceledException" in codes
    assert "ValidationException" in codes
    reasons = [o["reasons"] for _, o, _ in journaled if o.get("reasons")]
    assert any(r[0]["Code"] == "ConditionalCheckFailed" for r in reasons)  # first
    assert any(r[-1]["Code"] == "ConditionalCheckFailed" and "Item" in r[-1] for r in reasons)


def test_a_cancelled_transaction_costs_what_it_touches_not_the_table() -> None:
    """moto as shipped deep-copies every table per item; the journal copies touched items."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        _create_table(client)
        for start in range(0, 300, 25):
            client.transact_write_items(
                TransactItems=[put(f"bulk-{i}") for i in range(start, start + 25)]
            )
        copies: list[str] = []
        real_deepcopy = emulation.copy.deepcopy

        def counting(value: Any, memo: Any = None) -> Any:
            if memo is None:  # a copy asked for, not deepcopy's own recursion
                copies.append(type(value).__name__)
            return real_deepcopy(value, memo)

        emulation.copy.deepcopy = counting  # type: ignore[assignment]
        try:
            outcome = _outcome(
                lambda: client.transact_write_items(
                    TransactItems=[
                        update("bulk-1", "SET v = :x", {":x": n(5)}),
                        check("bulk-2", "attribute_not_exists(pk)"),
                    ]
                )
            )
        finally:
            emulation.copy.deepcopy = real_deepcopy  # type: ignore[assignment]
        assert outcome["error"]["Code"] == "TransactionCanceledException"
        # The journal's copy of the one item the update touched, and moto's update_item's own.
        assert copies == ["Item", "Item"]
        item = client.get_item(TableName=TABLE, Key=key("bulk-1"))["Item"]
        assert item["v"] == n(1)


def test_two_operations_in_one_transaction_item_write_nothing() -> None:
    """The one deliberate difference: moto as shipped keeps the writes before such an item;
    DynamoDB refuses the whole request, and so does the journal."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        _create_table(client)
        both = {**put("o2"), **delete("o3")}
        outcome = _outcome(lambda: client.transact_write_items(TransactItems=[put("o1"), both]))
        assert outcome["error"] is not None
        assert client.scan(TableName=TABLE)["Items"] == []


# ---------------------------------------------------------------------------- request tokens


@pytest.fixture
def token_clock() -> Iterator[list[float]]:
    now = [1000.0]
    emulation.TOKENS.clear()
    emulation.TOKENS.now = lambda: now[0]
    yield now
    emulation.TOKENS.clear()
    emulation.TOKENS.now = emulation.time.monotonic


def test_a_retried_transaction_with_its_token_succeeds_without_writing_twice(
    token_clock: list[float],
) -> None:
    """An SDK retry after a slow answer sends the same ClientRequestToken: DynamoDB answers it
    as done, where moto as shipped failed its conditions (a false 409 to the customer)."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        arn = _create_table(client)
        streams = streams_client()
        create = [{"Put": {**put("o1")["Put"], "ConditionExpression": "attribute_not_exists(pk)"}}]
        client.transact_write_items(TransactItems=create, ClientRequestToken="retry-1")
        records = len(_stream_records(streams, arn))

        token_clock[0] += 599  # within DynamoDB's 10 minutes
        client.transact_write_items(TransactItems=create, ClientRequestToken="retry-1")

        assert len(_stream_records(streams, arn)) == records  # no second write
        with pytest.raises(ClientError) as mismatch:
            client.transact_write_items(TransactItems=[put("o2")], ClientRequestToken="retry-1")
        assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
        assert "o2" not in str(client.scan(TableName=TABLE)["Items"])

        token_clock[0] += 2  # past the window: a new request, whose condition now fails
        with pytest.raises(ClientError) as late:
            client.transact_write_items(TransactItems=create, ClientRequestToken="retry-1")
        assert late.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_a_cancelled_transaction_leaves_its_token_free(token_clock: list[float]) -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        _create_table(client)
        failing = [check("o1", "attribute_exists(pk)")]
        with pytest.raises(ClientError):
            client.transact_write_items(TransactItems=failing, ClientRequestToken="t-2")
        client.transact_write_items(TransactItems=[put("o1")], ClientRequestToken="t-2")
        assert len(client.scan(TableName=TABLE)["Items"]) == 1


# ---------------------------------------------------------------------------- streams


@pytest.fixture
def stream_clock() -> Iterator[list[datetime]]:
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    emulation.set_stream_clock(lambda: now[0])
    yield now
    emulation.set_stream_clock(emulation._now_utc)


def test_stream_records_older_than_24_hours_are_trimmed_and_numbers_go_on(
    stream_clock: list[datetime],
) -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        streams = streams_client()
        arn = _create_table(client)
        for i in range(5):
            client.put_item(TableName=TABLE, Item=put(f"old-{i}")["Put"]["Item"])
        before = _stream_records(streams, arn)
        assert len(before) == 5

        stream_clock[0] += timedelta(hours=24, seconds=1)
        client.put_item(TableName=TABLE, Item=put("new")["Put"]["Item"])

        after = _stream_records(streams, arn)
        assert [r["Keys"]["pk"]["S"] for r in after] == ["new"]
        assert int(after[0]["SequenceNumber"]) == int(before[-1]["SequenceNumber"]) + 1


def test_the_stream_reader_resumes_after_a_table_is_swapped_by_a_rollback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """moto as shipped swaps a copy in as the table on a cancelled transaction; a reader that
    held on to its shard iterator read a dead copy from then on (no event, no email, no word)."""
    with emulation.moto_as_shipped(), mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        arn = _create_table(client)
        reader = StreamReader(streams_client(), arn, REGION)
        client.put_item(TableName=TABLE, Item=put("o1")["Put"]["Item"])
        assert len(reader.read()) == 1
        with pytest.raises(ClientError):
            client.transact_write_items(
                TransactItems=[put("o2"), check("o1", "attribute_not_exists(pk)")]
            )
        client.put_item(TableName=TABLE, Item=put("o3")["Put"]["Item"])
        read = reader.read()
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read] == ["o3"]


def test_the_stream_reader_says_loudly_when_it_cannot_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        def describe_stream(self, **_: Any) -> Any:
            raise ConnectionError("moto is gone")

    reader = StreamReader(Broken(), "arn:aws:dynamodb:r:1:table/T/stream/L", REGION)
    with caplog.at_level("ERROR", logger="local_stack"):
        assert reader.read() == []
    assert "STREAM NOT READ" in caplog.text and "moto is gone" in caplog.text


def test_shard_iterators_expire_after_15_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto keeps every iterator it hands out; a reader asking for one per read would grow the
    stack's memory without end."""
    now = [5000.0]
    monkeypatch.setattr(emulation.time, "monotonic", lambda: now[0])
    with mock_aws():
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        client = boto3.client("dynamodb", region_name=REGION)
        arn = _create_table(client)
        reader = StreamReader(streams_client(), arn, REGION)
        for _ in range(20):
            reader.read()
        backend = dynamodbstreams_backends["123456789012"][REGION]
        assert len(backend.shard_iterators) >= 20
        now[0] += 901
        reader.read()
        assert len(backend.shard_iterators) <= 2


def test_another_moto_version_is_refused_with_what_to_do() -> None:
    with pytest.raises(emulation.UnsupportedMoto) as refused:
        emulation.check_moto_version("5.3.0")
    message = str(refused.value)
    assert "moto 5.3.0 is installed" in message
    assert "5.2.5" in message and "make install" in message
    assert emulation.check_moto_version("5.2.5") == "5.2.5"


def test_the_backend_lock_serializes_moto_server_requests() -> None:
    """Concurrent conditional writes through the moto server: exactly one wins."""
    server = emulation.MotoServer("127.0.0.1", 0)
    server.start()
    try:
        client = boto3.client("dynamodb", region_name=REGION, endpoint_url=server.url)
        _create_table(client)
        wins: list[int] = []

        def attempt(i: int) -> None:
            try:
                client.put_item(
                    TableName=TABLE,
                    Item={**key("race"), "by": n(i)},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                wins.append(i)
            except ClientError:
                pass

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1
        client.delete_table(TableName=TABLE)
    finally:
        server.stop()
