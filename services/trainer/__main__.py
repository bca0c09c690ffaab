"""``python -m services.trainer``: run one trainer process until SIGTERM or Ctrl-C.

Configuration comes from the environment: ``KAFKA_*`` (cluster), ``SPARK_MASTER`` and
``TRAINER_*`` (see ``settings.py``). ``/metrics`` and ``/health/*`` are served on
``TRAINER_METRICS_PORT``; ready means Spark is up and the worker has joined its group.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from pydantic import ValidationError

from spindrift.kafka.lag import LagMonitor
from spindrift.kafka.readiness import ClusterUnavailable, wait_for_cluster
from spindrift.kafka.settings import KafkaSettings
from spindrift.observability import HealthServer

from .functions import load_functions_module, registered_functions
from .settings import TrainerSettings
from .worker import TrainerWorker, describe_settings

log = logging.getLogger("services.trainer")


def main(argv: Sequence[str] | None = None) -> int:
    """Start the health server and the worker; return the process exit code."""
    # No options: settings come from the environment; --help says which (the console script spindrift-trainer).
    argparse.ArgumentParser(
        prog="spindrift-trainer", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("kafka", "py4j"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = TrainerSettings()
        kafka = KafkaSettings()
    except ValidationError as exc:
        print(
            f"trainer: invalid settings:\n{exc}\nFix the TRAINER_*/KAFKA_*/SPARK_MASTER variables named above.",
            file=sys.stderr,
        )
        return 2
    if settings.functions_module:
        load_functions_module(settings.functions_module)
    log.info("settings %s; training functions: %s", describe_settings(settings), registered_functions() or "none")
    worker = TrainerWorker(settings, kafka)
    health = HealthServer(
        settings.metrics_port, lambda: worker.ready, status=worker.status, host=settings.metrics_host
    ).start()
    log.info("health and metrics on http://%s:%d (/metrics, /health/ready)", settings.metrics_host, health.port)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping (a running job is handed back to the group)", signum)
        worker.stop()
        if not worker.ready:
            raise KeyboardInterrupt  # still starting (e.g. Spark): nothing to hand back, leave at once

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("waiting up to %.0f s for Kafka at %s", kafka.connect_timeout_s, kafka.bootstrap_servers)
    lag: LagMonitor | None = None
    try:
        wait_for_cluster(kafka, kafka.connect_timeout_s)
        # Only once the cluster answers: a lag monitor on a missing broker would log its own errors
        # over the one line that says what is wrong.
        lag = LagMonitor(kafka, settings.group_id, [settings.requests_topic]).start()
        worker.run()
    except KeyboardInterrupt:
        log.info("stopped while starting")
        return 0
    except ClusterUnavailable as exc:
        log.error("%s", exc)
        return 1
    except Exception:
        log.exception("trainer stopped by an error (Kafka at %s, KAFKA_BOOTSTRAP_SERVERS)", kafka.bootstrap_servers)
        return 1
    finally:
        if lag is not None:
            lag.stop()
        health.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
