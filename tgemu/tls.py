"""One TLS context for the emulator's HTTP clients."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """httpx's default TLS context, made once: every new client otherwise builds its own
    and loads the CA bundle into it (about 20 ms of CPU), and a test suite makes a client
    per test. The emulator is plain HTTP; this only keeps that cost away."""
    return httpx.create_ssl_context()
