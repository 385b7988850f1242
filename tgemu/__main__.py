"""``python -m tgemu [host] [port] [--latency-ms MS]``: run the emulator until interrupted."""

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
    args = parser.parse_args()
    serve(args.host, args.port, latency_ms=args.latency_ms)
