"""Where the demo's five services live: a data directory and one loopback port each.

The defaults follow the services' own: the platform on 8000, the host apps from 8100 and the
stores after them, one hundred apart so a person can tell them apart in the address bar.
``miniport demo`` takes each port as an option (or ``MINIPORT_DEMO_*_PORT``), which is how
tests run a whole demo on free ports beside a running one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"
DEFAULT_DATA_DIR = Path("var/demo")
DEFAULT_PORTS = {
    "platform": 8000,
    "xiaohongshu": 8100,
    "jd": 8200,
    "gucci": 8300,
    "louis-vuitton": 8400,
}
# The order services are seeded, started, listed and stopped in.
SERVICE_KEYS = tuple(DEFAULT_PORTS)
# Tells a server process which process started it (see ``miniport.demo.child``).
PARENT_PID_VARIABLE = "MINIPORT_DEMO_PARENT_PID"


@dataclass(frozen=True)
class DemoLayout:
    data_dir: Path = DEFAULT_DATA_DIR
    platform_port: int = DEFAULT_PORTS["platform"]
    xiaohongshu_port: int = DEFAULT_PORTS["xiaohongshu"]
    jd_port: int = DEFAULT_PORTS["jd"]
    gucci_port: int = DEFAULT_PORTS["gucci"]
    louis_vuitton_port: int = DEFAULT_PORTS["louis-vuitton"]
    # Tests only: argon2 at its cheapest, for seeding and for the servers' sign-ins. The demo
    # itself hashes at the services' defaults, as a real deployment would.
    cheap_hashing: bool = False

    def port(self, key: str) -> int:
        ports = {
            "platform": self.platform_port,
            "xiaohongshu": self.xiaohongshu_port,
            "jd": self.jd_port,
            "gucci": self.gucci_port,
            "louis-vuitton": self.louis_vuitton_port,
        }
        return ports[key]

    def url(self, key: str) -> str:
        return f"http://{LOOPBACK}:{self.port(key)}"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"
