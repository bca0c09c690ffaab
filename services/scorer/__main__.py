"""Run a scorer: ``python -m services.scorer [options]`` (request/reply) or ``--stream IN:OUT --model NAME``.

Every option has a ``SCORER_*`` environment variable (see settings.py); the command line wins.
Kafka is configured with ``KAFKA_*`` variables (``KAFKA_BOOTSTRAP_SERVERS``). SIGTERM or
Ctrl-C finishes the batch in hand, commits its offsets and leaves the consumer group.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spindrift.kafka.group import TopicNotFound
from spindrift.kafka.readiness import ClusterUnavailable, wait_for_cluster
from spindrift.kafka.settings import KafkaSettings
from spindrift.kafka.topics import TopicSpec
from spindrift.serving.model_store import ResolveError

from .service import ScorerService, StreamSpec
from .settings import ScorerSettings
from .stream import parse_stream_spec

log = logging.getLogger("services.scorer")


def build_parser() -> argparse.ArgumentParser:
    """The command line; options left out keep their SCORER_* environment value or default."""
    p = argparse.ArgumentParser(prog="spindrift-scorer", description=__doc__.split("\n\n")[0])
    p.add_argument("--group-id", help="consumer group shared by all scorers (SCORER_GROUP_ID)")
    p.add_argument("--requests-topic", help="topic of score requests (SCORER_REQUESTS_TOPIC)")
    p.add_argument("--dlq-topic", help="dead-letter topic (SCORER_DLQ_TOPIC)")
    p.add_argument("--max-batch-rows", type=int, help="most rows per vectorised call (SCORER_MAX_BATCH_ROWS)")
    p.add_argument("--max-wait-ms", type=float, help="longest wait to fill a small batch (SCORER_MAX_WAIT_MS)")
    p.add_argument(
        "--no-batching",
        dest="batching",
        action="store_false",
        default=None,
        help="score requests one at a time (SCORER_BATCHING=false)",
    )
    p.add_argument("--metrics-port", type=int, help="port of /metrics and /health; 0 = any free (SCORER_METRICS_PORT)")
    p.add_argument("--cache-dir", type=Path, help="where model artifacts are unpacked (SCORER_CACHE_DIR)")
    p.add_argument("--scorer-id", help="name put in every reply (SCORER_SCORER_ID)")
    p.add_argument(
        "--ready-timeout",
        type=float,
        default=300.0,
        help="seconds to wait for the registry catch-up before giving up (default 300)",
    )
    stream = p.add_argument_group("stream mode")
    stream.add_argument("--stream", metavar="IN:OUT", help="enrich events of topic IN with predictions onto topic OUT")
    stream.add_argument("--model", help="model name (stream mode)")
    stream.add_argument("--version", help="version number or alias (stream mode; default: production, else latest)")
    stream.add_argument(
        "--columns", help="comma-separated prediction columns to add (default: the last stage's outputs)"
    )
    stream.add_argument("--stream-group-id", help="consumer group of the stream (default: spindrift-stream-MODEL-IN)")
    return p


def settings_from_args(args: argparse.Namespace) -> ScorerSettings:
    """ScorerSettings from the environment, overridden by the options given on the command line."""
    fields = (
        "group_id",
        "requests_topic",
        "dlq_topic",
        "max_batch_rows",
        "max_wait_ms",
        "batching",
        "metrics_port",
        "cache_dir",
        "scorer_id",
    )
    overrides: dict[str, Any] = {f: getattr(args, f) for f in fields if getattr(args, f) is not None}
    return ScorerSettings(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("kafka").setLevel(logging.WARNING)
    stream_spec: StreamSpec | None = None
    try:
        settings = settings_from_args(args)
        kafka = KafkaSettings()
        if args.stream:
            if not args.model:
                parser.error("--stream needs --model NAME")
            in_topic, out_topic = parse_stream_spec(args.stream)
            columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
            stream_spec = StreamSpec(in_topic, out_topic, args.model, args.version, columns, args.stream_group_id)
        elif args.model or args.version or args.columns:
            parser.error("--model, --version and --columns only apply with --stream IN:OUT")
    except (ValidationError, ValueError) as exc:
        parser.error(str(exc))

    stop = threading.Event()
    serving = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        log.info(
            "%s received: finishing the current batch, committing and leaving the group", signal.Signals(signum).name
        )
        stop.set()
        if not serving.is_set():
            raise KeyboardInterrupt  # still starting (a broker call may block for long): leave at once

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    log.info("waiting up to %.0f s for Kafka at %s", kafka.connect_timeout_s, kafka.bootstrap_servers)
    try:
        wait_for_cluster(kafka, kafka.connect_timeout_s, still_starting=lambda: not stop.is_set())
    except KeyboardInterrupt:
        return 0
    except ClusterUnavailable as exc:
        if stop.is_set():
            return 0
        log.error("%s", exc)
        return 1
    service = ScorerService(kafka, settings)
    try:
        extra = [TopicSpec(stream_spec.in_topic), TopicSpec(stream_spec.out_topic)] if stream_spec else []
        service.start(extra)
        deadline = time.monotonic() + args.ready_timeout
        while not service.wait_ready(1.0):  # short waits so SIGTERM during start-up is honoured
            if stop.is_set():
                return 0
            if time.monotonic() > deadline:
                log.error(
                    "the registry did not catch up within %.0f s; is Kafka at %s healthy?",
                    args.ready_timeout,
                    kafka.bootstrap_servers,
                )
                return 1
        serving.set()  # from here on SIGTERM finishes the batch in hand instead of interrupting
        if stream_spec is None:
            service.run_request_reply(stop)
        else:
            if not _wait_for_model(service, stream_spec, stop):
                return 0
            service.run_stream(stream_spec, stop)
    except KeyboardInterrupt:
        log.info("stopped while starting")
        return 0
    except TopicNotFound as exc:
        log.error("%s", exc)
        return 1
    except Exception as exc:  # e.g. the broker went away for good: one clear line, a non-zero exit
        log.error(
            "scorer stopped by %s: %s (Kafka at %s, KAFKA_BOOTSTRAP_SERVERS)",
            type(exc).__name__,
            exc,
            kafka.bootstrap_servers,
        )
        log.debug("traceback", exc_info=True)
        return 1
    finally:
        service.close()
    log.info("scorer %s stopped", settings.scorer_id)
    return 0


def _wait_for_model(service: ScorerService, spec: StreamSpec, stop: threading.Event) -> bool:
    """Stream mode starts consuming only once its model resolves here, so no event fails for want of it."""
    next_log = 0.0
    while not stop.is_set():
        try:
            loaded = service.runtime.snapshot().resolve(spec.model, spec.version)
        except ResolveError as exc:
            if time.monotonic() >= next_log:
                log.warning(
                    "stream waits for model %s (version %s): %s", spec.model, spec.version or "default", exc.message
                )
                next_log = time.monotonic() + 30.0
            stop.wait(0.5)  # poll the store until the model is published and loaded
            continue
        log.info("stream scores with %s v%d", loaded.name, loaded.version)
        return True
    return False


if __name__ == "__main__":
    sys.exit(main())
