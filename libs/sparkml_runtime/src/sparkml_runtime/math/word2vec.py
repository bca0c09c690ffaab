"""Word2Vec document vectors, as Spark's ``Word2VecModel.transform``.

A sentence's vector is the sum of its known words' vectors (saved as float32, summed as
doubles in word order) times ``1 / (number of words, known or not)``; an empty sentence
gives an all-zero sparse vector.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def sentence_vector(words: Sequence[str], index: dict[str, int], vectors: np.ndarray) -> np.ndarray:
    """The average vector of one non-empty sentence."""
    total = np.zeros(vectors.shape[1])
    for w in words:
        i = index.get(w)
        if i is not None:
            total += vectors[i]
    return total * (1.0 / len(words))
