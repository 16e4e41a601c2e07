"""What every email is made of: paragraphs that apply when their values are present, the
greeting and sign-off, and the HTML layout."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from string import Template
from typing import Literal

Kind = Literal["customer", "staff"]


@dataclass(frozen=True)
class Paragraph:
    source: str
    when: str | None = None  # shown only when this value is non-empty
    unless: str | None = None  # shown only when this value is empty

    def names(self) -> list[str]:
        return list(Template(self.source).get_identifiers())


@dataclass(frozen=True)
class EmailTemplate:
    name: str
    kind: Kind
    subject: str
    paragraphs: tuple[Paragraph, ...]


P = Paragraph

GREETING = "Hello $name,"
GREETING_WITHOUT_NAME = "Hello,"
CUSTOMER_SIGN_OFF = "Kind regards,\nThe Atelier workshop"
STAFF_SIGN_OFF = "Sent by the Atelier notifier."

HTML_LAYOUT = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$subject</title>
</head>
<body style="margin:0;padding:24px;background:#ffffff;color:#222222;\
font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;">
<div style="max-width:560px;margin:0 auto;">
$body
</div>
</body>
</html>
"""
)
HTML_PARAGRAPH = Template('<p style="margin:0 0 16px 0;">$text</p>')
HTML_LINK = Template('<a href="$href">$text</a>')


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    kind: Kind


def fill(template: EmailTemplate, values: Mapping[str, str], to: str) -> Email:
    """Subject, text and HTML of one email; every value is escaped in the HTML."""
    shown = [p for p in template.paragraphs if _applies(p, values)]
    greeting = GREETING if values.get("name") else GREETING_WITHOUT_NAME
    sign_off = CUSTOMER_SIGN_OFF if template.kind == "customer" else STAFF_SIGN_OFF
    sources = [p.source for p in shown]
    if template.kind == "customer":
        sources.insert(0, greeting)
    sources.append(sign_off)

    subject = " ".join(Template(template.subject).substitute(values).split())
    text = "\n\n".join(Template(source).substitute(values) for source in sources) + "\n"
    html_values = {name: _html_value(name, value) for name, value in values.items()}
    paragraphs = "\n".join(
        HTML_PARAGRAPH.substitute(
            text=Template(_html_text(source)).substitute(html_values),
        )
        for source in sources
    )
    page = HTML_LAYOUT.substitute(subject=html.escape(subject), body=paragraphs)
    return Email(to=to, subject=subject, text=text, html=page, kind=template.kind)


def _applies(paragraph: Paragraph, values: Mapping[str, str]) -> bool:
    if not all(values.get(name) for name in paragraph.names()):
        return False
    if paragraph.when is not None and not values.get(paragraph.when):
        return False
    return not (paragraph.unless is not None and values.get(paragraph.unless))


LINKABLE = re.compile(r"^https?://[^\s<>\"']+$")


def _html_text(source: str) -> str:
    """A template's own words escaped (placeholders survive: `$` and names are not touched)."""
    return html.escape(source, quote=False).replace("\n", "<br>\n")


def _html_value(name: str, value: str) -> str:
    if name.endswith("_url") and LINKABLE.match(value):
        return HTML_LINK.substitute(href=html.escape(value, quote=True), text=html.escape(value))
    return html.escape(value, quote=True).replace("\n", "<br>\n")


# ---------------------------------------------------------------------------- facts
