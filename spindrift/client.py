"""Score rows with a served model over Kafka: the Python client SDK.

    >>> from spindrift.client import SpindriftClient
    >>> with SpindriftClient() as client:
    ...     prediction = client.predict("spam", [{"text": "spark is fast"}])
    ...     prediction.rows[0]["prediction"], prediction.version

The client writes a ``ScoreRequest`` to ``score.requests`` with Spring Kafka's request-reply
headers (``kafka_replyTopic``, ``kafka_correlationId``) and reads the ``ScoreReply`` from its
own reply topic on a background thread. Each request carries a deadline (``deadline_ms``: send
time + ``timeout``): a scorer that only picks it up later answers ``TIMEOUT`` without scoring
it, so a backlog is not spent on callers that gave up. Scorers are at-least-once: a reply can arrive twice
(a scorer died after replying, before committing), so replies are matched to requests by
correlation id and duplicates are dropped.

Requests and replies travel through confluent-kafka (librdkafka) clients: they cost a fraction of
kafka-python's CPU per message, which is most of a round trip on a small machine. A request the
broker does not accept fails its future with :class:`SpindriftClientError`.

Exceptions (all in this module)::

    SpindriftClientError          base class
    ├── ScoringError              the scorer answered with an error (``code``, ``message``)
    ├── ReplyTimeout              no reply in time; also a built-in ``TimeoutError``
    └── ClientClosed              the client was closed before the reply arrived
"""

from __future__ import annotations

import atexit
import itertools
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Literal

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from spindrift import wire
from spindrift.kafka import headers as kh
from spindrift.kafka.group import TopicNotFound, partitions_when_known
from spindrift.kafka.records import from_confluent
from spindrift.kafka.settings import (
    KafkaSettings,
    close_producer,
    make_admin,
    make_consumer,
    make_producer,
)
from spindrift.kafka.topics import SCORE_REQUESTS, TopicSpec, ensure_topics

__all__ = [
    "ClientClosed",
    "Prediction",
    "ReplyTimeout",
    "ScoringError",
    "SpindriftClient",
    "SpindriftClientError",
    "predict",
]

log = logging.getLogger(__name__)

# How long the reply thread blocks in one poll: bounds how late a timeout or close() is noticed.
_REPLY_POLL_S = 0.05
# Most replies taken from the local queue per poll (they are already fetched; this only bounds one pass).
_REPLY_BATCH = 500

# How many timed-out request ids are remembered to count their replies as late, not duplicate.
_TIMED_OUT_MEMORY = 10_000

WireFormat = Literal["avro", "json"]


class SpindriftClientError(Exception):
    """Base class of every error the client raises on purpose."""


class ScoringError(SpindriftClientError):
    """The scorer answered with an error reply; ``code`` is an ``ErrorCode`` name such as ``UNKNOWN_MODEL``."""

    def __init__(self, code: str, message: str, *, model: str | None = None, version: int | None = None) -> None:
        self.code = code
        self.message = message
        self.model = model
        self.version = version
        super().__init__(f"{code}: {message}")


class ReplyTimeout(SpindriftClientError, TimeoutError):
    """No reply arrived before the deadline (the request may still be scored later)."""


class ClientClosed(SpindriftClientError):
    """The client was closed while the request was waiting for its reply."""


@dataclass(frozen=True)
class Prediction:
    """A successful reply: the scored rows and which model version produced them."""

    rows: list[dict[str, Any]]
    model: str
    version: int | None
    latency_ms: float
    """Round trip measured by this client, from send to reply."""
    scorer: str | None
    scorer_latency_ms: float | None = None
    """Time the scorer spent from receiving the request to replying, as it reports it."""


@dataclass
class _Pending:
    future: Future[Prediction]
    request_id: str
    model: str
    sent_at: float
    deadline: float


class SpindriftClient:
    """A thread-safe request/reply client with its own reply topic; use as a context manager.

    ``reply_topic`` defaults to a fresh ``score.replies.<random>`` topic that is deleted on
    :meth:`close`; pass a stable name for a long-running service so restarts reuse it.
    """

    def __init__(
        self,
        settings: KafkaSettings | None = None,
        reply_topic: str | None = None,
        *,
        requests_topic: str = SCORE_REQUESTS,
        wire_format: WireFormat = "avro",
        ready_timeout_s: float = 30.0,
    ) -> None:
        if wire_format not in ("avro", "json"):
            raise ValueError(f"wire_format must be 'avro' or 'json', got {wire_format!r}")
        self.settings = settings or KafkaSettings()
        self.requests_topic = requests_topic
        self.wire_format = wire_format
        self._owns_reply_topic = reply_topic is None
        self.reply_topic = reply_topic or f"score.replies.{uuid.uuid4().hex[:12]}"
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._ids = itertools.count()
        self._client_tag = uuid.uuid4().hex
        self.duplicate_replies = 0
        """Replies that arrived for a request already answered (at-least-once re-deliveries)."""
        self.late_replies = 0
        """Replies that arrived after their request had timed out (the caller already got ReplyTimeout)."""
        # Ids of recently timed-out requests, oldest first, so a late reply is told from a duplicate.
        self._timed_out: OrderedDict[str, None] = OrderedDict()

        self._producer: Producer = make_producer(self.settings, client_id=f"{self.settings.client_id}-client")
        try:
            self._warm_up_producer(ready_timeout_s)
            ensure_topics(self.settings, [TopicSpec(self.reply_topic, 1)], timeout_s=ready_timeout_s)
            self._consumer = self._start_reply_consumer(ready_timeout_s)
        except BaseException:
            close_producer(self._producer, 0)
            raise
        self._thread = threading.Thread(target=self._read_replies, name=f"replies-{self.reply_topic}", daemon=True)
        self._thread.start()

    # --- public API ---------------------------------------------------------------------
    def predict(
        self,
        model: str,
        rows: Sequence[Mapping[str, Any]],
        version: int | str | None = None,
        timeout: float = 10.0,
        *,
        key: str | bytes | None = None,
        outputs: Sequence[str] | None = None,
    ) -> Prediction:
        """Score ``rows`` with ``model`` (``version``: a number, an alias, or None for production/latest).

        ``outputs`` picks the columns of each returned row: None = the final stage's outputs
        (e.g. ``rawPrediction``, ``probability``, ``prediction``), a list = exactly those input
        or output columns, ``["*"]`` = every column (inputs included).

        Raises :class:`ScoringError` when the scorer answers with an error and
        :class:`ReplyTimeout` (a ``TimeoutError``) when no reply arrives within ``timeout`` seconds.
        """
        future = self.predict_async(model, rows, version=version, timeout=timeout, key=key, outputs=outputs)
        # The reply thread fails the future at its deadline; the margin only guards against that thread dying.
        return future.result(timeout=timeout + 5.0)

    def predict_async(
        self,
        model: str,
        rows: Sequence[Mapping[str, Any]],
        version: int | str | None = None,
        timeout: float = 10.0,
        *,
        key: str | bytes | None = None,
        outputs: Sequence[str] | None = None,
    ) -> Future[Prediction]:
        """Send the request now and return a future of its :class:`Prediction` (or exception); see :meth:`predict`."""
        if self._closed.is_set():
            raise ClientClosed("this SpindriftClient is closed; create a new one")
        _check_request(model, rows, timeout, outputs)
        # A random per-client tag plus a counter: unique without a uuid4 (an urandom call) per request.
        request_id = f"{self._client_tag}-{next(self._ids)}"
        sent_at_ms = int(time.time() * 1000)
        record = {
            "request_id": request_id,
            "model": model,
            "version": None if version is None else str(version),
            "rows": [dict(r) for r in rows],
            "reply_topic": self.reply_topic,
            "sent_at_ms": sent_at_ms,
            "outputs": None if outputs is None else list(outputs),
            # The scorer answers TIMEOUT instead of scoring a request nobody waits for any more.
            "deadline_ms": sent_at_ms + math.ceil(timeout * 1000),
        }
        if self.wire_format == "json":
            value = wire.encode_json("ScoreRequest", record)
            headers: kh.Headers = [(kh.CONTENT_TYPE, kh.JSON_CONTENT_TYPE.encode())]
        else:
            value = wire.encode("ScoreRequest", record)
            headers = []
        headers += [(kh.REPLY_TOPIC, self.reply_topic.encode()), (kh.CORRELATION_ID, request_id.encode())]
        future: Future[Prediction] = Future()
        now = time.monotonic()
        with self._lock:
            self._pending[request_id] = _Pending(future, request_id, model, now, now + timeout)
        send_key = key.encode() if isinstance(key, str) else (key or request_id.encode())
        try:
            self._produce(value, send_key, headers, request_id)
        except (KafkaException, BufferError) as exc:
            self._fail(request_id, SpindriftClientError(f"could not send the request to {self.requests_topic}: {exc}"))
        return future

    def close(self, timeout: float = 5.0) -> None:
        """Fail pending requests with :class:`ClientClosed`, stop the reply thread and release Kafka clients."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._thread.join(timeout)
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
        for p in pending:
            _settle(p.future, exception=ClientClosed(f"client closed before request {p.request_id} was answered"))
        try:
            close_producer(self._producer, timeout)  # requests sent just before close still reach the broker
        finally:
            self._consumer.close()
        if self._owns_reply_topic:
            self._delete_reply_topic()

    def __enter__(self) -> SpindriftClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- request side -------------------------------------------------------------------
    def _warm_up_producer(self, timeout_s: float) -> None:
        """Connect the producer now and learn the requests topic's partitions, so the first request does not wait.

        Until a broker connection is up, librdkafka's idempotent producer re-checks for one only
        every 500 ms before asking for its producer id, and nothing can be sent without that id: a
        first request right after construction waited 0.5–1 s. A metadata call connects at once.
        """
        try:
            self._producer.list_topics(self.requests_topic, timeout=timeout_s)
        except KafkaException as exc:  # not fatal here: the first request will say what is wrong
            log.warning("could not reach the cluster to look up %s: %s", self.requests_topic, exc)

    def _produce(self, value: bytes, key: bytes, headers: kh.Headers, request_id: str) -> None:
        """Hand the request to librdkafka; its delivery report fails the request's future on error."""

        def delivered(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                self._fail(
                    request_id,
                    SpindriftClientError(f"the broker did not accept the request on {self.requests_topic}: {error}"),
                )

        try:
            self._producer.produce(
                self.requests_topic, value=value, key=key, headers=list(headers), on_delivery=delivered
            )
        except BufferError:
            # librdkafka's local queue is full (a burst far above what the broker takes): wait for room once.
            self._producer.poll(1.0)
            self._producer.produce(
                self.requests_topic, value=value, key=key, headers=list(headers), on_delivery=delivered
            )

    # --- reply side ---------------------------------------------------------------------
    def _start_reply_consumer(self, ready_timeout_s: float) -> Consumer:
        consumer = make_consumer(self.settings, client_id=f"{self.settings.client_id}-replies")
        try:
            partitions = self._reply_partitions(consumer, ready_timeout_s)
            # Start at the end offsets resolved now, before the first request is sent: a lazy
            # "latest" reset after our first request could land past its reply and skip it.
            starts = []
            for p in partitions:
                _low, high = consumer.get_watermark_offsets(
                    TopicPartition(self.reply_topic, p), timeout=max(1.0, ready_timeout_s)
                )
                starts.append(TopicPartition(self.reply_topic, p, high))
            consumer.assign(starts)
        except (KafkaException, SpindriftClientError):
            consumer.close()
            raise
        return consumer

    def _reply_partitions(self, consumer: Consumer, ready_timeout_s: float) -> list[int]:
        """The reply topic's partition ids, once the cluster lists them (it was created a moment ago)."""
        try:
            return partitions_when_known(consumer, self.reply_topic, timeout_s=ready_timeout_s)
        except TopicNotFound as exc:
            raise SpindriftClientError(
                f"reply topic {self.reply_topic} has no partitions after {ready_timeout_s} s"
            ) from exc

    def _read_replies(self) -> None:
        while not self._closed.is_set():
            try:
                # poll() returns on the first reply; consume(n, t) would hold it until n arrive or t passes.
                first = self._consumer.poll(_REPLY_POLL_S)
                messages = [first, *self._consumer.consume(_REPLY_BATCH, 0)] if first is not None else []
            except Exception:  # keep answering other requests; a broker hiccup is retried by the next poll
                if self._closed.is_set():
                    return
                log.exception("polling reply topic %s failed", self.reply_topic)
                time.sleep(0.1)  # back off before retrying a failing poll
                continue
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        log.warning("reading reply topic %s: %s", self.reply_topic, error)
                    continue
                record = from_confluent(message)
                self._on_reply(record.value, record.headers)
            self._producer.poll(0)  # delivery reports of requests (a failed send fails its future)
            self._expire()

    def _on_reply(self, value: bytes | None, headers: Sequence[tuple[str, bytes | None]] | None) -> None:
        if value is None:
            log.warning("ignoring a record without a value on reply topic %s", self.reply_topic)
            return
        try:
            _name, reply = wire.decode(value, headers, expected="ScoreReply")
        except wire.WireError as exc:
            log.warning("ignoring an undecodable record on reply topic %s: %s", self.reply_topic, exc)
            return
        correlation = kh.get_header_str(headers, kh.CORRELATION_ID) or reply.get("request_id")
        with self._lock:
            pending = self._pending.pop(correlation, None) if correlation else None
            late = pending is None and correlation is not None and self._timed_out.pop(correlation, 0) is None
        if pending is None:
            if late:
                self.late_replies += 1
            else:
                self.duplicate_replies += 1  # a re-delivered reply (or a second copy of a late one)
            return
        outcome = reply.get("outcome") or {}
        if "code" in outcome:
            _settle(
                pending.future,
                exception=ScoringError(
                    str(outcome["code"]),
                    str(outcome.get("message")),
                    model=reply.get("model"),
                    version=reply.get("version"),
                ),
            )
            return
        _settle(
            pending.future,
            result=Prediction(
                rows=list(outcome.get("rows") or []),
                model=reply.get("model") or pending.model,
                version=reply.get("version"),
                latency_ms=(time.monotonic() - pending.sent_at) * 1000.0,
                scorer=reply.get("scorer"),
                scorer_latency_ms=reply.get("latency_ms"),
            ),
        )

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            late = [p for p in self._pending.values() if p.deadline <= now]
            for p in late:
                del self._pending[p.request_id]
                self._timed_out[p.request_id] = None
            while len(self._timed_out) > _TIMED_OUT_MEMORY:
                self._timed_out.popitem(last=False)
        for p in late:
            _settle(
                p.future,
                exception=ReplyTimeout(
                    f"no reply to request {p.request_id} for model {p.model!r} within {p.deadline - p.sent_at:.1f} s "
                    f"(reply topic {self.reply_topic}); check that a scorer is running on {self.requests_topic} "
                    "and is ready (GET /health/ready), or raise the timeout"
                ),
            )

    def _fail(self, request_id: str, exc: BaseException) -> None:
        with self._lock:
            pending = self._pending.pop(request_id, None)
        if pending is not None:
            _settle(pending.future, exception=exc)

    def _delete_reply_topic(self) -> None:
        try:
            futures = make_admin(self.settings).delete_topics([self.reply_topic], request_timeout=5.0)
            futures[self.reply_topic].result(timeout=10.0)
        except Exception as exc:  # best effort: a leftover reply topic is harmless
            log.info("could not delete reply topic %s: %s", self.reply_topic, exc)


def _check_request(
    model: str, rows: Sequence[Mapping[str, Any]], timeout: float, outputs: Sequence[str] | None = None
) -> None:
    """Reject malformed calls here, where the caller's stack trace points at the mistake."""
    if not isinstance(model, str) or not model:
        raise ValueError("model must be a non-empty model name")
    if isinstance(rows, Mapping) or not isinstance(rows, Sequence) or isinstance(rows, (str, bytes)):
        raise TypeError(f"rows must be a list of dicts (one per row), got {type(rows).__name__}")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"row {i} must be a dict of column name to value, got {type(row).__name__}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    if outputs is not None and (
        isinstance(outputs, (str, bytes)) or not all(isinstance(o, str) and o for o in outputs) or not outputs
    ):
        raise TypeError(f'outputs must be None or a non-empty list of column names (["*"] for all), got {outputs!r}')


def _settle(
    future: Future[Prediction], *, result: Prediction | None = None, exception: BaseException | None = None
) -> None:
    """Complete a future once; a second completion (a race with a timeout) is ignored."""
    if future.done():
        return
    try:
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)  # type: ignore[arg-type]
    except Exception:  # InvalidStateError when a concurrent completion won
        pass


_default_client: SpindriftClient | None = None
_default_lock = threading.Lock()


def predict(
    model: str,
    rows: Sequence[Mapping[str, Any]],
    version: int | str | None = None,
    timeout: float = 10.0,
    *,
    settings: KafkaSettings | None = None,
    outputs: Sequence[str] | None = None,
) -> Prediction:
    """Score rows with a process-wide client created on first use (closed at exit); handy for scripts."""
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = SpindriftClient(settings)
            atexit.register(_default_client.close)
        client = _default_client
    return client.predict(model, rows, version=version, timeout=timeout, outputs=outputs)
