"""The emulator's clock: real time plus an offset that tests can advance.

Message dates and Telegram's 48-hour deletion rule are judged by this clock, so a test can
"wait two days" instantly. Waiting (long polls, webhook backoff) still uses real time.
"""

from __future__ import annotations

import time


class EmulatorClock:
    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def unix(self) -> int:
        return int(self.now())

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never backwards: Telegram's dates only grow)."""
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        self.offset += seconds
        return self.now()
