"""docs/operations.md is the runbook: it must keep up with template.yaml and the code. Every
alarm the template declares has its section (and no section names an alarm that is gone), each
says what it means, how to look and what to do; the dead-letter sections say when a redrive is
safe and cite tests that exist; the deploy steps explain every template parameter and register
the Stripe endpoint for exactly the events the code reads, at the API version it pins."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from atelier.adapters.stripe import STRIPE_API_VERSION
from infra.local.cfn import load_template_file

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template_file(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
RUNBOOK = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")

ALARMS = sorted(n for n, r in RESOURCES.items() if r.get("Type") == "AWS::CloudWatch::Alarm")
SECTION_HEADING = re.compile(r"^### `([^`]+)`[ \t]*$", re.MULTILINE)
CITED_TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def alarm_sections(text: str = RUNBOOK) -> dict[str, str]:
    """The `### `Name`` sections under `## Alarms`, each with its text up to the next heading."""
    start = text.index("\n## Alarms\n")
    end = text.find("\n## ", start + 1)
    part = text[start : end if end != -1 else len(text)]
    headings = list(SECTION_HEADING.finditer(part))
    return {
        h.group(1): part[h.end() : headings[i + 1].start() if i + 1 < len(headings) else len(part)]
        for i, h in enumerate(headings)
    }


def alarm_name(alarm: str) -> str:
    """`AlarmName: !Sub atelier-${Stage}-x` as the runbook writes it: atelier-<stage>-x."""
    name = RESOURCES[alarm]["Properties"]["AlarmName"]
    assert isinstance(name, dict) and isinstance(name.get("Fn::Sub"), str), alarm
    return str(name["Fn::Sub"]).replace("${Stage}", "<stage>")


def mismatches(alarms: list[str], sections: dict[str, str]) -> tuple[list[str], list[str]]:
    """(alarms with no section, sections naming no alarm)."""
    return sorted(set(alarms) - set(sections)), sorted(set(sections) - set(alarms))


def test_there_are_alarms_and_sections_to_compare() -> None:
    assert len(ALARMS) >= 10
    assert len(alarm_sections()) >= 10


def test_every_alarm_has_a_runbook_section_and_every_section_an_alarm() -> None:
    missing, unknown = mismatches(ALARMS, alarm_sections())
    assert missing == [], f"alarms with no section in docs/operations.md: {missing}"
    assert unknown == [], f"sections in docs/operations.md naming no alarm: {unknown}"


def test_the_comparison_catches_a_missing_section_and_an_unknown_alarm() -> None:
    """The check above, on a runbook with a section removed and one for an alarm that is not
    in the template: both are reported."""
    sections = alarm_sections()
    removed = dict(sections)
    del removed["NotifierErrorsAlarm"]
    assert mismatches(ALARMS, removed) == (["NotifierErrorsAlarm"], [])
    text = RUNBOOK + "\n### `RetiredQueueDeadLettersAlarm`\n\nGone.\n"
    assert mismatches(ALARMS, alarm_sections(text)) == ([], ["RetiredQueueDeadLettersAlarm"])
    assert mismatches([*ALARMS, "NewAlarm"], sections) == (["NewAlarm"], [])


def test_each_section_says_what_it_means_how_to_look_and_what_to_do() -> None:
    for alarm, body in alarm_sections().items():
        if alarm not in RESOURCES:
            continue  # reported by the test above
        assert f"`{alarm_name(alarm)}`" in body, f"{alarm}: its AlarmName is not given"
        for part in ("**What it means.**", "**How to look.**", "**What to do.**"):
            assert part in body, f"{alarm}: no {part}"


def test_each_dead_letter_section_says_how_and_when_to_redrive() -> None:
    queue_alarms = [a for a in ALARMS if RESOURCES[a]["Properties"]["Namespace"] == "AWS/SQS"]
    assert len(queue_alarms) >= 3
    sections = alarm_sections()
    for alarm in queue_alarms:
        body = sections[alarm]
        assert "redrive: see [redrive.md](redrive.md)" in body.lower(), alarm
        assert "**Safe to redrive**" in body, alarm
        assert CITED_TEST.search(body), f"{alarm}: cites no test proving the redrive is safe"


def test_every_test_the_runbook_cites_exists() -> None:
    cited = CITED_TEST.findall(RUNBOOK)
    assert cited
    for path, name in cited:
        source = ROOT / path
        assert source.is_file(), f"{path}: no such file"
        assert re.search(rf"^def {name}\(", source.read_text(encoding="utf-8"), re.M), (
            f"{path}::{name}: no such test"
        )


def test_every_template_parameter_is_explained_in_the_deploy_steps() -> None:
    for parameter in TEMPLATE["Parameters"]:
        assert f"| `{parameter}` |" in RUNBOOK, f"{parameter}: not in the parameter table"


def events_the_code_reads() -> set[str]:
    """The Stripe event types stripe_events.py turns into something other than IGNORED: the
    keys of its tables and the types it compares `envelope.type` with."""
    path = ROOT / "shared" / "atelier" / "adapters" / "stripe_events.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in ("_SESSION_KINDS", "_REFUND_EVENTS")
        ):
            found |= {
                str(c.value)
                for c in ast.walk(node.value)
                if isinstance(c, ast.Constant) and isinstance(c.value, str) and "." in c.value
            }
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Attribute)
            and node.left.attr == "type"
        ):
            found |= {
                str(c.value)
                for c in node.comparators
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
    return found


def test_the_stripe_endpoint_is_registered_for_the_events_the_code_reads() -> None:
    expected = events_the_code_reads()
    assert {"checkout.session.completed", "charge.refunded", "refund.failed"} <= expected
    listed = re.search(r"^- Events: (.*?)\n\n", RUNBOOK, re.M | re.S)
    assert listed, "the runbook lists no Stripe events"
    assert set(re.findall(r"`([a-z_.]+)`", listed.group(1))) == expected
    assert set(re.findall(r"enabled_events\[\]=([a-z_.]+)", RUNBOOK)) == expected


def test_the_stripe_endpoint_is_pinned_to_the_version_the_code_sends() -> None:
    assert f"- API version: `{STRIPE_API_VERSION}`" in RUNBOOK
    assert f"api_version={STRIPE_API_VERSION}" in RUNBOOK
    assert not set(re.findall(r"\b20\d\d-\d\d-\d\d\.[a-z]+\b", RUNBOOK)) - {STRIPE_API_VERSION}


def test_the_ssm_parameters_named_are_the_template_parameters() -> None:
    for parameter in ("StripeSecretParameter", "WebhookSecretParameter"):
        assert f"`{parameter}`" in RUNBOOK
        assert f"`{TEMPLATE['Parameters'][parameter]['Default']}`" in RUNBOOK
