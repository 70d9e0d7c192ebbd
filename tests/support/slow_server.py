"""A server process for shutdown tests: the shared core serving only the probe service.

Run as a script with the ordinary service flags, for example::

    python tests/support/slow_server.py --home /tmp/h --ready-file /tmp/h/ready.json \
        --shutdown-grace-seconds 10 --insecure-no-auth

It serves until SIGTERM or SIGINT, drains in-flight calls the way every Slipway service does, and
exits 0. The probe's ``Sleep`` method gives the tests a call of any length to keep in flight.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from slipway.core.bootstrap import parse_settings  # noqa: E402  (after the path set-up)
from slipway.core.logs import configure_logging  # noqa: E402
from slipway.core.server import SlipwayServer, run_until_signalled  # noqa: E402
from slipway.core.settings import ServiceSettings  # noqa: E402
from support.probe import PROBE_ROLES, probe_handler  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_settings(ServiceSettings, argv, "slow_server")
    configure_logging(settings.log_format, settings.log_level, service="slow-server")
    server = SlipwayServer(settings, [], role_table=PROBE_ROLES, extra_handlers=[probe_handler()])
    asyncio.run(run_until_signalled(server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
