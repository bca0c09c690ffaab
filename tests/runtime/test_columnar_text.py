"""The column-at-a-time Tokenizer and HashingTF paths give what the per-row definitions give.

The per-row functions are the ones the Spark parity tests pin down (tests/runtime/
test_text_parity.py, test_hashing_parity.py); here random columns, including Java
whitespace other than " ", trailing spaces, empty strings and characters whose lower case
depends on context (final sigma, dotted capital I), check the batch paths against them.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sparkml_runtime.math.hashing import hashed_feature_vectors, murmur3_index, term_count_vectors
from sparkml_runtime.stages.text import java_lower, java_split_whitespace, lower_split_column

TEXT = st.text(alphabet=st.sampled_from(list("aAbΣσςİK \t\n\ré\u2028")), max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(TEXT, max_size=30))
def test_lower_split_column_is_the_per_row_tokenizer_or_declines(texts):
    got = lower_split_column(texts)
    expected = [java_split_whitespace(java_lower(t)) for t in texts]
    if got is None:
        # Declining is allowed only for rows holding Java whitespace other than " ".
        assert any(ws in t for t in texts for ws in "\t\n\x0b\f\r")
    else:
        assert got == expected


def test_lower_split_column_takes_plain_text_and_declines_non_strings():
    assert lower_split_column(["A b", "", " ", "x  y  ", "ΑΣ Σ"]) == [["a", "b"], [""], [], ["x", "", "y"], ["ας", "σ"]]
    assert lower_split_column(["a", None]) is None
    assert lower_split_column([]) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "spark", "", "é", "x y"]), max_size=8), max_size=20))
def test_term_count_vectors_match_summing_entries(docs):
    n = 16  # few columns: distinct terms collide and their counts add up
    lengths = np.array([len(d) for d in docs], dtype=np.int64)
    flat = [t for d in docs for t in d]
    cols = np.array([murmur3_index(t, n) for t in flat], dtype=np.int64)
    rank_index, ranks = np.unique(cols, return_inverse=True)
    got = term_count_vectors(lengths, ranks.astype(np.int64), rank_index)
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    expected = hashed_feature_vectors(len(docs), rows, cols, np.ones(len(flat)))
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b), (a, b)
