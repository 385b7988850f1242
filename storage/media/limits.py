"""The limits a file is held to that the bot also names in its answers.

Kept apart from the decoders so that the bot process, which only passes files to the
workers (:mod:`storage.media.workers`), never imports them.
"""

from __future__ import annotations

# A PDF reaches staff as a picture of each page; longer ones are refused.
MAX_PAGES = 50
# Long enough for any spoken report; Telegram voice notes are usually under two minutes.
MAX_SECONDS = 10 * 60
