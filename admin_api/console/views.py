"""Shaping domain objects for pages: SLA wording, excerpts, the changes of an event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from admin_api.console import labels
from admin_api.web.i18n import Texts
from storage.enums import OPEN_STATUSES, Status
from storage.i18n import InContext
from storage.models import AuditEvent, Case
from storage.services.audit_trail import AuditEntry

EXCERPT_CHARS = 140


@dataclass(frozen=True)
class Sla:
    text: str
    overdue: bool


def due_of(case: Case) -> datetime:
    """The deadline that matters now: acknowledgement while new, resolution after."""
    return case.acknowledge_due_at if case.status == Status.NEW else case.resolve_due_at


def sla(case: Case, now: datetime, texts: Texts) -> Sla:
    # Waiting for the reporter: the clock stands still, so no time left or overdue.
    if Status(case.status) not in OPEN_STATUSES or case.status == Status.WAITING:
        return Sla(texts.gettext(labels.STATUS[case.status]), overdue=False)
    due = due_of(case)
    if now > due:
        return Sla(texts._("overdue by {time}").format(time=texts.duration(now - due)), True)
    return Sla(texts._("{time} left").format(time=texts.duration(due - now)), False)


def clock_text(due: datetime, met: datetime | None, state: str, now: datetime, texts: Texts) -> Sla:
    """One SLA clock of the case page."""
    if state == "overdue":
        return Sla(texts._("overdue by {time}").format(time=texts.duration(now - due)), True)
    if state == "pending":
        return Sla(texts._("{time} left").format(time=texts.duration(due - now)), False)
    return Sla(texts.gettext(labels.SLA[state]), state == "met_late")


def excerpt(case: Case) -> str | None:
    """The start of a standard case's description. Sensitive descriptions are sealed:
    reading one is an audited act, done on the case page, never in a list."""
    if case.sensitive or not case.narrative:
        return None
    text = " ".join(case.narrative.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def changes(event: AuditEvent | AuditEntry, texts: Texts, names: dict[int, str]) -> list[Change]:
    before = event.before or {}
    after = event.after or {}
    result = []
    for key in [*after.keys(), *(k for k in before if k not in after)]:
        if key not in labels.FIELD:
            continue
        result.append(
            Change(
                texts.gettext(labels.FIELD[key]),
                value_text(key, before.get(key), texts, names),
                value_text(key, after.get(key), texts, names),
            )
        )
    return result


def value_text(key: str, value: Any, texts: Texts, names: dict[int, str]) -> str:
    if value is None or value == []:
        return "—"
    tables: dict[str, Mapping[str, str | InContext]] = {
        "status": labels.STATUS,
        "category": labels.CATEGORY,
        "priority": labels.PRIORITY,
        "role": labels.ROLE,
        "delivery": labels.DELIVERY,
        "outcome": labels.OUTCOME,
        "consent": labels.CONSENT,
        "template_language": labels.LANGUAGE,
    }
    table = tables.get(key)
    if table and value in table:
        return texts.gettext(table[value])
    if key == "assignee_id" and isinstance(value, int):
        return names.get(value, f"#{value}")
    if isinstance(value, bool):
        return texts._("yes") if value else texts._("no")
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)
