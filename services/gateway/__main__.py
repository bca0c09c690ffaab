"""Run the gateway: ``python -m services.gateway`` (uvicorn on GATEWAY_HOST:GATEWAY_PORT, default 127.0.0.1:8080).

Every setting is a ``GATEWAY_*`` environment variable (see settings.py); Kafka is configured
with ``KAFKA_*`` (``KAFKA_BOOTSTRAP_SERVERS``). Binding to a non-loopback address without
``GATEWAY_API_KEYS`` is refused.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import uvicorn
from pydantic import ValidationError

from spindrift.kafka.settings import KafkaSettings

from .app import create_app
from .settings import GatewaySettings

log = logging.getLogger("services.gateway")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    # No options: settings come from the environment; --help says which (the console script spindrift-gateway).
    argparse.ArgumentParser(
        prog="spindrift-gateway", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("kafka").setLevel(logging.WARNING)
    try:
        settings = GatewaySettings()
        kafka = KafkaSettings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        print(f"gateway: invalid settings (GATEWAY_*/KAFKA_* variables): {problems}", file=sys.stderr)
        return 2
    problem = settings.startup_problem()
    if problem is not None:
        print(f"gateway: {problem}", file=sys.stderr)
        return 2
    log.info("gateway on http://%s:%d (Kafka at %s)", settings.host, settings.port, kafka.bootstrap_servers)
    uvicorn.run(
        create_app(settings, kafka),
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
