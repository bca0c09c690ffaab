"""supported_stages() and unsupported_reason(): the one answer to "does this class load?"."""

from __future__ import annotations

import json

import pytest
from sparkml_runtime import UnsupportedStageError, load_pipeline, supported_stages, unsupported_reason


def test_a_supported_class_has_no_reason():
    assert "org.apache.spark.ml.feature.Tokenizer" in supported_stages()
    assert unsupported_reason("org.apache.spark.ml.feature.Tokenizer") is None


def test_a_deliberate_refusal_gives_its_reason_and_anything_else_is_not_implemented_yet():
    assert "random Gamma draw" in (unsupported_reason("org.apache.spark.ml.clustering.LocalLDAModel") or "")
    assert unsupported_reason("org.apache.spark.ml.recommendation.ALSModel") == "no Spark-free implementation yet"


def test_load_pipeline_refuses_an_unsupported_class_with_the_same_reason(tmp_path):
    meta = {
        "class": "org.apache.spark.ml.clustering.LocalLDAModel",
        "timestamp": 0,
        "sparkVersion": "4.0.0",
        "uid": "LDA_1",
        "paramMap": {},
        "defaultParamMap": {},
    }
    (tmp_path / "metadata").mkdir()
    (tmp_path / "metadata" / "part-00000").write_text(json.dumps(meta) + "\n")
    with pytest.raises(UnsupportedStageError, match="LocalLDAModel .*random Gamma draw"):
        load_pipeline(tmp_path)
