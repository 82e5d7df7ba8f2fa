"""``python -m benchmarks.serve PORT LOOP HTTP``: the platform exactly as
``miniport serve platform --host 127.0.0.1 --port PORT`` serves it (``run_platform``: the
same preflight, uvicorn options, access log and edge), with uvicorn's event loop and HTTP
parser chosen (``auto auto`` is the command's own choice). Settings come from the
environment, so ``MINIPORT_PLATFORM_ACCESS_LOG=false`` measures the server without its
access log.
"""

from __future__ import annotations

import sys

from benchmarks.wrk import LOOPBACK
from miniport.cli.serve import run_platform


def main(argv: list[str]) -> int:
    if len(argv) != 4 or not argv[1].isdigit():
        print("usage: python -m benchmarks.serve PORT LOOP HTTP", file=sys.stderr)
        return 2
    run_platform(host=LOOPBACK, port=int(argv[1]), workers=1, loop=argv[2], http=argv[3])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
