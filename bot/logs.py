"""Logging for every Holos process: event names, never keys of people or message text.

Every Holos log line is an event name and a few ``key=value`` words
(``delivery_retry outbox_id=12 reason=429``). ``HOLOS_LOG_FORMAT=json`` prints each as
one JSON object (``{"ts": …, "level": …, "logger": …, "event": …, "outbox_id": "12"}``)
for a log collector; the default is plain text for a terminal.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

FORMATS = ("text", "json")
# Loggers whose lines a reporter's message causes: their time is kept to the minute, as
# the case's own (README, "No timing trail"): a line to the millisecond, next to a
# copy of the database, would time a report more finely than the case itself does.
# Staff-side lines (the API, sign-in, delivery) keep their seconds.
REPORTER_SIDE = "holos.bot"


def _reporter_side(record: logging.LogRecord) -> bool:
    return record.name == REPORTER_SIDE or record.name.startswith(REPORTER_SIDE + ".")


def timestamp(record: logging.LogRecord) -> str:
    """When the line was written: to the minute on the reporter's side, else to the ms."""
    moment = datetime.fromtimestamp(record.created, UTC)
    if _reporter_side(record):
        return moment.isoformat(timespec="minutes")
    return moment.isoformat(timespec="milliseconds")


class _Quiet(logging.Filter):
    """Third-party loggers below WARNING can print request bodies or ids: drop them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.startswith("holos") or record.levelno >= logging.WARNING


class JsonFormatter(logging.Formatter):
    """One JSON object per line: the event name and its ``key=value`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        head, _, rest = message.partition("\n")  # a traceback's frames follow the event
        words = head.split()
        entry: dict[str, object] = {
            "ts": timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": words[0] if words else "",
        }
        for word in words[1:]:
            key, sep, value = word.partition("=")
            if sep and key not in entry:
                entry[key] = value
        if rest:
            entry["frames"] = rest
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: an exception's message can quote what a person wrote.
            entry["error"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``<time> <LEVEL> <logger> <event …>``, the time as :func:`timestamp` keeps it."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return timestamp(record)


def configure_logging(level: str = "INFO", fmt: str | None = None) -> None:
    fmt = (fmt or os.environ.get("HOLOS_LOG_FORMAT") or "text").lower()
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    handler.addFilter(_Quiet())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiogram logs every update at INFO with user ids ("Update id=… is handled"); uvicorn's
    # access log carries paths. Neither belongs in our logs.
    for name in ("aiogram", "aiogram.event", "uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
