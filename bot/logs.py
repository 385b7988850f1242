"""Logging for every Holos process: event names and pseudonyms, never message text."""

from __future__ import annotations

import logging
import sys


class _Quiet(logging.Filter):
    """Third-party loggers below WARNING can print request bodies or ids: drop them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.startswith("holos") or record.levelno >= logging.WARNING


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(_Quiet())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiogram logs every update at INFO with user ids ("Update id=… is handled"); uvicorn's
    # access log carries paths. Neither belongs in our logs.
    for name in ("aiogram", "aiogram.event", "uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
