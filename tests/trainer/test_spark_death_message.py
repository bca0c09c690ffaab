"""The FAILED message of a job whose Spark died: cause, the parameter to blame, the setting to change (no Spark)."""

from __future__ import annotations

import json

from services.trainer.jobs import spark_death_message
from services.trainer.settings import TrainerSettings

from .tutorial import PIPELINE, tutorial_spec


class DeadGateway(Exception):
    """Like py4j's errors once the JVM is gone: even str() fails."""

    def __str__(self) -> str:
        raise ConnectionRefusedError("[Errno 111] Connection refused")


def test_a_huge_num_features_is_named_with_the_memory_setting() -> None:
    pipeline = [PIPELINE[0], {"stage": "HashingTF", "params": {"numFeatures": 2**30}}, PIPELINE[2]]
    message = spark_death_message(
        DeadGateway(), json.dumps(tutorial_spec(pipeline=pipeline)), TrainerSettings(driver_memory="600m")
    )
    assert message.startswith("Spark ran out of memory (java.lang.OutOfMemoryError) (HashingTF numFeatures=1073741824)")
    assert "raise TRAINER_DRIVER_MEMORY (now 600m) or lower numFeatures" in message


def test_an_unexplained_death_says_what_usually_causes_it() -> None:
    message = spark_death_message(ConnectionRefusedError("refused"), json.dumps(tutorial_spec()), TrainerSettings())
    assert message.startswith("Spark's JVM stopped (ConnectionRefusedError; often java.lang.OutOfMemoryError)")
    assert "now Spark's default, 1g" in message
    assert "not json" not in spark_death_message(RuntimeError("x"), "not json", TrainerSettings())
