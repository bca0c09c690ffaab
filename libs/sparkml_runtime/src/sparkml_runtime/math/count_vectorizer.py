"""Term counting for CountVectorizerModel over a whole batch at once."""

from __future__ import annotations

import numpy as np


def count_terms(
    term_ids: np.ndarray, lengths: np.ndarray, thresholds: np.ndarray, size: int, *, binary: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR rows of term counts.

    ``term_ids`` holds every document's tokens back to back (``lengths`` per document) as
    vocabulary indices, -1 for out-of-vocabulary tokens. A count is kept when it is >= the
    document's threshold; ``binary`` replaces kept counts by 1.0. Indices are sorted per row.
    """
    n_docs = lengths.shape[0]
    doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    known = term_ids >= 0
    keys = doc_of[known] * max(size, 1) + term_ids[known]
    uniq, counts = np.unique(keys, return_counts=True)
    docs = uniq // max(size, 1)
    keep = counts >= thresholds[docs]
    uniq, counts, docs = uniq[keep], counts[keep], docs[keep]
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(docs, minlength=n_docs), out=indptr[1:])
    values = np.ones(uniq.size) if binary else counts.astype(np.float64)
    return indptr, (uniq % max(size, 1)).astype(np.int64), values
