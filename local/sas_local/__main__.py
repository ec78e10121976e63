"""`make run`: the whole platform on http://127.0.0.1:${SAS_PORT:-8080}, in the foreground, until Ctrl-C.

The platform runs isolated (`LocalPlatform(isolated=True)`): moto as a server in this process, each Lambda
function in worker processes of its own, so concurrent requests really run at once and share nothing."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from sas_common.territory import TerritoryConfigError
from sas_local.demo_editor import start_demo_editor
from sas_local.platform import LocalPlatform
from sas_local.server import make_server

HOST = "127.0.0.1"


def main() -> int:
    port = int(os.environ.get("SAS_PORT", "8080"))
    territory = os.environ.get("SAS_TERRITORY_CONFIG")
    seed = os.environ.get("SAS_SEED", "1") != "0"
    try:
        platform = (
            LocalPlatform(territory_file=Path(territory), seed=seed, isolated=True)
            if territory
            else LocalPlatform(seed=seed, isolated=True)
        )
    except TerritoryConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    platform.start()
    try:
        server = make_server(platform, HOST, port)
    except OSError as error:
        platform.stop()
        print(f"error: cannot listen on {HOST}:{port}: {error.strerror} (set SAS_PORT)", file=sys.stderr)
        return 1
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    seeded = f", {platform.seeded} demo effecteurs seeded" if platform.seed else ""
    print(f"territory {platform.territory.code} ({platform.territory.name}){seeded}", flush=True)
    print(f"AWS (moto server) on {platform.aws.endpoint_url}", flush=True)
    # It prints where it listens, or warns (one line) that its port is taken and keeps trying.
    editor = start_demo_editor(platform.territory) if seed else None
    print(f"SAS platform ready on http://{HOST}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if editor is not None:
            editor.stop()
        platform.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
