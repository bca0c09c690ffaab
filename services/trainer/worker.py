"""The trainer's Kafka loop: one job at a time from ``train.requests``, with the poll loop always alive.

- The consumer group spreads requests over trainers. A job runs on a worker thread while
  the loop keeps polling (group membership stays alive) with every assigned partition
  paused, so no second job starts on this trainer meanwhile.
- A request's offset is committed only after the job's terminal event is acknowledged: a
  trainer killed mid-job leaves it uncommitted, and the next owner re-runs it — unless the
  job was already STARTED ``max_attempts`` times, then it is marked FAILED. No job stays
  "running" forever.
- CANCEL requests travel on the same topic, keyed by the target job, so they may sit behind
  a paused partition. A separate reader (no group, assigned every partition from the group's
  committed offsets) watches for them and stops the running job at once.
- The group uses librdkafka's cooperative-sticky assignor: a trainer joining or leaving moves
  only the partitions that must move, so the partition of a running job is neither taken nor
  even revoked, and nothing waits on a second "eager" rebalance (which hung kafka-python 3.0).
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from confluent_kafka import Consumer, KafkaException, TopicPartition

from spindrift import wire
from spindrift.kafka.produce import DeliveryFailed
from spindrift.kafka.records import Record, from_confluent

from . import metrics
from .events import JobEvents, JobHistory
from .intake import decode_train_request, fallback_job_id
from .job import JobRequest, TrainerContext
from .jobs import JobRunner

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from spindrift.kafka.settings import KafkaSettings

    from .settings import TrainerSettings

log = logging.getLogger(__name__)

_POLL_S = 0.2
_LAG_EVERY_S = 5.0
# How long a job stopped by the watchdog may take to end before Spark's JVM is killed under it.
_WATCHDOG_GRACE_S = 30.0
_SESSION_TIMEOUT_MS = 10_000  # how soon the group notices a killed trainer and hands its job on


def start_spark(settings: TrainerSettings) -> SparkSession:
    """The warm SparkSession every job reuses: the configured master and extra conf."""
    from spindrift.spark import start_session

    conf = dict(settings.spark_conf)
    if settings.driver_memory:
        conf["spark.driver.memory"] = settings.driver_memory
    return start_session(settings.app_name, settings.spark_master, conf, log_level="WARN")


class CancelWatcher:
    """Reads every partition of the requests topic for CANCEL requests, independently of the group."""

    def __init__(self, kafka: KafkaSettings, topic: str, group_id: str, on_cancel: Any) -> None:
        self._kafka = kafka
        self._topic = topic
        self._group_id = group_id
        self._on_cancel = on_cancel
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cancel-watcher", daemon=True)

    def start(self) -> CancelWatcher:
        """Start reading in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading and wait for the thread."""
        self._stop.set()
        if self._thread.ident is not None:  # never started when the worker failed before serving
            self._thread.join(timeout=5)

    def is_cancelled(self, job_id: str) -> bool:
        """True when a CANCEL for ``job_id`` has been seen."""
        with self._lock:
            return job_id in self._cancelled

    def _run(self) -> None:
        from spindrift.kafka.reading import OFFSET_COMMITTED, PartitionReader

        try:
            # With the group id but assign(), the reader starts at the group's committed offsets
            # (so it sees cancels of jobs not yet processed) without joining the group.
            reader = PartitionReader(self._kafka, [self._topic], start=OFFSET_COMMITTED, group_id=self._group_id)
        except Exception:
            log.exception(
                "cancel watcher not started; CANCEL requests are still handled in order by the group consumer"
            )
            return
        try:
            while not self._stop.is_set():
                for record in reader.poll(_POLL_S):
                    self._handle(record)
        except Exception:
            log.exception("cancel watcher stopped; CANCEL requests are still handled in order by the group consumer")
        finally:
            reader.close()

    def _handle(self, record: Record) -> None:
        try:
            _, request = wire.decode(record.value or b"", record.headers, expected="TrainRequest")
        except wire.WireError:
            return
        if request["kind"] == "CANCEL":
            with self._lock:
                self._cancelled.add(request["job_id"])
            self._on_cancel(request["job_id"])


class TrainerWorker:
    """A trainer process's main loop; :meth:`run` blocks until :meth:`stop` is called."""

    def __init__(self, settings: TrainerSettings, kafka: KafkaSettings, spark: SparkSession | None = None) -> None:
        self.settings = settings
        self.kafka = kafka
        self._spark = spark
        self._owns_spark = spark is None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._runner: JobRunner | None = None
        self._running_from: tuple[TopicPartition, int] | None = None
        self._joined = False  # the group handed this member its first assignment (maybe empty)
        self._held_back: dict[tuple[str, int], int] = {}  # first record per partition put back while a job ran
        self._runner_lock = threading.Lock()
        self._work_dir = settings.work_dir or Path(tempfile.mkdtemp(prefix="spindrift-trainer-"))
        self._ctx: TrainerContext | None = None

    # --- lifecycle -------------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """True once Spark is up and the worker has joined the group."""
        return self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        """Block until ready (or ``timeout``); returns :attr:`ready`."""
        return self._ready.wait(timeout)

    def status(self) -> dict[str, Any]:
        """A JSON-ready status for /health."""
        runner = self._runner
        return {
            "worker": self.settings.worker_name,
            "spark_master": self.settings.spark_master,
            "running_job": runner.job_id if runner is not None and not runner.done else None,
        }

    def stop(self) -> None:
        """Ask :meth:`run` to return; a running job is handed back to the group, not cancelled."""
        self._stop.set()

    def run(self) -> None:
        """Serve until stopped: start Spark, read job history, then consume requests."""
        from spindrift.kafka.settings import make_producer
        from spindrift.kafka.topics import ensure_topics

        ensure_topics(self.kafka)
        spark = self._ensure_spark()
        producer = make_producer(self.kafka)
        history = JobHistory(self.kafka, self.settings.events_topic)
        watcher = CancelWatcher(self.kafka, self.settings.requests_topic, self.settings.group_id, self._on_cancel)
        consumer = self._make_consumer()
        self._ctx = TrainerContext(spark, self.settings, self.kafka, producer, self._work_dir)
        try:
            history.refresh()
            watcher.start()
            self._loop(consumer, history, watcher, producer)
        finally:
            self._shutdown(consumer, history, watcher, producer)

    def _make_consumer(self) -> Consumer:
        from spindrift.kafka.settings import make_consumer

        return make_consumer(
            self.kafka,
            group_id=self.settings.group_id,
            client_id=f"{self.kafka.client_id}-trainer",
            overrides={
                "session.timeout.ms": _SESSION_TIMEOUT_MS,
                "heartbeat.interval.ms": _SESSION_TIMEOUT_MS // 5,
                "topic.metadata.refresh.interval.ms": 30_000,  # notice added partitions within seconds, not minutes
                # A trainer joining the group neither takes nor revokes the partition of a running job.
                "partition.assignment.strategy": "cooperative-sticky",
            },
        )

    def _ensure_spark(self) -> SparkSession:
        from spindrift.spark import forget_dead_session

        spark = self._spark
        if spark is not None and _spark_alive(spark):
            metrics.SPARK_UP.set(1)
            return spark
        if spark is not None:
            log.warning("the SparkSession stopped (or its JVM died); starting a new one")
            metrics.SPARK_UP.set(0)
            with contextlib.suppress(Exception):
                spark.stop()
            forget_dead_session()  # a dead JVM is not restarted by the builder: launch a new one
        metrics.SPARK_UP.set(0)
        self._spark = start_spark(self.settings)
        self._owns_spark = True
        if self._ctx is not None:
            self._ctx.spark = self._spark
        metrics.SPARK_UP.set(1)
        return self._spark

    # --- the loop --------------------------------------------------------------------------------------
    def _loop(self, consumer: Consumer, history: JobHistory, watcher: CancelWatcher, producer: Any) -> None:
        from spindrift.kafka.group import subscribe_when_known

        subscribe_when_known(
            consumer,
            [self.settings.requests_topic],
            on_assign=self._on_assigned,
            on_revoke=self._on_revoked,
            stop=self._stop,
        )
        last_lag = 0.0
        while not self._stop.is_set():
            self._finish_job_if_done(consumer)
            message = consumer.poll(_POLL_S)
            if not self._ready.is_set() and self._joined:
                self._ready.set()
                log.info("trainer %s ready (Spark %s)", self.settings.worker_name, self.settings.spark_master)
            error = message.error() if message is not None else None
            if error is not None:
                if error.fatal():
                    raise KafkaException(error)
                log.warning("reading %s: %s", self.settings.requests_topic, error.str())
            elif message is not None:
                record = from_confluent(message)
                tp = TopicPartition(record.topic, record.partition)
                if self._busy():
                    # Fetched before its partition was paused: leave it (and what follows) for after the job.
                    if record.offset < self._held_back.get((record.topic, record.partition), record.offset + 1):
                        self._held_back[(record.topic, record.partition)] = record.offset
                        self._seek(consumer, tp, record.offset)
                    continue
                try:
                    self._handle(consumer, tp, record, history, watcher, producer)
                except (KafkaException, DeliveryFailed):
                    # e.g. the broker is briefly unreachable: offer the same request again shortly.
                    log.exception("could not handle the request at %s; retrying", record.coordinates)
                    self._seek(consumer, tp, record.offset)
                    self._stop.wait(1.0)
                except Exception as exc:  # a poison request: dead-letter it, never retry it forever
                    log.exception("the request at %s made the trainer raise", record.coordinates)
                    self._dead_letter(producer, history, record, exc)
                    self._commit(consumer, tp, record.offset)
            if time.monotonic() - last_lag > _LAG_EVERY_S:
                last_lag = time.monotonic()
                self._update_lag(consumer)

    def _busy(self) -> bool:
        runner = self._runner
        return runner is not None and not runner.done

    def _handle(
        self,
        consumer: Consumer,
        tp: TopicPartition,
        record: Record,
        history: JobHistory,
        watcher: CancelWatcher,
        producer: Any,
    ) -> None:
        try:
            request = decode_train_request(
                record.value,
                record.headers,
                key=record.key,
                default_job_id=fallback_job_id(record.topic, record.partition, record.offset),
                timestamp_ms=record.timestamp_ms or int(time.time() * 1000),
            )
        except wire.WireError as exc:
            self._dead_letter(producer, history, record, exc)
            self._commit(consumer, tp, record.offset)
            return
        job_id, kind = request["job_id"], request["kind"]
        history.refresh()
        past = history.job(job_id)
        events = JobEvents(producer, self.settings.events_topic, job_id, self.settings.worker_name, past.next_seq)
        if kind == "CANCEL":
            # The target's own request precedes this one in the partition, so it has been handled
            # already unless it never existed; only a known, unfinished job gets a CANCELLED event.
            if past.terminal is None and past.next_seq > 0:
                events.emit("CANCELLED", "cancelled before it started", details={"phase": "queued"})
            self._commit(consumer, tp, record.offset)
            return
        if past.terminal is not None:
            log.info("job %s already ended (%s); not running it again", job_id, past.terminal)
        elif watcher.is_cancelled(job_id):
            events.emit("CANCELLED", "cancelled before it started", details={"phase": "queued"})
            metrics.JOBS.labels(kind.lower(), "cancelled").inc()
        elif past.started >= self.settings.max_attempts:
            last = f"; the last attempt got as far as: {past.last_message}" if past.last_message else ""
            events.emit(
                "FAILED",
                f"gave up after {past.started} attempts: the trainers running it stopped before it finished{last}",
                details={"phase": "starting", "attempts": past.started, "last_event": past.last_message},
            )
            metrics.JOBS.labels(kind.lower(), "gave_up").inc()
        else:
            self._start_job(consumer, tp, record.offset, request, events, past.started + 1)
            return
        self._commit(consumer, tp, record.offset)

    def _start_job(
        self,
        consumer: Consumer,
        tp: TopicPartition,
        offset: int,
        request: dict[str, Any],
        events: JobEvents,
        attempt: int,
    ) -> None:
        assert self._ctx is not None
        self._ctx.spark = self._ensure_spark()
        job = JobRequest(request["job_id"], request["kind"], request["spec_json"], request.get("submitted_at_ms") or 0)
        log.info("starting %s job %s (attempt %d)", job.kind, job.job_id, attempt)
        consumer.pause(consumer.assignment())
        with self._runner_lock:
            self._runner = JobRunner(self._ctx, job, events, attempt=attempt).start()
            self._running_from = (tp, offset)

    def _watch_job(self) -> None:
        """The watchdog: stop a job over ``max_job_duration_s``; kill a JVM that does not let it stop."""
        runner = self._runner
        if runner is None or runner.done:
            return
        limit = self.settings.max_job_duration_s
        if not runner.timed_out and runner.elapsed_s() > limit:
            log.error("job %s ran longer than %g s (TRAINER_MAX_JOB_DURATION_S); stopping it", runner.job_id, limit)
            runner.time_out(limit)
        elif runner.timed_out and runner.elapsed_s() > limit + _WATCHDOG_GRACE_S:
            from spindrift.spark import forget_dead_session

            log.error("job %s ignores its cancellation; killing Spark's JVM to free the trainer", runner.job_id)
            forget_dead_session()
            runner.wait(_WATCHDOG_GRACE_S)

    def _finish_job_if_done(self, consumer: Consumer) -> None:
        self._watch_job()
        runner = self._runner
        if runner is None or not runner.done:
            return
        assert self._running_from is not None
        tp, offset = self._running_from
        outcome = runner.outcome.outcome if runner.outcome else "unrecorded"
        log.info("job %s ended: %s", runner.job_id, runner.outcome.message if runner.outcome else outcome)
        with self._runner_lock:
            self._runner, self._running_from = None, None
        self._held_back.clear()
        if outcome in ("published", "failed", "cancelled") and tp in consumer.assignment():
            self._commit(consumer, tp, offset)
            self._seek(consumer, tp, offset + 1)  # the next request, whatever was fetched before the pause
        elif tp in consumer.assignment():
            self._seek(consumer, tp, offset)  # no terminal event: offer the job again (the attempt cap bounds this)
        if self._ctx is not None and (runner.spark_died or runner.timed_out) and not _spark_alive(self._ctx.spark):
            self._rebuild_spark()
        consumer.resume(consumer.assignment())

    def _rebuild_spark(self) -> None:
        """Replace a dead SparkSession before the next job; not ready (and spark_session_up 0) meanwhile."""
        self._ready.clear()
        metrics.SPARK_UP.set(0)
        started = time.monotonic()
        assert self._ctx is not None
        self._ctx.spark = self._ensure_spark()
        self._ready.set()
        log.info("Spark restarted in %.1f s; trainer ready again", time.monotonic() - started)

    def _on_cancel(self, job_id: str) -> None:
        runner = self._runner
        if runner is not None and runner.job_id == job_id and not runner.done:
            runner.cancel()

    def _on_assigned(self, consumer: Consumer, assigned: list[TopicPartition]) -> None:
        """Partitions added by a rebalance (cooperative: only the new ones); paused while a job runs."""
        consumer.incremental_assign(assigned)
        self._joined = True
        if self._busy() and assigned:
            consumer.pause(assigned)  # still busy: no second job on this trainer

    def _on_revoked(self, consumer: Consumer, revoked: list[TopicPartition]) -> None:
        """Partitions taken by a rebalance (or lost with the session): a running job from one of them is handed on."""
        runner, source = self._runner, self._running_from
        if runner is not None and not runner.done and source is not None and source[0] in revoked:
            runner.abandon("its partition was reassigned to another trainer")
            runner.wait(60)
        consumer.incremental_unassign(revoked)

    def _commit(self, consumer: Consumer, tp: TopicPartition, offset: int) -> None:
        try:
            consumer.commit(offsets=[TopicPartition(tp.topic, tp.partition, offset + 1)], asynchronous=False)
        except KafkaException as exc:
            # Harmless: the request comes back, and its terminal event in the history stops a re-run.
            log.warning("could not commit %s offset %d (%s); the request may be seen again", tp, offset + 1, exc)

    def _seek(self, consumer: Consumer, tp: TopicPartition, offset: int) -> None:
        """The next record read from ``tp`` is the one at ``offset`` (a paused partition keeps it for its resume)."""
        try:
            consumer.seek(TopicPartition(tp.topic, tp.partition, offset))
        except KafkaException as exc:
            log.warning("could not move %s to offset %d (%s); it continues from the committed offset", tp, offset, exc)

    def _dead_letter(self, producer: Any, history: JobHistory, record: Record, exc: Exception) -> None:
        """A request that cannot be decoded or handled goes to the DLQ, and its job (named by the key) FAILS."""
        from spindrift.kafka.headers import dlq_headers
        from spindrift.kafka.produce import send

        job_key = record.key.decode("utf-8", errors="replace") if record.key else None
        log.warning("dead-lettering train request at offset %d (key %r): %s", record.offset, job_key, exc)
        headers = dlq_headers(
            exc, topic=record.topic, partition=record.partition, offset=record.offset, original=record.headers
        )
        send(producer, self.settings.dlq_topic, record.value or b"", key=record.key, headers=headers)
        if job_key:
            phase = "decoding" if isinstance(exc, wire.WireError) else "handling"
            events = JobEvents(
                producer, self.settings.events_topic, job_key, self.settings.worker_name, history.job(job_key).next_seq
            )
            events.emit(
                "FAILED",
                f"the request could not be {'decoded' if phase == 'decoding' else 'handled'}: "
                f"{type(exc).__name__}: {exc}",
                details={"phase": phase},
            )
        metrics.JOBS.labels("unknown", "failed").inc()

    def _update_lag(self, consumer: Consumer) -> None:
        try:
            assigned = consumer.assignment()
            if not assigned:
                metrics.QUEUE_DEPTH.set(0)
                return
            committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(assigned, timeout=5)}
            lag = 0
            for tp in assigned:
                # The end offset the last fetch reported: asking the broker would wait behind the parked fetch.
                _low, end = consumer.get_watermark_offsets(tp, cached=True)
                lag += max(0, end - max(0, committed.get((tp.topic, tp.partition), 0)))
            running = self._runner is not None and not self._runner.done
            metrics.QUEUE_DEPTH.set(max(0, lag - (1 if running else 0)))
        except Exception:
            log.debug("consumer lag not available", exc_info=True)

    def _shutdown(self, consumer: Consumer, history: JobHistory, watcher: CancelWatcher, producer: Any) -> None:
        from spindrift.kafka.settings import close_producer

        runner = self._runner
        if runner is not None and not runner.done:
            runner.abandon("the trainer is shutting down")
            runner.wait(60)
        try:
            self._finish_job_if_done(consumer)
        except Exception:
            log.debug("final commit failed", exc_info=True)
        watcher.stop()
        history.close()
        consumer.close()
        close_producer(producer, 10)
        if self._ctx is not None and self._ctx.models is not None:
            self._ctx.models.close()
        if self._owns_spark and self._spark is not None:
            self._spark.stop()
        metrics.SPARK_UP.set(0)
        self._ready.clear()


def _spark_alive(spark: SparkSession) -> bool:
    """Whether the session's SparkContext still answers and is not stopped."""
    from spindrift.spark import session_alive

    return session_alive(spark)


def describe_settings(settings: TrainerSettings) -> str:
    """A one-line JSON description of the effective settings for the start-up log."""
    shown = settings.model_dump(mode="json")
    return json.dumps(shown, sort_keys=True)
