"""Redrive a dead-letter queue: `make redrive QUEUE=<name> [DRY_RUN=1] [STACK=<stack>]`.

Which queue holds what, and where it goes back to, is read from template.yaml, not re-declared
here: every reference to a queue under a `DeadLetterConfig`, `OnFailure`, `DeadLetterQueue` or
`RedrivePolicy` is a *sender*, and each kind of sender has its way back:

- an SQS queue's `RedrivePolicy`: the messages are moved back to that queue (SQS
  `StartMessageMoveTask`; received, sent and deleted in batches where that API is missing, as
  in moto 5.2.5, or where `--max` asks for part of the queue, which the API cannot do);
- a Lambda function's EventBridge rule (`DeadLetterConfig`: the body is the event), its
  asynchronous invocation (`EventInvokeConfig.DestinationConfig.OnFailure`: the body is an
  invocation record whose `requestPayload` is the event) or its `DeadLetterQueue` (the body is
  the event): the function is invoked again with the original event;
- a stream event source mapping's `OnFailure` (the body names a batch by shard and sequence
  numbers and holds none of its records): the records are read again from the stream and the
  function is invoked with them; when the stream no longer has them (24 hours), and only with
  `--from-table`, the table's history items of that time window are handed to it instead.

A message is deleted only after its invocation answered without a function error (and, for a
stream batch, reported no failed record). The first failure stops the run: the cause is not
fixed, and what is left stays in the queue. docs/redrive.md says when redriving is safe.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from infra.local.streams import passes_filters

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

SenderKind = Literal[
    "sqs-redrive", "eventbridge-target", "lambda-async", "lambda-dead-letter", "stream"
]
# Keys under which a queue reference means "failures are sent here".
_DEAD_LETTER_KEYS = frozenset({"DeadLetterConfig", "OnFailure", "DeadLetterQueue", "RedrivePolicy"})
_EVENTBRIDGE_EVENTS = frozenset({"EventBridgeRule", "CloudWatchEvent", "Schedule"})
_FUNCTION_TYPES = frozenset({"AWS::Serverless::Function"})

# The notifier keeps its idempotency records this long (functions/notifier/app.py,
# KEEP_SECONDS; a test checks they agree): an event re-published later than this after it was
# first handled may be emailed twice, so the table fallback refuses events that old.
DEDUPE_WINDOW = timedelta(days=7)
# History items are stamped by the domain's clock, stream records by DynamoDB on arrival.
_WINDOW_SLACK = timedelta(minutes=5)
_RECEIVE_VISIBILITY_S = 900  # a message being redriven stays hidden this long at most


class RedriveError(Exception):
    """Something the operator must fix before the redrive can run; the message says what."""


# ---------------------------------------------------------------------------- the template


@dataclass(frozen=True)
class Sender:
    """Who sends failures to a dead-letter queue, as the template says."""

    kind: SenderKind
    resource: str  # logical id: the source queue (sqs-redrive) or the function
    where: str  # where the template says so, for messages
    filters: tuple[Mapping[str, Any], ...] = ()  # a stream mapping's FilterCriteria.Filters


@dataclass(frozen=True)
class DeadLetterQueue:
    logical_id: str
    senders: tuple[Sender, ...]

    @property
    def short_name(self) -> str:
        """NotifierDeadLetterQueue → notifier; EventRelayDeadLetterQueue → event-relay."""
        stem = self.logical_id.removesuffix("DeadLetterQueue").removesuffix("Queue")
        out = "".join(f"-{c.lower()}" if c.isupper() else c for c in stem).lstrip("-")
        return out or self.logical_id.lower()

    def of_kind(self, *kinds: SenderKind) -> list[Sender]:
        return [s for s in self.senders if s.kind in kinds]


@dataclass(frozen=True)
class TemplateDeadLetters:
    queues: dict[str, DeadLetterQueue]  # by logical id
    # References to a queue under a dead-letter key that no redrive path understands.
    unknown: tuple[str, ...] = ()

    def find(self, name: str) -> DeadLetterQueue:
        wanted = name.strip().lower()
        for queue in self.queues.values():
            if wanted in (queue.logical_id.lower(), queue.short_name):
                return queue
        known = ", ".join(f"{q.short_name} ({q.logical_id})" for q in self.queues.values())
        raise RedriveError(f"template.yaml declares no dead-letter queue {name!r}; known: {known}")


def _queue_reference(value: Any, queues: set[str]) -> str | None:
    if isinstance(value, Mapping):
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            logical = target[0] if isinstance(target, list) else str(target).split(".")[0]
            return logical if logical in queues else None
        if "Ref" in value and value["Ref"] in queues:
            return str(value["Ref"])
    return None


def _walk(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, value
    if isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _walk(sub, (*path, str(key)))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _walk(sub, (*path, str(index)))


def dead_letter_queues(template: Mapping[str, Any]) -> TemplateDeadLetters:
    """Every queue the template sends failures to, with its senders."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    queues = {k for k, r in resources.items() if r.get("Type") == "AWS::SQS::Queue"}
    senders: dict[str, list[Sender]] = {}
    unknown: list[str] = []
    for logical_id, resource in resources.items():
        properties = resource.get("Properties") or {}
        for path, value in _walk(properties, ()):
            queue = _queue_reference(value, queues)
            if queue is None or not _DEAD_LETTER_KEYS.intersection(path):
                continue
            where = ".".join((logical_id, *path))
            sender = _classify(logical_id, resource, path, where)
            if sender is None:
                unknown.append(f"{where} → {queue}")
            else:
                senders.setdefault(queue, []).append(sender)
    return TemplateDeadLetters(
        {q: DeadLetterQueue(q, tuple(s)) for q, s in sorted(senders.items())}, tuple(unknown)
    )


def _classify(
    logical_id: str, resource: Mapping[str, Any], path: tuple[str, ...], where: str
) -> Sender | None:
    kind = resource.get("Type")
    if kind == "AWS::SQS::Queue" and path == ("RedrivePolicy", "deadLetterTargetArn"):
        return Sender("sqs-redrive", logical_id, where)
    if kind not in _FUNCTION_TYPES:
        return None
    if path == ("EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination"):
        return Sender("lambda-async", logical_id, where)
    if path == ("DeadLetterQueue", "TargetArn"):
        return Sender("lambda-dead-letter", logical_id, where)
    if len(path) >= 4 and path[0] == "Events" and path[2] == "Properties":
        event = (resource.get("Properties") or {})["Events"][path[1]]
        rest = path[3:]
        if event.get("Type") in _EVENTBRIDGE_EVENTS and rest == ("DeadLetterConfig", "Arn"):
            return Sender("eventbridge-target", logical_id, where)
        if event.get("Type") == "DynamoDB" and rest == (
            "DestinationConfig",
            "OnFailure",
            "Destination",
        ):
            criteria = (event.get("Properties") or {}).get("FilterCriteria") or {}
            return Sender("stream", logical_id, where, tuple(criteria.get("Filters") or ()))
    return None


def load_dead_letters(path: Path = TEMPLATE) -> TemplateDeadLetters:
    from infra.local.cfn import load_template_file

    return dead_letter_queues(load_template_file(path))


# ---------------------------------------------------------------------------- the deployment


class Locator(Protocol):
    """Where the template's resources are in one deployment."""

    @property
    def name(self) -> str: ...  # the stack's name, for messages and the prod guard

    @property
    def stage(self) -> str | None: ...

    def physical_id(self, logical_id: str) -> str: ...  # a queue's URL, a function's name


@dataclass
class StackLocator:
    """A CloudFormation stack: physical ids by logical id (a queue's is its URL)."""

    cloudformation: Any
    stack: str
    _stage: str | None = field(default=None, init=False)
    _read: bool = field(default=False, init=False)
    _ids: dict[str, str] = field(default_factory=dict, init=False)  # asked once per resource

    @property
    def name(self) -> str:
        return self.stack

    @property
    def stage(self) -> str | None:
        if not self._read:
            try:
                stacks = self.cloudformation.describe_stacks(StackName=self.stack)["Stacks"]
            except Exception as exc:
                raise RedriveError(f"cannot read stack {self.stack!r}: {_reason(exc)}") from exc
            parameters = {
                p["ParameterKey"]: p.get("ParameterValue") for p in stacks[0].get("Parameters", [])
            }
            self._stage, self._read = parameters.get("Stage"), True
        return self._stage

    def physical_id(self, logical_id: str) -> str:
        if logical_id not in self._ids:
            self._ids[logical_id] = self._describe(logical_id)
        return self._ids[logical_id]

    def _describe(self, logical_id: str) -> str:
        try:
            answer = self.cloudformation.describe_stack_resource(
                StackName=self.stack, LogicalResourceId=logical_id
            )
        except Exception as exc:
            raise RedriveError(
                f"stack {self.stack!r} has no resource {logical_id} ({_reason(exc)}); was it "
                "deployed from this template?"
            ) from exc
        return str(answer["StackResourceDetail"]["PhysicalResourceId"])


def is_prod(name: str, stage: str | None) -> bool:
    """A stage named prod, or a stack whose name has prod or production as a word."""
    words = {w for w in name.lower().replace("_", "-").split("-") if w}
    return (stage or "").lower() in ("prod", "production") or bool(words & {"prod", "production"})


# ---------------------------------------------------------------------------- invoking


class InvocationFailed(Exception):
    def __init__(self, function: str, error: str) -> None:
        super().__init__(f"{function} answered a function error ({error})")
        self.function = function
        self.error = error


class Invoker(Protocol):
    def invoke(self, function_name: str, event: Mapping[str, Any]) -> Any:
        """Run the function on the event and answer its result; raise InvocationFailed."""


@dataclass(frozen=True)
class LambdaInvoker:
    """Lambda `Invoke` with `RequestResponse`: the answer says whether the function succeeded,
    so the message is deleted only then (an `Event` invoke answers 202 before it runs)."""

    client: Any

    def invoke(self, function_name: str, event: Mapping[str, Any]) -> Any:
        answer = self.client.invoke(
            FunctionName=function_name,
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )
        raw = answer["Payload"].read()
        result = json.loads(raw) if raw else None
        if answer.get("FunctionError"):
            kind = result.get("errorType") if isinstance(result, dict) else None
            raise InvocationFailed(function_name, str(kind or answer["FunctionError"]))
        return result


# ---------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Outcome:
    """What happened to one message; only ids, types and counts, never an event's content."""

    message_id: str
    kind: str  # eventbridge-event, async-record, stream-batch, sqs, unrecognized
    action: str  # would-redrive, redriven, moved, left, failed
    target: str = ""
    detail: str = ""  # detail-type and event id, record counts, a reason

    def line(self) -> str:
        parts = [self.action, self.kind, self.message_id]
        if self.target:
            parts.append(f"→ {self.target}")
        if self.detail:
            parts.append(f"({self.detail})")
        return " ".join(parts)


@dataclass
class Report:
    queue: str
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def ok(self) -> bool:
        return not any(o.action in ("failed", "left") for o in self.outcomes)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.action] = counts.get(outcome.action, 0) + 1
        listed = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "no messages"
        return f"{self.queue}: {listed}"


class _Leave(Exception):
    """This message cannot be redriven as it is: it stays in the queue, with the reason."""


def _describe_event(event: Mapping[str, Any]) -> str:
    detail = event.get("detail")
    event_id = detail.get("event_id") if isinstance(detail, Mapping) else None
    kind = str(event.get("detail-type") or "an event with no detail-type")
    return f"{kind} {event_id}" if event_id else kind


def _function_in_arn(arn: Any) -> str | None:
    """arn:aws:lambda:region:account:function:NAME[:qualifier] → NAME."""
    parts = str(arn or "").split(":")
    return parts[6] if len(parts) >= 7 and parts[5] == "function" else None


def _reason(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


def _not_implemented(exc: BaseException) -> bool:
    """moto answers an action it lacks with NotImplementedError in-process, 501 as a server."""
    if isinstance(exc, NotImplementedError):
        return True
    response = getattr(exc, "response", None)
    if not isinstance(response, Mapping):
        return False
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    code = str((response.get("Error") or {}).get("Code", ""))
    return status == 501 or "NotImplemented" in code


# ---------------------------------------------------------------------------- the redrive


@dataclass
class Redriver:
    """One dead-letter queue's redrive, with every AWS client injected."""

    queue: DeadLetterQueue
    locator: Locator
    sqs: Any
    invoker: Invoker
    streams: Any = None  # DynamoDB Streams, for stream batches
    dynamodb: Any = None  # for --from-table
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    wait_seconds: int = 2  # long polling: an empty answer then means an empty queue
    out: Callable[[str], None] = print

    def run(
        self, *, dry_run: bool = False, limit: int | None = None, from_table: bool = False
    ) -> Report:
        report = Report(self.queue.logical_id)
        url = self._queue_url()
        if self.queue.of_kind("sqs-redrive"):
            if len(self.queue.of_kind("sqs-redrive")) != len(self.queue.senders):
                raise RedriveError(
                    f"{self.queue.logical_id} is the dead-letter queue of a queue and of "
                    "functions at once: redrive cannot tell their messages apart"
                )
            self._move_to_source_queues(url, report, dry_run, limit)
        else:
            self._reinvoke(url, report, dry_run, limit, from_table)
        return report

    def _queue_url(self) -> str:
        url = self.locator.physical_id(self.queue.logical_id)
        try:
            self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        except Exception as exc:
            raise RedriveError(
                f"queue {self.queue.logical_id} ({url}) cannot be read: {_reason(exc)}"
            ) from exc
        return url

    def _queue_arn(self, url: str) -> str:
        answer = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(answer["Attributes"]["QueueArn"])

    # ------------------------------------------------------------ SQS → SQS

    def _move_to_source_queues(
        self, url: str, report: Report, dry_run: bool, limit: int | None
    ) -> None:
        sources = {s.resource: self.locator.physical_id(s.resource) for s in self.queue.senders}
        depth = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        names = ", ".join(sorted(sources))
        if dry_run:
            report.notes.append(f"about {depth} messages would move back to {names}")
            return
        if limit is None:
            try:
                task = self.sqs.start_message_move_task(SourceArn=self._queue_arn(url))
            except Exception as exc:
                if not _not_implemented(exc):
                    raise RedriveError(
                        f"StartMessageMoveTask on {self.queue.logical_id}: {_reason(exc)}"
                    ) from exc
                report.notes.append(
                    "StartMessageMoveTask is not implemented here (moto 5.2.5): moving the "
                    "messages by receive, send and delete"
                )
            else:
                report.notes.append(
                    f"StartMessageMoveTask started (about {depth} messages back to {names}); "
                    f"task handle {task.get('TaskHandle')}: follow it with "
                    "aws sqs list-message-move-tasks"
                )
                return
        self._move_by_hand(url, sources, report, limit)

    def _move_by_hand(
        self, url: str, sources: Mapping[str, str], report: Report, limit: int | None
    ) -> None:
        by_arn = {self._queue_arn(u): u for u in sources.values()}
        name_of = {u: name for name, u in sources.items()}
        only = next(iter(sources.values())) if len(sources) == 1 else None
        held: list[str] = []
        try:
            for messages in self._batches(url, limit, report):
                sends: dict[str, list[tuple[Mapping[str, Any], dict[str, Any]]]] = {}
                for index, message in enumerate(messages):
                    attributes = message.get("Attributes") or {}
                    target = by_arn.get(str(attributes.get("DeadLetterQueueSourceArn"))) or only
                    if target is None:
                        held.append(message["ReceiptHandle"])
                        self._record(
                            report,
                            Outcome(message["MessageId"], "sqs", "left", detail="no known source"),
                        )
                        continue
                    entry: dict[str, Any] = {"Id": str(index), "MessageBody": message["Body"]}
                    if message.get("MessageAttributes"):
                        entry["MessageAttributes"] = message["MessageAttributes"]
                    for key in ("MessageGroupId", "MessageDeduplicationId"):
                        if key in attributes:
                            entry[key] = attributes[key]
                    sends.setdefault(target, []).append((message, entry))
                failed = False
                for target, entries in sends.items():
                    answer = self.sqs.send_message_batch(
                        QueueUrl=target, Entries=[entry for _, entry in entries]
                    )
                    sent = {s["Id"] for s in answer.get("Successful", [])}
                    done = [m for m, e in entries if e["Id"] in sent]
                    if done:
                        self.sqs.delete_message_batch(
                            QueueUrl=url,
                            Entries=[
                                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                for i, m in enumerate(done)
                            ],
                        )
                    for original, entry in entries:
                        moved = entry["Id"] in sent
                        if not moved:
                            held.append(original["ReceiptHandle"])
                            failed = True
                        action = "moved" if moved else "failed"
                        self._record(
                            report, Outcome(original["MessageId"], "sqs", action, name_of[target])
                        )
                if failed:
                    report.notes.append("stopped at the first failed send: run again")
                    return
        finally:
            for handle in held:
                self._release(url, handle)

    def _record(self, report: Report, outcome: Outcome) -> None:
        report.outcomes.append(outcome)
        self.out(outcome.line())

    # ------------------------------------------------------------ → Lambda again

    def _reinvoke(
        self, url: str, report: Report, dry_run: bool, limit: int | None, from_table: bool
    ) -> None:
        # Receipt handles of messages received and not deleted: visible again at the end, so
        # what is left (or was never reached) does not hide for the visibility timeout.
        held: list[str] = []
        try:
            for messages in self._batches(url, limit, report):
                held += [m["ReceiptHandle"] for m in messages]
                for message in messages:
                    outcome = self._with_age(message, self._one(message, dry_run, from_table))
                    self._record(report, outcome)
                    if outcome.action == "redriven":
                        self.sqs.delete_message(
                            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"]
                        )
                        held.remove(message["ReceiptHandle"])
                    if outcome.action == "failed":
                        report.notes.append(
                            "stopped at the first failure: fix its cause, then run again"
                        )
                        return
        finally:
            for handle in held:
                self._release(url, handle)

    def _with_age(self, message: Mapping[str, Any], outcome: Outcome) -> Outcome:
        """How long ago it was dead-lettered: an old reminder may be better left unsent."""
        sent = (message.get("Attributes") or {}).get("SentTimestamp")
        if not sent:
            return outcome
        age = self.now() - datetime.fromtimestamp(int(sent) / 1000, UTC)
        hours = max(0, int(age.total_seconds() // 3600))
        told = f"dead-lettered {hours // 24} d {hours % 24} h ago"
        return replace(outcome, detail=f"{outcome.detail}; {told}" if outcome.detail else told)

    def _one(self, message: Mapping[str, Any], dry_run: bool, from_table: bool) -> Outcome:
        message_id = str(message["MessageId"])
        try:
            body = json.loads(message["Body"])
        except ValueError:
            return Outcome(message_id, "unrecognized", "left", detail="the body is not JSON")
        if not isinstance(body, dict):
            return Outcome(message_id, "unrecognized", "left", detail="the body is not an object")
        try:
            if "DDBStreamBatchInfo" in body:
                return self._stream_batch(message_id, body, dry_run, from_table)
            if "requestContext" in body and "requestPayload" in body:
                function = self._function_for(
                    ("lambda-async",), _function_in_arn(body["requestContext"].get("functionArn"))
                )
                return self._invoke(
                    message_id, "async-record", function, body["requestPayload"], dry_run
                )
            if "detail-type" in body and "source" in body:
                target = (message.get("MessageAttributes") or {}).get("TARGET_ARN") or {}
                function = self._function_for(
                    ("eventbridge-target", "lambda-dead-letter"),
                    _function_in_arn(target.get("StringValue")),
                )
                return self._invoke(message_id, "eventbridge-event", function, body, dry_run)
        except _Leave as leave:
            return Outcome(message_id, "unrecognized", "left", detail=str(leave))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return Outcome(
                message_id, "unrecognized", "left", detail=f"malformed ({type(exc).__name__})"
            )
        return Outcome(message_id, "unrecognized", "left", detail="not a shape any sender writes")

    def _function_for(self, kinds: tuple[SenderKind, ...], named: str | None) -> str:
        """The physical name of the function a message goes back to: the one the message
        names, when the template sends that kind of failure from it to this queue."""
        candidates = {self.locator.physical_id(s.resource) for s in self.queue.of_kind(*kinds)}
        if named is not None:
            if named not in candidates:
                raise _Leave(f"it names function {named}, which sends no such failure here")
            return named
        if not candidates:
            raise _Leave("no function sends that kind of failure to this queue")
        if len(candidates) != 1:
            raise _Leave("it names no function, and more than one sends here")
        return next(iter(candidates))

    def _invoke(
        self, message_id: str, kind: str, function: str, event: Any, dry_run: bool
    ) -> Outcome:
        if not isinstance(event, dict):
            raise _Leave("its event is not an object")
        what = _describe_event(event)
        if dry_run:
            return Outcome(message_id, kind, "would-redrive", function, what)
        try:
            self.invoker.invoke(function, event)
        except InvocationFailed as failed:
            return Outcome(message_id, kind, "failed", function, f"{what}: {failed.error}")
        return Outcome(message_id, kind, "redriven", function, what)

    # ------------------------------------------------------------ stream batches

    def _stream_batch(
        self, message_id: str, body: Mapping[str, Any], dry_run: bool, from_table: bool
    ) -> Outcome:
        info = body["DDBStreamBatchInfo"]
        named = _function_in_arn((body.get("requestContext") or {}).get("functionArn"))
        function = self._function_for(("stream",), named)
        sender = next(
            s
            for s in self.queue.of_kind("stream")
            if self.locator.physical_id(s.resource) == function
        )
        records = self._read_back(info)
        if records is None:
            return self._from_table(message_id, info, function, dry_run, from_table)
        batch = [r for r in records if passes_filters(r, sender.filters)]
        what = f"{len(batch)} records read back from the stream"
        if dry_run:
            return Outcome(message_id, "stream-batch", "would-redrive", function, what)
        return self._invoke_batch(message_id, function, batch, what)

    def _invoke_batch(
        self, message_id: str, function: str, batch: list[dict[str, Any]], what: str
    ) -> Outcome:
        try:
            result = self.invoker.invoke(function, {"Records": batch})
        except InvocationFailed as failed:
            return Outcome(
                message_id, "stream-batch", "failed", function, f"{what}: {failed.error}"
            )
        failures = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
        if failures:
            return Outcome(
                message_id,
                "stream-batch",
                "failed",
                function,
                f"{what}: {len(failures)} reported failed",
            )
        return Outcome(message_id, "stream-batch", "redriven", function, what)

    def _read_back(self, info: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """The batch's records, from its first sequence number to its last; None when the
        stream no longer holds the first (past its 24-hour retention, or the stream is gone)."""
        if self.streams is None:
            raise RedriveError("a stream batch needs a DynamoDB Streams client")
        start, end = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
        try:
            iterator = self.streams.get_shard_iterator(
                StreamArn=info["streamArn"],
                ShardId=info["shardId"],
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=info["startSequenceNumber"],
            )["ShardIterator"]
        except Exception as exc:
            if _reason(exc) in ("TrimmedDataAccessException", "ResourceNotFoundException"):
                return None
            raise
        records: list[dict[str, Any]] = []
        while iterator:
            answer = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            batch = answer.get("Records", [])
            if not batch:
                break
            for record in batch:
                sequence = int(record["dynamodb"]["SequenceNumber"])
                if not records and sequence != start:
                    return None  # the emulation answers the oldest kept record instead
                if sequence > end:
                    return records
                records.append(self._as_lambda_record(record, info["streamArn"]))
            iterator = answer.get("NextShardIterator")
        return records

    @staticmethod
    def _as_lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
        """A stream record as the event source mapping hands it to the function."""
        converted: dict[str, Any] = json.loads(json.dumps(record, default=str))
        converted.setdefault("eventSource", "aws:dynamodb")
        converted["eventSourceARN"] = stream_arn
        converted.setdefault("awsRegion", stream_arn.split(":")[3])
        return converted

    def _from_table(
        self,
        message_id: str,
        info: Mapping[str, Any],
        function: str,
        dry_run: bool,
        from_table: bool,
    ) -> Outcome:
        gone = "the stream no longer holds these records (24-hour retention)"
        if not from_table:
            return Outcome(
                message_id,
                "stream-batch",
                "left",
                function,
                f"{gone}; --from-table re-publishes the table's history of that window",
            )
        first = _parse_time(info["approximateArrivalOfFirstRecord"])
        last = _parse_time(info["approximateArrivalOfLastRecord"])
        if self.now() - first > DEDUPE_WINDOW - timedelta(days=1):
            return Outcome(
                message_id,
                "stream-batch",
                "left",
                function,
                f"{gone}, and they are older than the notifier remembers events "
                f"({DEDUPE_WINDOW.days} days less a day): re-publishing could email twice",
            )
        items = self._history_between(
            info["streamArn"].split(":table/")[1].split("/")[0],
            first - _WINDOW_SLACK,
            last + _WINDOW_SLACK,
        )
        batch = [
            {
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "eventSourceARN": info["streamArn"],
                "dynamodb": {"NewImage": item, "SequenceNumber": f"table-{index}"},
            }
            for index, item in enumerate(items)
        ]
        what = f"{len(batch)} history items of the window re-published from the table"
        if dry_run:
            return Outcome(message_id, "stream-batch", "would-redrive", function, what)
        return self._invoke_batch(message_id, function, batch, what)

    def _history_between(self, table: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every event item (history entry or message) stamped inside the window, oldest
        first. The record names no keys, so this is a Scan: an operator's rare repair, never
        a function's access pattern."""
        if self.dynamodb is None:
            raise RedriveError("--from-table needs a DynamoDB client")
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": table,
            "FilterExpression": "#type IN (:history, :message) AND #at BETWEEN :from AND :to",
            "ExpressionAttributeNames": {"#type": "type", "#at": "at"},
            "ExpressionAttributeValues": {
                ":history": {"S": "HISTORY"},
                ":message": {"S": "MESSAGE"},
                ":from": {"S": _iso(start)},
                ":to": {"S": _iso(end)},
            },
        }
        while True:
            answer = self.dynamodb.scan(**request)
            items += answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return sorted(items, key=lambda i: (i["at"]["S"], i.get("sk", {}).get("S", "")))

    # ------------------------------------------------------------ receiving

    def _batches(
        self, url: str, limit: int | None, report: Report
    ) -> Iterator[list[dict[str, Any]]]:
        taken = 0
        while limit is None or taken < limit:
            wanted = 10 if limit is None else min(10, limit - taken)
            messages = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=wanted,
                VisibilityTimeout=_RECEIVE_VISIBILITY_S,
                WaitTimeSeconds=self.wait_seconds,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return
            taken += len(messages)
            yield messages
        report.notes.append(f"stopped at --max {limit}; the rest stays in the queue")

    def _release(self, url: str, handle: str) -> None:
        """Make a received message visible again at once (it was not redriven)."""
        try:
            self.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
            )
        except Exception as exc:  # it reappears after its visibility timeout anyway
            self.out(f"could not make a message visible again at once ({_reason(exc)})")


def _parse_time(value: Any) -> datetime:
    text = str(value).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------- the command


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m infra.redrive",
        description="Move a dead-letter queue's messages back to where they are processed.",
    )
    parser.add_argument(
        "queue",
        nargs="?",
        help="the queue: notifier, event-relay, evidence-upload, or its logical id",
    )
    parser.add_argument("--stack", help="the stack's name (default: samconfig.toml's)")
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would move; change nothing"
    )
    parser.add_argument("--max", type=int, default=None, help="redrive at most this many messages")
    parser.add_argument(
        "--from-table",
        action="store_true",
        help="for stream batches past the stream's retention: re-publish the table's "
        "history of their window",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the template's dead-letter queues"
    )
    parser.add_argument(
        "--i-know-this-is-prod", action="store_true", help="allow a prod stack or stage"
    )
    args = parser.parse_args(argv)
    if args.max is not None and args.max < 1:
        parser.error("--max must be at least 1")
    return args


def main(argv: Sequence[str] | None = None, session: Any = None) -> int:
    args = parse_args(argv)
    try:
        dead_letters = load_dead_letters()
        if args.list or not args.queue:
            for queue in dead_letters.queues.values():
                kinds = ", ".join(sorted({f"{s.kind} from {s.resource}" for s in queue.senders}))
                print(f"{queue.short_name:<18} {queue.logical_id}: {kinds}")
            if not args.queue and not args.list:
                print(
                    "which queue? pass QUEUE=<name> (or the name as an argument)", file=sys.stderr
                )
                return 2
            return 0
        queue = dead_letters.find(args.queue)
        from infra.deploy_web import stack_from_samconfig

        stack = args.stack or stack_from_samconfig()
        if not stack:
            raise RedriveError(
                "which stack? pass STACK=<name> (or --stack), or sam deploy --guided"
            )
        import boto3
        from botocore.config import Config

        session = session or boto3.session.Session()
        locator = StackLocator(session.client("cloudformation"), stack)
        if is_prod(stack, locator.stage) and not args.i_know_this_is_prod:
            raise RedriveError(
                f"stack {stack!r} (stage {locator.stage!r}) is production: pass "
                "--i-know-this-is-prod (REDRIVE_ARGS=--i-know-this-is-prod with make) to redrive it"
            )
        # A synchronous invoke waits for the function: up to Lambda's 15 minutes, and never
        # retried by the SDK (the function is idempotent, but a retry would only hide a timeout).
        lambda_client = session.client(
            "lambda", config=Config(read_timeout=910, retries={"max_attempts": 1})
        )
        redriver = Redriver(
            queue,
            locator,
            session.client("sqs"),
            LambdaInvoker(lambda_client),
            streams=session.client("dynamodbstreams"),
            dynamodb=session.client("dynamodb"),
        )
        report = redriver.run(dry_run=args.dry_run, limit=args.max, from_table=args.from_table)
    except RedriveError as exc:
        print(f"redrive: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # an AWS error mid-run: what was not deleted stays in the queue
        if not type(exc).__module__.startswith("botocore"):
            raise
        print(
            f"redrive: {args.queue}: AWS answered {_reason(exc)}; nothing more was done, "
            "and every message not reported redriven is still in the queue",
            file=sys.stderr,
        )
        return 2
    for note in report.notes:
        print(note)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
