"""Parity of the seed's tutorial pipeline (Tokenizer → HashingTF → LogisticRegression)."""

from __future__ import annotations

from typing import Any

import pytest
from sparkml_runtime import Field, InvalidInputError

from .parity import assert_close, assert_parity, spark_rows
from .parity_extra import assert_both_reject, save_and_load

pytestmark = pytest.mark.parity

TRAINING = [
    (0, "a b c d e spark", 1.0),
    (1, "b d", 0.0),
    (2, "spark f g h", 1.0),
    (3, "hadoop mapreduce", 0.0),
]
EDGE_TEXTS = [
    "spark i j k",
    "l m n",
    "spark hadoop spark",
    "apache hadoop",
    "",
    " ",
    "  leading",
    "trailing  ",
    "tabs\tand\nnewlines\r\n",
    "UPPER Case MiXeD",
    "naïve café 東京 Ünïcödé",
    "multiple   spaces\t\tinside",
    "\x0bvertical\x0cfeed",
    "non\u00a0breaking\u2003space",
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


# --- RegexTokenizer, StopWordsRemover, NGram, CountVectorizer, IDF ---------------------------------

MORE_TEXTS = [
    "Hello, World! 😀😀 ab",  # a character outside the BMP counts 2 towards minTokenLength
    "a\r\nb\u0085c\u2028d",  # Java's '.' stops at every line terminator, not only '\n'
    "İstanbul ΣΑΣ Straße",  # İ lower-cases to two characters, final sigma
    "x1,y2;;z3  ...",
    "The THE the tHe, A an AN",
]
TEXTS = EDGE_TEXTS + MORE_TEXTS
# (pattern, gaps, minTokenLength, toLowercase): Java regexes translated to Python's re.
TOKENIZERS = [
    ("\\s+", True, 1, True),
    ("\\W+", True, 2, True),
    ("\\s", True, 0, True),  # empty tokens kept, leading empty piece too
    ("[a-zA-Z]+", False, 1, False),
    ("\\S+", False, 3, False),
    (".", False, 1, False),
    ("(?i)[aeiou]+", False, 1, False),
    ("\\p{Punct}|\\s+", True, 1, False),
    ("\\d+|\\w+", False, 1, True),
    ("\\h+|[;,]", True, 1, False),
    ("(?s).{1,3}", False, 1, False),
    ("\\Q...\\E|;", True, 0, False),
]


def assert_row_path_matches(pipeline: Any, model: Any, df: Any) -> None:
    """The one-row path (batches of at most 8 rows) equals Spark's output for the same rows.

    For these row-independent stages Spark's output for a slice is the slice of its output,
    so one Spark transform serves every batch.
    """
    inputs, expected = spark_rows(df), spark_rows(model.transform(df))
    for start in range(0, len(inputs), 8):
        ours = pipeline.transform_rows(inputs[start : start + 8])
        for i, (a, b) in enumerate(zip(ours, expected[start : start + 8], strict=True)):
            for col, val in b.items():
                assert_close(a[col], val, f"row {start + i} column {col!r}")


def text_df(spark: Any, texts: list[str]) -> Any:
    return spark.createDataFrame([(t,) for t in texts], "text string")


def test_regex_tokenizers_match_spark(spark, tmp_path):
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import RegexTokenizer

    stages = [
        RegexTokenizer(
            inputCol="text", outputCol=f"t{k}", pattern=pattern, gaps=gaps, minTokenLength=min_len, toLowercase=lower
        )
        for k, (pattern, gaps, min_len, lower) in enumerate(TOKENIZERS)
    ]
    model = PipelineModel(stages=stages)
    # 19 texts: the columnar path; then groups of at most 8: the row path.
    pipeline = assert_parity(model, text_df(spark, TEXTS), tmp_path)
    assert_row_path_matches(pipeline, model, text_df(spark, TEXTS))


@pytest.mark.parametrize(
    "pattern",
    ["\\p{L}+", "(?m)^a", "[a-z&&[^aeiou]]", "(?<=ab|c)d"],
)
def test_regex_tokenizer_refuses_untranslatable_patterns_at_load(spark, tmp_path, pattern):
    from pyspark.ml.feature import RegexTokenizer
    from sparkml_runtime import UnsupportedStageError

    with pytest.raises(UnsupportedStageError) as err:
        save_and_load(RegexTokenizer(inputCol="text", outputCol="t", pattern=pattern), tmp_path, "untranslatable")
    assert err.value.class_name == "org.apache.spark.ml.feature.RegexTokenizer"
    assert repr(pattern) in str(err.value) or pattern in str(err.value)


# Java's \\b and \\B: exact on text without non-ASCII letters, digits or marks (JDK 17 and
# JDK 19+ agree there); such a row is refused. Empty matches, gaps and case folding included.
ASCII_TEXTS = [t for t in TEXTS if t.isascii()] + [
    "a_b c-d e.f",
    "word, words sword word_ (word) 'word'",
    "__init__ x2y 3 4.5",
    "the cat THE end",
    "punct!?;:  ",
    "UPPER lower",
]
WORD_BOUNDARY_TOKENIZERS = [
    ("\\b", True, 1, True),
    ("\\b", True, 0, False),
    ("\\B", True, 0, False),
    ("\\bword\\b", False, 1, False),
    ("\\b\\w+\\b", False, 1, True),
    ("\\B\\w+", False, 1, False),
    ("\\b", False, 0, False),  # every boundary as an empty token
    ("\\B", False, 0, False),
    ("(?i)\\bthe\\b", False, 1, False),
    ("\\W*\\b\\W*", True, 1, False),
]


def test_regex_tokenizer_word_boundaries_match_spark_on_ascii_text(spark, tmp_path):
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import RegexTokenizer

    stages = [
        RegexTokenizer(
            inputCol="text", outputCol=f"t{k}", pattern=pattern, gaps=gaps, minTokenLength=min_len, toLowercase=lower
        )
        for k, (pattern, gaps, min_len, lower) in enumerate(WORD_BOUNDARY_TOKENIZERS)
    ]
    model = PipelineModel(stages=stages)
    assert len(ASCII_TEXTS) > 8
    pipeline = assert_parity(model, text_df(spark, ASCII_TEXTS), tmp_path)
    assert_row_path_matches(pipeline, model, text_df(spark, ASCII_TEXTS))


@pytest.mark.parametrize("text", ["café au lait", "x\u0301y", "٣ apples", "Straße"])
def test_regex_tokenizer_word_boundary_refuses_a_row_whose_tokens_depend_on_the_jvm(spark, tmp_path, text):
    from pyspark.ml.feature import RegexTokenizer

    pipeline = save_and_load(RegexTokenizer(inputCol="text", outputCol="t", pattern="\\b"), tmp_path, "boundary")
    results = pipeline.transform_rows([{"text": "plain words"}, {"text": text}], errors="return")
    assert results[0]["t"] == ["plain", " ", "words"]
    refused = results[1]
    assert isinstance(refused, InvalidInputError)
    assert refused.column == "text" and refused.row == 1
    assert "JDK 17 and JDK 19+ disagree" in str(refused)
    # The columnar path refuses the same row.
    many = pipeline.transform_rows([{"text": "plain words"}] * 9 + [{"text": text}], errors="return")
    assert isinstance(many[9], InvalidInputError) and many[0]["t"] == ["plain", " ", "words"]


def test_regex_tokenizer_null_text_is_refused_like_spark(spark, tmp_path):
    from pyspark.ml.feature import RegexTokenizer

    model = RegexTokenizer(inputCol="text", outputCol="t")
    df = spark.createDataFrame([("a b",), (None,)], "text string")
    assert_both_reject(
        model,
        df,
        tmp_path,
        spark_rows(df),
        spark_says="NullPointerException",
        column="text",
        row=1,
        stage="RegexTokenizer",
    )


def test_empty_match_before_emoji_is_refused_not_guessed(spark, tmp_path):
    """Java splits a non-BMP character when an empty match precedes it; that cannot be shown."""
    from pyspark.ml.feature import RegexTokenizer

    pipeline = save_and_load(RegexTokenizer(inputCol="text", outputCol="t", pattern="x*"), tmp_path, "emoji")
    assert pipeline.transform_rows([{"text": "axb"}])[0]["t"] == ["a", "b"]
    with pytest.raises(InvalidInputError) as err:
        pipeline.transform_rows([{"text": "a😀b"}])
    assert err.value.column == "text" and err.value.row == 0 and "RegexTokenizer" in (err.value.stage or "")


TOKEN_LISTS = [
    ["the", "quick", "brown", "fox"],
    ["The", "THE", "a", "An", "quick"],
    [],
    ["solo"],
    ["I", "İ", "ı", "i", "TITLE", "Iİ"],
    ["fox", None, "the", "fox"],
    ["naïve", "café", "東京", "Ünïcödé", ""],
    ["quick", "quick", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"],
    ["a", "b", "a", "b", "a"],
    ["über", "fox", "FOX", "Fox"],
]


def tokens_df(spark: Any, lists: list[list[Any]]) -> Any:
    return spark.createDataFrame([(t, list(reversed(t))) for t in lists], "words array<string>, back array<string>")


def test_stop_words_and_ngrams_match_spark(spark, tmp_path):
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import NGram, StopWordsRemover

    model = PipelineModel(
        stages=[
            StopWordsRemover(inputCol="words", outputCol="default_sw"),  # saved English list, case-insensitive
            StopWordsRemover(inputCol="words", outputCol="cs_sw", caseSensitive=True),
            StopWordsRemover(
                inputCols=["words", "back"],
                outputCols=["tr_w", "tr_b"],
                stopWords=["ı", "i", "title", "fox"],
                locale="tr",  # Turkish: I -> ı, İ -> i
            ),
            StopWordsRemover(inputCol="words", outputCol="en_sw", stopWords=["i", "ii̇", "title"], locale="en"),
            NGram(inputCol="words", outputCol="bigrams"),
            NGram(inputCol="default_sw", outputCol="trigrams", n=3),
            NGram(inputCol="words", outputCol="unigrams", n=1),
        ]
    )
    pipeline = assert_parity(model, tokens_df(spark, TOKEN_LISTS), tmp_path)
    assert_row_path_matches(pipeline, model, tokens_df(spark, TOKEN_LISTS))


def test_count_vectorizer_and_idf_match_spark(spark, tmp_path):
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import IDF, CountVectorizer

    # Spark cannot fit a vocabulary holding null; scoring a null term is fine (it is counted, not indexed).
    train = tokens_df(spark, [t for t in TOKEN_LISTS if None not in t])
    cv = CountVectorizer(inputCol="words", outputCol="tf", minDF=1.0).fit(train)
    idf = IDF(inputCol="tf", outputCol="tfidf", minDocFreq=2).fit(cv.transform(train))
    # minTF absolute (1, 2) and relative to the document's token count (0.3), counts or binary.
    for min_tf, binary in [(1.0, False), (2.0, False), (0.3, False), (0.3, True)]:
        cv.setMinTF(min_tf).setBinary(binary)
        model = PipelineModel(stages=[cv, idf])
        assert_parity(model, tokens_df(spark, TOKEN_LISTS), tmp_path)
        assert_parity(model, tokens_df(spark, TOKEN_LISTS[3:8]), tmp_path)


def test_idf_keeps_dense_and_sparse_inputs_as_spark_does(spark, tmp_path):
    from pyspark.ml.feature import IDF
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import StructField, StructType

    schema = StructType([StructField("tf", VectorUDT())])
    train = spark.createDataFrame(
        [(Vectors.dense([1.0, 0.0, 2.0]),), (Vectors.sparse(3, [0], [3.0]),), (Vectors.dense([0.0, 0.0, 1.0]),)], schema
    )
    model = IDF(inputCol="tf", outputCol="w").fit(train)
    score = [
        (Vectors.dense([1.0, 2.0, 3.0]),),
        (Vectors.sparse(3, [1, 2], [4.0, 0.0]),),  # an explicit zero stays stored
        (Vectors.sparse(3, [], []),),
        (Vectors.dense([0.0, float("nan"), -1.0]),),
    ]
    assert_parity(model, spark.createDataFrame(score, schema), tmp_path)
    assert_parity(model, spark.createDataFrame(score * 3, schema), tmp_path)


def test_text_stage_contracts(spark, tmp_path):
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import NGram, RegexTokenizer, StopWordsRemover

    model = PipelineModel(
        stages=[
            RegexTokenizer(inputCol="text", outputCol="tokens"),
            StopWordsRemover(inputCols=["tokens"], outputCols=["kept"]),
            NGram(inputCol="kept", outputCol="pairs"),
        ]
    )
    pipeline = save_and_load(model, tmp_path, "text_contracts")
    tokenizer, remover, ngram = pipeline.stages
    assert tokenizer.input_fields() == [Field("text", "string", False)]
    assert tokenizer.output_fields() == [Field("tokens", "array<string>", False)]
    assert remover.input_fields() == [Field("tokens", "array<string>", False)]
    assert remover.output_fields() == [Field("kept", "array<string>", False)]
    assert ngram.output_fields() == [Field("pairs", "array<string>", False)]
    assert [f.name for f in pipeline.input_schema] == ["text"]
    with pytest.raises(InvalidInputError) as err:
        pipeline.transform_rows([{"text": "ok"}, {"text": 42}])
    assert (err.value.column, err.value.row) == ("text", 1)


def test_word2vec(spark, tmp_path):
    from pyspark.ml.feature import Word2Vec

    from .model_parity import assert_parity_both_paths

    sentences = ["spark is fast", "spark ml is fun", "numpy is fast too", "fun with vectors", "is it fast"] * 3
    train = spark.createDataFrame([(s.split(),) for s in sentences], ["words"])
    model = Word2Vec(inputCol="words", outputCol="vec", vectorSize=4, minCount=1, seed=2, maxIter=2).fit(train)
    score = [["spark", "is", "fast"], [], ["unknown", "words"], ["fun", "unknown"], ["spark"]] * 2
    assert_parity_both_paths(model, spark.createDataFrame([(w,) for w in score], "words array<string>"), tmp_path)
