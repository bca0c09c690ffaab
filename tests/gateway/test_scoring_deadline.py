"""The gateway's scoring call and request deadlines, on a real broker and the real SDK client.

No scorer runs here: the request is read off its topic and answered by hand, as a scorer that
picked it up after its deadline answers (``TIMEOUT``, unscored), so the test controls the timing
a real scorer would race with.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from prometheus_client import REGISTRY

from services.gateway.errors import ReplyTimedOut
from services.gateway.scoring import score
from spindrift import wire
from spindrift.client import SpindriftClient
from spindrift.kafka import headers as kh
from spindrift.kafka.settings import KafkaSettings
from spindrift.kafka.topics import ensure_topics
from tests.kafka_user import user_producer as make_producer
from tests.scorer.processes import read_topic

pytestmark = [pytest.mark.kafka]

TIMEOUT_S = 20.0


def _reply_timeouts() -> float:
    return REGISTRY.get_sample_value("spindrift_gateway_reply_timeouts_total") or 0.0


def test_a_timeout_reply_is_a_504_naming_the_gateway_timeout(kafka_settings: KafkaSettings) -> None:
    topic = f"score.requests.deadline-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [topic])
    before = _reply_timeouts()
    with SpindriftClient(kafka_settings, requests_topic=topic) as client:

        async def call_and_answer() -> None:
            pending = asyncio.ensure_future(
                score(client, "m", [{"text": "spark"}], version=None, outputs=None, timeout=TIMEOUT_S)
            )
            request = await asyncio.to_thread(read_topic, kafka_settings, topic, lambda r: True, TIMEOUT_S)
            _name, body = wire.decode(request.value, request.headers, expected="ScoreRequest")
            # The deadline the scorer compares with is the gateway's own timeout from the send.
            assert body["deadline_ms"] == body["sent_at_ms"] + int(TIMEOUT_S * 1000)
            reply = {
                "request_id": body["request_id"],
                "model": "m",
                "outcome": {"code": "TIMEOUT", "message": "the request's deadline passed 12 ms before a scorer..."},
            }
            producer = make_producer(kafka_settings)
            try:
                correlation = kh.get_header(request.headers, kh.CORRELATION_ID) or b""
                producer.send(
                    client.reply_topic,
                    value=wire.encode("ScoreReply", reply),
                    headers=[(kh.CORRELATION_ID, correlation)],
                ).get(timeout=30)
            finally:
                producer.close()
            await pending

        with pytest.raises(ReplyTimedOut) as timed_out:
            asyncio.run(asyncio.wait_for(call_and_answer(), TIMEOUT_S + 10))
    assert timed_out.value.status == 504
    message = timed_out.value.message
    assert f"within the gateway's {TIMEOUT_S:g} s timeout (GATEWAY_PREDICT_TIMEOUT_S)" in message, message
    assert "deadline passed 12 ms" in message, message
    assert _reply_timeouts() - before == 1.0
