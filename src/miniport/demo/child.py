"""One service of ``miniport demo``, in a process of its own: uvicorn serving an app factory.

    python -m miniport.demo.child miniport.host.web.asgi:create_app_from_env 8100

Settings come from the ``MINIPORT_<SERVICE>_*`` environment the demo prepared, and the server
runs as ``miniport serve`` runs it (``common.edge.serving``), access log included. The demo
stops its children with SIGTERM (uvicorn's graceful shutdown). On Linux a child also asks
the kernel for that SIGTERM when the demo's process dies, so even a demo killed with SIGKILL
leaves no server behind holding its port.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

from miniport.common.edge.serving import serve
from miniport.demo.layout import LOOPBACK, PARENT_PID_VARIABLE
from miniport.demo.services import FACTORIES, SETTINGS

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel send SIGTERM when the demo's process ends (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return  # not fatal: the demo still stops its children itself
    # The demo may have died between starting us and the prctl above; then nobody would
    # ever send the signal, and we have already been handed to another parent.
    if parent_pid and os.getppid() != parent_pid:
        raise SystemExit(1)


def main(argv: list[str]) -> int:
    kinds = {factory: kind for kind, factory in FACTORIES.items()}
    if len(argv) != 3 or argv[1] not in kinds or not argv[2].isdigit():
        print("usage: python -m miniport.demo.child <module:factory> <port>", file=sys.stderr)
        return 2
    factory, port = argv[1], int(argv[2])
    die_with_parent(int(os.environ.get(PARENT_PID_VARIABLE, "0") or 0))
    settings = SETTINGS[kinds[factory]]()
    serve(
        factory,
        settings,
        service=settings.service_name,
        host=LOOPBACK,
        port=port,
        lifespan="on",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
