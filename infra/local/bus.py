"""EventBridge rules → Lambda, as AWS delivers them.

moto evaluates event patterns and delivers matching events to SQS targets, but invokes no
Lambda code. So at start, for every function event of `Type: EventBridgeRule`, a rule with the
same pattern is put on the same bus in moto, targeting a queue of the function's own; after
every invocation the queues are drained and each event (the SQS body is the EventBridge event,
exactly what Lambda would be handed) is given to its function. An event matching two rules of
one function is delivered twice, as in AWS.

EventBridge invokes Lambda asynchronously: a function error is retried by Lambda, up to the
function's `EventInvokeConfig.MaximumRetryAttempts` (default 2), then goes to its on-failure
destination. Locally the retries follow at once instead of after a minute or two, and an event
that fails every attempt is logged as dead-lettered. (A rule's own RetryPolicy covers deliveries
EventBridge cannot make, such as a throttled invoke, which never happens here.)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.local.delivery import Delivery
from infra.local.template import BusRule, FunctionSpec

log = logging.getLogger("local_stack")

_TARGET_ID = "local-delivery"


@dataclass(frozen=True)
class _Target:
    function: FunctionSpec
    queue_url: str


def rule_name(function: FunctionSpec, rule: BusRule) -> str:
    """A valid, unique EventBridge rule name (64 characters of `[.-_A-Za-z0-9]` at most)."""
    return re.sub(r"[^.\-_A-Za-z0-9]", "-", f"local-{function.name}-{rule.event_name}")[:64]


class BusDelivery(Delivery):
    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        events: Any,
        sqs: Any,
        pending: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__()
        self._sqs = sqs
        # Pending.queue: False when a queue surely holds nothing, so it is not asked.
        self._pending = pending or (lambda _url: True)
        self.events_delivered: dict[str, int] = {}  # by detail-type
        self.dead_lettered = 0
        self._targets: list[_Target] = []
        for function in functions.values():
            if not function.rules:
                continue
            queue_name = re.sub(r"[^-_A-Za-z0-9]", "-", f"local-bus-{function.name}")[:80]
            queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            for rule in function.rules:
                name = rule_name(function, rule)
                events.put_rule(
                    Name=name,
                    EventBusName=rule.bus,
                    EventPattern=json.dumps(rule.pattern),
                    State="ENABLED",
                )
                events.put_targets(
                    Rule=name,
                    EventBusName=rule.bus,
                    Targets=[{"Id": _TARGET_ID, "Arn": queue_arn}],
                )
            self._targets.append(_Target(function, queue_url))
        self._taps = self._tap_buses(functions, events, sqs)
        self.events_published: dict[str, int] = {}  # by detail-type, whoever consumes them

    @staticmethod
    def _tap_buses(functions: Mapping[str, FunctionSpec], events: Any, sqs: Any) -> list[str]:
        """A queue per bus receiving every event of the sources the functions' rules listen
        to: the count of events published, independent of who consumes them."""
        sources: dict[str, set[str]] = {}
        for function in functions.values():
            for rule in function.rules:
                listed = rule.pattern.get("source")
                if isinstance(listed, list):
                    sources.setdefault(rule.bus, set()).update(str(s) for s in listed)
        queues = []
        for bus, names in sources.items():
            queue_name = re.sub(r"[^-_A-Za-z0-9]", "-", f"local-tap-{bus}")[:80]
            queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            name = re.sub(r"[^.\-_A-Za-z0-9]", "-", f"local-tap-{bus}")[:64]
            events.put_rule(
                Name=name,
                EventBusName=bus,
                EventPattern=json.dumps({"source": sorted(names)}),
                State="ENABLED",
            )
            events.put_targets(
                Rule=name, EventBusName=bus, Targets=[{"Id": _TARGET_ID, "Arn": queue_arn}]
            )
            queues.append(queue_url)
        return queues

    def _count_published(self) -> None:
        for queue_url in self._taps:
            while self._pending(queue_url):
                messages = self._sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
                ).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    kind = str(json.loads(message["Body"]).get("detail-type"))
                    self.events_published[kind] = self.events_published.get(kind, 0) + 1
                self._sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                )

    @property
    def rule_count(self) -> int:
        return sum(len(target.function.rules) for target in self._targets)

    def _deliver_once(self) -> bool:
        self._count_published()
        delivered = False
        for target in self._targets:
            while self._pending(target.queue_url):
                answer = self._sqs.receive_message(
                    QueueUrl=target.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
                )
                messages = answer.get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    self._invoke_with_retries(target.function, json.loads(message["Body"]))
                    self._sqs.delete_message(
                        QueueUrl=target.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
                    delivered = True
        return delivered

    def _invoke_with_retries(self, function: FunctionSpec, event: dict[str, Any]) -> None:
        assert self.invoker is not None
        attempts = function.async_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                self.invoker.invoke(function, event)
                kind = str(event.get("detail-type"))
                self.events_delivered[kind] = self.events_delivered.get(kind, 0) + 1
                return
            except Exception:
                log.exception(
                    "%s failed on a %s bus event (attempt %d of %d)",
                    function.name,
                    event.get("detail-type"),
                    attempt,
                    attempts,
                )
        self.dead_lettered += 1
        log.error(
            "%s: a %s bus event was dead-lettered after %d attempts "
            "(AWS: the function's on-failure destination)",
            function.name,
            event.get("detail-type"),
            attempts,
        )
