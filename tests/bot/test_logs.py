"""JSON log lines: the event name and its fields, and no message of an exception."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from bot.logs import JsonFormatter, TextFormatter


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc else None
    return logging.LogRecord("holos.delivery", logging.INFO, __file__, 1, message, args, exc_info)


def test_an_event_becomes_one_json_object_with_its_fields() -> None:
    line = JsonFormatter().format(record("delivery_retry outbox_id=%s reason=%s", 12, "429"))
    entry = json.loads(line)
    assert "\n" not in line
    assert (entry["event"], entry["outbox_id"], entry["reason"]) == ("delivery_retry", "12", "429")
    assert entry["level"] == "info" and entry["logger"] == "holos.delivery"


def test_an_exception_shows_its_type_but_never_its_message() -> None:
    secret = "Мене звати Оксана, мій номер +380671234567"
    line = JsonFormatter().format(record("update_failed", exc=ValueError(secret)))
    entry = json.loads(line)
    assert entry["error"] == "ValueError"
    assert secret not in line and "380671234567" not in line


def test_a_line_a_reporter_caused_keeps_the_minute_and_a_staff_line_its_seconds() -> None:
    """Issue 18, "timing trail": a line like ``report_submitted`` to the millisecond,
    beside a copy of the database, would time a report more finely than the case does."""
    moment = datetime(2026, 3, 2, 9, 17, 23, 456000, tzinfo=UTC).timestamp()
    reporter = logging.LogRecord("holos.bot.report", logging.INFO, __file__, 1, "x", (), None)
    staff = logging.LogRecord("holos.delivery", logging.INFO, __file__, 1, "x", (), None)
    for each in (reporter, staff):
        each.created = moment
    assert json.loads(JsonFormatter().format(reporter))["ts"] == "2026-03-02T09:17+00:00"
    assert json.loads(JsonFormatter().format(staff))["ts"] == "2026-03-02T09:17:23.456+00:00"
    assert TextFormatter().format(reporter).startswith("2026-03-02T09:17+00:00 INFO holos.bot")
    assert TextFormatter().format(staff).startswith("2026-03-02T09:17:23.456+00:00 INFO")
