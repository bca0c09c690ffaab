"""Multilayer perceptron forward pass, as Spark's ``FeedForwardTopology.multiLayerPerceptron``.

Weights are one flat vector; for each layer ``in → out`` it holds W (out × in, column-major,
as Breeze reads it) followed by b (out). Hidden layers apply the sigmoid ``1 / (1 + e^-z)``;
the raw prediction is the last affine layer's output (before the softmax on top).
"""

from __future__ import annotations

import numpy as np

from .linear import sigmoid


def unpack_layers(weights: np.ndarray, layers: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W of shape (out, in), b of shape (out,)) for each affine layer, from the flat weights."""
    out: list[tuple[np.ndarray, np.ndarray]] = []
    offset = 0
    for n_in, n_out in zip(layers[:-1], layers[1:], strict=True):
        w = weights[offset : offset + n_in * n_out].reshape((n_in, n_out)).T.copy()
        offset += n_in * n_out
        b = weights[offset : offset + n_out].copy()
        offset += n_out
        out.append((w, b))
    if offset != len(weights):
        raise ValueError(f"{len(weights)} weights for layers {layers} (expected {offset})")
    return out


def raw_scores(x: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """``predictRaw`` for an (n, features) array: (n, classes) last affine outputs."""
    a = x
    for i, (w, b) in enumerate(layers):
        a = a @ w.T + b
        if i < len(layers) - 1:
            a = sigmoid(a)
    return a
