"""Fault injection: make the next calls of a method fail the way Telegram or the network can.

Faults are queued per bot token and per method (``"*"`` matches any method) and consumed one
per call, so a test states exactly how many calls misbehave. Every call that met a fault is
recorded with the fault's name, so the test can see the bot retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["retry_after", "server_error", "drop", "delay"]
FAULT_KINDS: tuple[FaultKind, ...] = ("retry_after", "server_error", "drop", "delay")
ANY_METHOD = "*"


@dataclass(slots=True)
class Fault:
    kind: FaultKind
    method: str
    remaining: int | None  # None: until cleared (only sensible for delays)
    retry_after: int = 1
    seconds: float = 0.0

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "method": self.method,
            "remaining": self.remaining,
            "retry_after": self.retry_after,
            "seconds": self.seconds,
        }


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def take(self, method: str) -> Fault | None:
        """Consume the first fault that applies to ``method`` (exact name before ``*``)."""
        for wanted in (method, ANY_METHOD):
            for fault in self._faults:
                if fault.method.lower() == wanted.lower():
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None
