"""``python -m tgemu [host] [port] [--latency-ms MS] [--webhook-retry S S]``: run the emulator
until interrupted."""

from __future__ import annotations

import argparse

from tgemu.runner import serve

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tgemu")
    parser.add_argument("host", nargs="?", default="127.0.0.1")
    parser.add_argument("port", nargs="?", type=int, default=8081)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay added to every Bot API call"
    )
    parser.add_argument(
        "--webhook-retry",
        nargs=2,
        type=float,
        metavar=("FIRST", "MAX"),
        default=(1.0, 60.0),
        help="seconds before a failed webhook delivery is tried again: first, and at most",
    )
    args = parser.parse_args()
    first, most = args.webhook_retry
    serve(
        args.host,
        args.port,
        latency_ms=args.latency_ms,
        webhook_retry_initial=first,
        webhook_retry_max=most,
    )
