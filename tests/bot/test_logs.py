"""JSON log lines: the event name and its fields, and no message of an exception."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter


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
