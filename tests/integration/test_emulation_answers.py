"""The emulation's cheaper answers (infra/local/emulation.py): what a client reads is what moto's
serializer would have written, the looks that find nothing ask nothing, and the calls answered
in process go unsigned while S3's presigned URLs stay signed.

The integration tests run with `emulation.SHADOW` on (conftest), so every fast answer of every
test is also compared with moto's own; here the comparison is shown to run and to fail."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.responses import ActionResult

from infra.local import emulation
from infra.local.streams import StreamReader
from tests.integration.moto_tables import create_table, streams_client

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "answers"

EVERY_TYPE = {
    "pk": {"S": "p-1"},
    "sk": {"S": "order"},
    "text": {"S": 'Ünïcode, "quotes" and null'},
    "count": {"N": "12.50"},
    "blob": {"B": b"\x00\xffbinary"},
    "tags": {"SS": ["a", "b"]},
    "sizes": {"NS": ["5", "7"]},
    "blobs": {"BS": [b"\x01", b"\x02"]},
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
    "list": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x03"}, {"M": {"deep": {"BOOL": True}}}]},
    "map": {"M": {"inner": {"M": {"blob": {"B": b"\x04"}, "n": {"N": "-3"}}}}},
}


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fast answer compared with moto's while the test runs (their bodies)."""
    seen: list[str] = []
    compare = emulation._compare

    def counting(output: Any, fast: str, answer: Any) -> None:
        compare(output, fast, answer)
        seen.append(fast)

    monkeypatch.setattr(emulation, "_compare", counting)
    monkeypatch.setattr(emulation, "SHADOW", True)
    return seen


def test_item_answers_of_every_type_read_as_moto_writes_them(compared: list[str]) -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        arn = create_table(client, TABLE)
        key = {"pk": EVERY_TYPE["pk"], "sk": EVERY_TYPE["sk"]}
        client.put_item(TableName=TABLE, Item=EVERY_TYPE, ReturnConsumedCapacity="TOTAL")
        old = client.put_item(TableName=TABLE, Item=EVERY_TYPE, ReturnValues="ALL_OLD")
        assert old["Attributes"] == EVERY_TYPE  # binary back as bytes, sets, nesting
        assert client.get_item(TableName=TABLE, Key=key)["Item"] == EVERY_TYPE
        updated = client.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET #c = #c + :one",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
            ReturnConsumedCapacity="TOTAL",
        )
        assert Decimal(updated["Attributes"]["count"]["N"]) == Decimal("13.5")
        queried = client.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p-1"}},
            Limit=1,
        )
        assert queried["Count"] == 1 and queried["Items"][0]["blob"] == {"B": b"\x00\xffbinary"}
        assert client.scan(TableName=TABLE)["ScannedCount"] == 1
        batch = client.batch_get_item(RequestItems={TABLE: {"Keys": [key]}})
        assert batch["Responses"][TABLE][0]["map"] == EVERY_TYPE["map"]
        got = client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}])
        assert got["Responses"][0]["Item"]["list"] == EVERY_TYPE["list"]
        gone = client.delete_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD")
        assert gone["Attributes"]["blobs"] == {"BS": [b"\x01", b"\x02"]}

        streams = streams_client()
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator)["Records"]
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "MODIFY", "REMOVE"]
        assert records[0]["dynamodb"]["NewImage"]["blob"] == {"B": b"\x00\xffbinary"}
        assert records[0]["dynamodb"]["ApproximateCreationDateTime"].year >= 2024

    # two puts, get, update, query, scan, batch get, transact get, delete, iterator, records
    assert len(compared) == 11


def test_a_fast_answer_that_differs_from_moto_fails() -> None:
    output = emulation._output_shape("dynamodb", "GetItem")
    moto_answer = (200, {}, '{"Item": {"pk": {"S": "a"}}}')
    emulation._compare(output, '{"Item": {"pk": {"S": "a"}}}', moto_answer)
    # botocore reads only the model's members: a key outside it is not a difference
    emulation._compare(output, '{"Item": {"pk": {"S": "a"}}, "Other": 1}', moto_answer)
    with pytest.raises(emulation.ShadowMismatch):
        emulation._compare(output, '{"Item": {"pk": {"S": "b"}}}', moto_answer)
    with pytest.raises(emulation.ShadowMismatch):
        emulation._compare(output, '{"Item": {"pk": {"S": "a"}}}', (400, {}, "{}"))


class _Handler:
    """What `serialized` reads of a moto response handler."""

    boto3_service_name = "dynamodb"

    def __init__(self, action: str) -> None:
        self.action = action
        self.response_headers: dict[str, str] = {}

    def _get_action(self) -> str:
        return self.action


@pytest.mark.parametrize(
    ("action", "result", "fast"),
    [
        ("GetItem", {"Item": {"pk": {"S": "a"}}, "ConsumedCapacityUnits": 0.5}, True),
        ("GetItem", {"Item": {"pk": {"S": "a"}}, "ConsumedCapacity": None}, False),  # None
        ("GetItem", {"Item": {"pk": {"S": object()}}}, False),  # not JSON
        ("DescribeTable", {"Table": {"TableName": "t"}}, False),  # not an item action
    ],
)
def test_only_plain_item_answers_take_the_fast_way(
    action: str, result: dict[str, Any], fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulation, "SHADOW", False)
    asked: list[Any] = []

    def moto_way(handler: Any, action_result: Any) -> Any:
        asked.append(action_result)
        return 200, {}, "{}"

    status, headers, body = emulation._fast_serialized(moto_way)(
        _Handler(action), ActionResult(result)
    )
    assert bool(asked) is not fast
    if fast:
        assert status == 200 and headers["Content-Type"] == "application/x-amz-json-1.0"
        assert body == '{"Item": {"pk": {"S": "a"}}}'  # members of the model only


# ---------------------------------------------------------------------------- pending


def test_pending_tells_an_empty_queue_from_one_with_messages() -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="pending-q")["QueueUrl"]
        pending = emulation.Pending(ACCOUNT, REGION)
        assert pending.queue(url) is False
        sqs.send_message(QueueUrl=url, MessageBody="{}")
        assert pending.queue(url) is True
        message = sqs.receive_message(QueueUrl=url)["Messages"][0]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert pending.queue(url) is False
        assert pending.queue(url.replace("pending-q", "no-such-queue")) is True  # asked


class _CountingStreams:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def counted(**kwargs: Any) -> Any:
            self.calls += 1
            return method(**kwargs)

        return counted


def test_a_stream_reader_asks_nothing_while_the_stream_is_unchanged() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        arn = create_table(client, TABLE)
        pending = emulation.Pending(ACCOUNT, REGION)
        assert pending.stream(arn) == 0
        assert pending.stream(arn.replace(f"table/{TABLE}/", "table/nope/")) is None
        assert pending.stream("not-an-arn") is None
        streams = _CountingStreams(streams_client())
        reader = StreamReader(streams, arn, REGION, pending.stream)
        assert reader.read() == []
        asked = streams.calls
        assert asked > 0
        assert reader.read() == [] and reader.read() == []
        assert streams.calls == asked  # unchanged: not asked again

        client.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
        assert pending.stream(arn) == 1
        read = reader.read()
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read] == ["a"]
        asked = streams.calls
        assert reader.read() == []
        assert streams.calls == asked


# ---------------------------------------------------------------------------- unsigned


@pytest.fixture
def in_process() -> Iterator[tuple[Any, list[dict[str, str]]]]:
    """A session whose calls to a (never started) moto URL are answered in this process, and
    the headers each request carried when it was sent."""
    session = boto3.session.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    sent: list[dict[str, str]] = []
    session.events.register("before-send", lambda request, **_: sent.append(request.headers))
    emulation.InProcessCalls("http://127.0.0.1:9", REGION).register(session)
    yield session, sent


def test_in_process_calls_go_unsigned_and_presigned_urls_stay_signed(
    in_process: tuple[Any, list[dict[str, str]]],
) -> None:
    session, sent = in_process
    dynamodb = session.client("dynamodb", endpoint_url="http://127.0.0.1:9")
    name = f"unsigned-{uuid.uuid4().hex[:8]}"
    create_table(dynamodb, name)
    try:
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
        item = dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"S": "b"}})
        assert item["Item"]["pk"] == {"S": "a"}  # answered, in this process
        assert sent and all("Authorization" not in headers for headers in sent)
    finally:
        dynamodb.delete_table(TableName=name)

    s3 = session.client("s3", endpoint_url="http://127.0.0.1:9")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert "X-Amz-Signature=" in url or "Signature=" in url


# ---------------------------------------------------------------------------- memory


def test_trimmed_stream_records_and_deleted_messages_leave_memory() -> None:
    """moto kept every model object it made in a class-level list for its dashboard: stream
    records trimmed after 24 hours and messages deleted from a queue stayed in memory."""
    from datetime import UTC, datetime, timedelta

    from moto.dynamodb.models.table import StreamRecord
    from moto.sqs.models import Message

    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    emulation.set_stream_clock(lambda: now[0])
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name=REGION)
            create_table(client, TABLE)
            for i in range(50):
                client.put_item(TableName=TABLE, Item={"pk": {"S": f"k{i}"}, "sk": {"S": "s"}})
            now[0] += timedelta(hours=25)
            client.put_item(TableName=TABLE, Item={"pk": {"S": "new"}, "sk": {"S": "s"}})

            sqs = boto3.client("sqs", region_name=REGION)
            url = sqs.create_queue(QueueName="memory-q")["QueueUrl"]
            for _ in range(20):
                sqs.send_message(QueueUrl=url, MessageBody="{}")
                handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
                sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)

            gc.collect()
            alive = [o for o in gc.get_objects() if isinstance(o, StreamRecord | Message)]
            assert len([o for o in alive if isinstance(o, StreamRecord)]) == 1  # the kept one
            assert not [o for o in alive if isinstance(o, Message)]
            assert StreamRecord.instances_tracked == [] and Message.instances_tracked == []
    finally:
        emulation.set_stream_clock(emulation._now_utc)
