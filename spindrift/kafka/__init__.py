"""Kafka plumbing shared by every Spindrift service: settings, topics, headers, an embedded broker."""

from spindrift.kafka.headers import CONTENT_TYPE, CORRELATION_ID, JSON_CONTENT_TYPE, REPLY_TOPIC
from spindrift.kafka.readiness import ClusterUnavailable, wait_for_cluster
from spindrift.kafka.settings import KafkaSettings, make_admin, make_consumer, make_producer
from spindrift.kafka.topics import (
    MODEL_ARTIFACTS,
    MODEL_EVENTS,
    SCORE_DLQ,
    SCORE_REQUESTS,
    TRAIN_EVENTS,
    TRAIN_REQUESTS,
    TopicSpec,
    ensure_topics,
)

__all__ = [
    "CONTENT_TYPE",
    "CORRELATION_ID",
    "JSON_CONTENT_TYPE",
    "MODEL_ARTIFACTS",
    "MODEL_EVENTS",
    "REPLY_TOPIC",
    "SCORE_DLQ",
    "SCORE_REQUESTS",
    "TRAIN_EVENTS",
    "TRAIN_REQUESTS",
    "ClusterUnavailable",
    "KafkaSettings",
    "TopicSpec",
    "ensure_topics",
    "make_admin",
    "make_consumer",
    "make_producer",
    "wait_for_cluster",
]
