"""Prometheus metrics of the bot, in the default registry (SPEC §4: no identities in them).

Four counters: updates handled, reports submitted, deliveries of the outbox worker and
receipt lookups. Every label value comes from a small fixed set (update types, the
category catalog, outbox kinds, outcomes): never an id, pseudonym, username or text.

How the conversation's outcomes are counted without ``handlers`` knowing about metrics
(SPEC §8: handlers may import only ``storage``): :class:`OutcomeMiddleware` wraps the two
handlers whose outcome matters and reads what they left in the conversation state.

* A receipt lookup is the message handled by ``followup.on_code``. Afterwards the state
  is ``FollowUp.viewing`` (found), cleared (throttled), or still ``FollowUp.code``:
  malformed when storage's own :func:`normalize_receipt_code` refuses the text (the
  check the lookup makes first), missed otherwise.
* A report is submitted when ``report.on_send`` ends the draft (the state is cleared);
  the category is the draft's, as the handler read it.

This needs no change in ``handlers`` and no extra query. The price is knowing which two
handlers to watch and how they leave the state; the metric tests fail if that changes.

``holos run`` serves these from the API's ``/metrics``: the API app has its own
registry, and the CLI adds :class:`DefaultRegistryBridge` to it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from enum import StrEnum
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject, Update
from prometheus_client import REGISTRY, CollectorRegistry, Counter
from prometheus_client.metrics_core import Metric

from handlers import followup, report
from handlers.states import FollowUp
from storage.catalog import Catalog
from storage.crypto import normalize_receipt_code
from storage.enums import OutboxKind
from storage.errors import InvalidReceiptCode

log = logging.getLogger("holos.bot.metrics")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

UNKNOWN = "unknown"


class UpdateOutcome(StrEnum):
    OK = "ok"
    ERROR = "error"


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    UNDELIVERABLE = "undeliverable"


class LookupOutcome(StrEnum):
    FOUND = "found"
    MISSED = "missed"
    THROTTLED = "throttled"
    MALFORMED = "malformed"


UPDATES = Counter(
    "holos_bot_updates",
    "Telegram updates handled, by update type and outcome (ok, error).",
    ["type", "outcome"],
)
REPORTS = Counter(
    "holos_bot_reports_submitted",
    "Reports stored from the bot, by category.",
    ["category"],
)
DELIVERIES = Counter(
    "holos_bot_deliveries",
    "Outbox delivery attempts, by kind (reply, handling_survey) and outcome.",
    ["kind", "outcome"],
)
RECEIPT_LOOKUPS = Counter(
    "holos_bot_receipt_lookups",
    "Receipt-code lookups by outcome (found, missed, throttled, malformed).",
    ["outcome"],
)

# Present from the start at 0, so a dashboard can rate() a series before its first event.
for _kind in OutboxKind:
    for _outcome in DeliveryOutcome:
        DELIVERIES.labels(kind=_kind.value, outcome=_outcome.value)
for _lookup in LookupOutcome:
    RECEIPT_LOOKUPS.labels(outcome=_lookup.value)


def delivery(kind: OutboxKind, outcome: DeliveryOutcome) -> None:
    DELIVERIES.labels(kind=kind.value, outcome=outcome.value).inc()


def update_type(update: Update) -> str:
    """The update's kind ("message", "callback_query", …): a field name of Update."""
    try:
        return update.event_type
    except Exception:  # aiogram raises for a kind it does not know
        return UNKNOWN


class UpdateMetricsMiddleware(BaseMiddleware):
    """Outer middleware on updates: one count per update, ok or error.

    Registered before the unit-of-work middleware, so a failed commit counts as an error;
    aiogram's error handlers run outside it, so a handled failure still counts as one."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = update_type(event) if isinstance(event, Update) else UNKNOWN
        outcome = UpdateOutcome.ERROR
        try:
            result = await handler(event, data)
            outcome = UpdateOutcome.OK
            return result
        finally:
            UPDATES.labels(type=kind, outcome=outcome.value).inc()


class OutcomeMiddleware(BaseMiddleware):
    """Inner middleware on messages and button presses: the outcome of a receipt lookup
    or a submission, read from the conversation state (see the module docstring)."""

    def __init__(self, catalog: Catalog) -> None:
        self.categories = frozenset(c.code for c in catalog.categories)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        callback = getattr(data.get("handler"), "callback", None)
        state: FSMContext | None = data.get("state")
        if state is None or callback not in (followup.on_code, report.on_send):
            return await handler(event, data)
        draft = await state.get_data()
        result = await handler(event, data)
        after = await state.get_state()
        if callback is followup.on_code and isinstance(event, Message):
            RECEIPT_LOOKUPS.labels(outcome=lookup_outcome(event.text or "", after).value).inc()
        elif callback is report.on_send and after is None:
            category = draft.get("category")
            REPORTS.labels(category=category if category in self.categories else UNKNOWN).inc()
        return result


def lookup_outcome(typed: str, state_after: str | None) -> LookupOutcome:
    if state_after == FollowUp.viewing.state:
        return LookupOutcome.FOUND
    if state_after is None:
        return LookupOutcome.THROTTLED
    try:
        normalize_receipt_code(typed)
    except InvalidReceiptCode:
        return LookupOutcome.MALFORMED
    return LookupOutcome.MISSED


class DefaultRegistryBridge:
    """A collector that shows the default registry (these counters, process and GC
    metrics) inside another registry, such as the API app's own."""

    def __init__(self, source: CollectorRegistry = REGISTRY) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        return self.source.collect()


def expose_in(registry: CollectorRegistry) -> None:
    registry.register(DefaultRegistryBridge())
