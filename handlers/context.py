"""What the runtime hands every handler beside the event (set by bot.middlewares)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReporterChat:
    """Where replies go if the reporter opts in; never logged, stored only encrypted."""

    chat_id: int

    def __repr__(self) -> str:  # keeps the id out of any accidental log line
        return "ReporterChat(<hidden>)"


@dataclass
class Outcomes:
    """What an update achieved, said by the handler and read by the runtime (metrics).

    Only fixed words go in: an event name and an outcome or catalogue code."""

    events: list[tuple[str, str]] = field(default_factory=list)

    def add(self, event: str, value: str) -> None:
        self.events.append((event, value))
