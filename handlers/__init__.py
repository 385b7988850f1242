"""The conversation: one router per flow, assembled in the order they must be tried."""

from __future__ import annotations

from aiogram import Router


def build_router() -> Router:
    # Imported here so that importing ``handlers`` alone stays cheap.
    from handlers import fallback, feedback, followup, freetext, rating, report, start

    root = Router(name="holos")
    # Commands and anywhere-buttons first, then the flows, then a story told without a
    # button, then the catch-alls.
    flows = (start, report, followup, rating, feedback, freetext, fallback)
    root.include_routers(*(flow.router.build() for flow in flows))
    return root
