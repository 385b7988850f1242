"""What the runtime hands every handler beside the event (set by bot.middlewares)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReporterChat:
    """Where replies go if the reporter opts in; never logged, stored only encrypted."""

    chat_id: int

    def __repr__(self) -> str:  # keeps the id out of any accidental log line
        return "ReporterChat(<hidden>)"
