"""Training functions registered for the trainer tests (imported in-process, or via TRAINER_FUNCTIONS_MODULE)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from services.trainer.functions import FunctionResult, training_function

from .tutorial import PIPELINE, TRAINING_ROWS


@training_function("sleepy_tutorial")
def sleepy_tutorial(spark: Any, params: Mapping[str, Any]) -> FunctionResult:
    """Run a Spark job whose tasks sleep ``sleep_s`` in total (a long job on tiny data), then fit the tutorial."""
    from services.trainer.spec import parse_stages
    from services.trainer.stage_classes import build_pipeline

    sleep_s = float(params.get("sleep_s", 10.0))
    slices = 20
    # Each task sleeps its share: the job is long, cancellable, and costs no CPU.
    spark.sparkContext.parallelize(range(slices), 2).foreach(lambda _: time.sleep(sleep_s / slices))
    frame = spark.createDataFrame([(r["id"], r["text"], r["label"]) for r in TRAINING_ROWS], ["id", "text", "label"])
    model = build_pipeline(parse_stages(PIPELINE)).fit(frame)
    return FunctionResult(model=model, sample=frame)
