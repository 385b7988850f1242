"""Prometheus metrics of the bot, in the default registry; they name no person.

Four counters: updates handled, reports submitted, deliveries of the outbox worker and
receipt lookups. Every label value comes from a small fixed set (update types, the
category catalog, outbox kinds, outcomes): never an id, pseudonym, username or text.

The conversation's outcomes come from the handlers themselves: each update carries an
:class:`handlers.context.Outcomes` record, handlers add fixed words to it ("a report in
this category was submitted", "a receipt lookup missed"), and :class:`OutcomeMiddleware`
turns them into counts. Handlers know nothing of Prometheus (that is the runtime's, in ``bot``).

Sensitive categories (SEA, GBV, …) share one label, ``sensitive``: a per-category count
would tell a watcher that a report of that kind just arrived. No ``_created`` series.

``holos run`` serves these on the metrics listener (``HOLOS_METRICS_HOST``/``PORT``):
the API's registry is scraped there, and the CLI adds :class:`DefaultRegistryBridge` to it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from enum import StrEnum
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.metrics_core import Metric

from handlers.context import Outcomes
from storage.catalog import Catalog
from storage.enums import OutboxKind

log = logging.getLogger("holos.bot.metrics")

disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

UNKNOWN = "unknown"
SENSITIVE = "sensitive"


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
    # A one-time claim code exchanged for the person's own receipt code, or tried again.
    CLAIMED = "claimed"
    CLAIM_USED = "claim_used"


UPDATES = Counter(
    "holos_bot_updates",
    "Telegram updates handled, by update type and outcome (ok, error).",
    ["type", "outcome"],
)
REPORTS = Counter(
    "holos_bot_reports_submitted",
    "Reports stored from the bot, by category (every sensitive category counts as 'sensitive').",
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
RECEIPT_LOOKUPS_DELAYED = Counter(
    "holos_bot_receipt_lookups_delayed",
    "Receipt-code lookups made to wait because wrong codes passed the global hourly count "
    "(a new pseudonym's first lookup of the hour; never refused).",
)
QUOTA_REACHED = Counter(
    "holos_bot_quota_reached",
    "Reports or files not taken because the person's daily quota was used up, by quota.",
    ["quota"],
)
QUOTAS = ("reports", "attachment_bytes")
for _quota in QUOTAS:
    QUOTA_REACHED.labels(quota=_quota)

API_CALLS = Counter(
    "holos_bot_api_calls",
    "Bot API call attempts, by method and result (ok, retry_after, server_error, "
    "network_error, error).",
    ["method", "result"],
)
API_RETRIES = Counter(
    "holos_bot_api_retries",
    "Bot API calls tried again, by method and reason (retry_after, server_error, network).",
    ["method", "reason"],
)
HANDLING_SECONDS = Histogram(
    "holos_bot_update_handling_seconds",
    "Time from an update's arrival in the dispatcher to the end of its handling, by type.",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
FLOOD_NOTICES = Counter(
    "holos_bot_flood_notices",
    "Notices sent to a person who sent too much too fast (one per flood window).",
)
FLOOD_DROPPED = Counter(
    "holos_bot_flood_dropped",
    "Messages and button presses dropped as part of a flood.",
)
REPEATED_UPDATES = Counter(
    "holos_bot_repeated_updates",
    "Updates Telegram delivered again whose effects were already stored (not handled again).",
)
OUTBOX_DEPTH = Gauge(
    "holos_outbox_unsent",
    "Replies and surveys waiting to be delivered (seen by this instance's delivery worker).",
)
OUTBOX_OLDEST_AGE = Gauge(
    "holos_outbox_oldest_unsent_age_seconds",
    "Age of the oldest reply or survey not yet delivered (0 when none waits).",
)
DATABASE_UNAVAILABLE = Counter(
    "holos_bot_database_unavailable",
    "Updates answered with 'try again in a minute' because the database was unreachable.",
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
        started = time.perf_counter()
        try:
            result = await handler(event, data)
            outcome = UpdateOutcome.OK
            return result
        finally:
            HANDLING_SECONDS.labels(type=kind).observe(time.perf_counter() - started)
            UPDATES.labels(type=kind, outcome=outcome.value).inc()


class OutcomeMiddleware(BaseMiddleware):
    """Inner middleware on messages and button presses: gives the handler an
    :class:`Outcomes` record, and counts what it says once the handler is done."""

    def __init__(self, catalog: Catalog) -> None:
        self.labels = {c.code: SENSITIVE if c.sensitive else c.code for c in catalog.categories}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        outcomes = data["outcomes"] = Outcomes()
        result = await handler(event, data)
        for name, value in outcomes.events:
            if name == "receipt_lookup" and value in LookupOutcome._value2member_map_:
                RECEIPT_LOOKUPS.labels(outcome=value).inc()
            elif name == "receipt_lookup_delayed":
                RECEIPT_LOOKUPS_DELAYED.inc()
            elif name == "quota_reached" and value in ("reports", "attachment_bytes"):
                QUOTA_REACHED.labels(quota=value).inc()
            elif name == "report_submitted":
                REPORTS.labels(category=self.labels.get(value, UNKNOWN)).inc()
        return result


class DefaultRegistryBridge:
    """A collector that shows the default registry (these counters, process and GC
    metrics) inside another registry, such as the API app's own."""

    def __init__(self, source: CollectorRegistry = REGISTRY) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        return self.source.collect()


def expose_in(registry: CollectorRegistry) -> None:
    registry.register(DefaultRegistryBridge())
