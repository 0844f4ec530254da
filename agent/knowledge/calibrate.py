"""Confidence that the best passage answers the question: a logistic function of two
features, fitted on the tenants' evaluation sets (``bench/knowledge.py --fit``).

- ``coverage``: the share of the question's information (IDF-weighted terms) that the
  best passage contains. A question about something the documents never mention ("do you
  do car insurance?") has words the index has never seen, the rarest of all, so its
  coverage stays low even when a common word matches.
- ``strength``: ``log(1 + best score)``, the raw match strength.

The margin of the best score over the second was tried as a third feature and dropped:
a question about something unknown that shares one word with a single passage ("car
insurance" -> the car park) has the largest margin of all, and with it two unanswerable
questions rose above 0.5 where without it none did.

Hybrid search (``FRONTDESK_KB_EMBEDDINGS``) adds a third feature, ``similarity``: the
cosine between the question's and the best passage's sentence embeddings, and has its
own constants (``HYBRID_CALIBRATION``), fitted the same way; BM25's are unchanged.

Raw BM25 scores are not comparable across questions or corpora; these features are, and
the fitted function maps them to 0..1 so a threshold of 0.5 means "more likely right
than not" for every tenant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Features:
    coverage: float
    strength: float
    similarity: float | None = None  # hybrid search only

    def vector(self) -> tuple[float, ...]:
        if self.similarity is None:
            return (self.coverage, self.strength)
        return (self.coverage, self.strength, self.similarity)


@dataclass(frozen=True)
class Calibration:
    """``confidence = sigmoid(bias + w . features)``."""

    bias: float
    weights: tuple[float, ...]

    def confidence(self, features: Features) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# Fitted by `uv run python bench/knowledge.py --fit` on tenants/*/eval.yaml (see README).
DEFAULT_CALIBRATION = Calibration(bias=-5.29, weights=(5.5, 2.42))
# The same, with the similarity feature, fitted by `bench/knowledge.py --embeddings --fit`.
HYBRID_CALIBRATION = Calibration(bias=-8.32, weights=(3.18, 3.6, 7.42))


def fit(
    samples: list[tuple[Features, int]], *, negative_weight: float = 2.0, l2: float = 1e-4
) -> Calibration:
    """Weighted logistic regression (Newton's method): (features, 1 if the best passage
    answers else 0) -> constants. A wrong answer said confidently costs more than "let me
    take a message", so each negative weighs ``negative_weight`` times a positive."""
    import numpy as np

    x = np.array([(1.0, *f.vector()) for f, _ in samples], dtype=float)
    y = np.array([label for _, label in samples], dtype=float)
    weight = np.where(y > 0, 1.0, negative_weight)
    weight /= weight.sum()
    beta = np.zeros(x.shape[1])
    ridge = l2 * np.diag([0.0] + [1.0] * (x.shape[1] - 1))
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (weight * (p - y)) + ridge @ beta
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + ridge
        beta -= np.linalg.solve(hessian, gradient)
    bias, *weights = (round(float(v), 2) for v in beta)
    return Calibration(bias=bias, weights=tuple(weights))
