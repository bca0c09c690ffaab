"""Parity of the seed's tutorial pipeline (Tokenizer → HashingTF → LogisticRegression)."""

from __future__ import annotations

import pytest

from .parity import assert_parity

pytestmark = pytest.mark.parity

TRAINING = [
    (0, "a b c d e spark", 1.0),
    (1, "b d", 0.0),
    (2, "spark f g h", 1.0),
    (3, "hadoop mapreduce", 0.0),
]
EDGE_TEXTS = [
    "spark i j k", "l m n", "spark hadoop spark", "apache hadoop", "", " ", "  leading",
    "trailing  ", "tabs\tand\nnewlines\r\n", "UPPER Case MiXeD", "naïve café 東京 Ünïcödé",
    "multiple   spaces\t\tinside", "\x0bvertical\x0cfeed", "non\u00a0breaking\u2003space",
]


def test_tutorial_pipeline_matches_spark(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import HashingTF, Tokenizer

    train = spark.createDataFrame(TRAINING, ["id", "text", "label"])
    tok = Tokenizer(inputCol="text", outputCol="words")
    tf = HashingTF(inputCol=tok.getOutputCol(), outputCol="features")
    lr = LogisticRegression(maxIter=10, regParam=0.001)
    model = Pipeline(stages=[tok, tf, lr]).fit(train)
    test = spark.createDataFrame([(i, t) for i, t in enumerate(EDGE_TEXTS)], ["id", "text"])
    assert_parity(model, test, tmp_path)
    # The same rows in a batch above the row-path threshold exercise the columnar code.
    big = spark.createDataFrame([(i, t) for i, t in enumerate(EDGE_TEXTS * 3)], ["id", "text"])
    assert_parity(model, big, tmp_path)


@pytest.mark.parametrize("binary,num_features", [(False, 1 << 18), (True, 16)])
def test_hashing_tf_options_match_spark(spark, tmp_path, binary, num_features):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import HashingTF, Tokenizer

    df = spark.createDataFrame([(t,) for t in EDGE_TEXTS + ["a a a b b c"]], ["text"])
    tok = Tokenizer(inputCol="text", outputCol="words")
    tf = HashingTF(inputCol="words", outputCol="tf", binary=binary, numFeatures=num_features)
    assert_parity(Pipeline(stages=[tok, tf]).fit(df), df, tmp_path)
