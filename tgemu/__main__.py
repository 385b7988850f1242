"""``python -m tgemu [host] [port]``: run the emulator until interrupted."""

from __future__ import annotations

import sys

from tgemu.runner import serve

if __name__ == "__main__":
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8081
    serve(host, port)
