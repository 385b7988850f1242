"""The conversation: one router per flow, assembled in the order they must be tried."""

from __future__ import annotations

from aiogram import Router


def build_router() -> Router:
    # Imported here so that importing ``handlers`` alone stays cheap.
    from handlers import fallback, followup, rating, report, start

    root = Router(name="holos")
    # Commands and anywhere-buttons first, then the flows, then the catch-alls.
    root.include_routers(
        start.router, report.router, followup.router, rating.router, fallback.router
    )
    return root
