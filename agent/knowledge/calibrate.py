"""Confidence that the best passage answers the question: a logistic function of three
features, fitted on the tenants' evaluation sets (``bench/knowledge.py --fit``).

- ``coverage``: the share of the question's information (IDF-weighted terms) that the
  best passage contains. A question about something the documents never mention ("do you
  do car insurance?") has words the index has never seen, the rarest of all, so its
  coverage stays low even when a common word matches.
- ``margin``: how far the best BM25 score is ahead of the second, relative to the best.
- ``strength``: ``log(1 + best score)``, the raw match strength.

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
    margin: float
    strength: float

    def vector(self) -> tuple[float, float, float]:
        return (self.coverage, self.margin, self.strength)


@dataclass(frozen=True)
class Calibration:
    """``confidence = sigmoid(bias + w . features)``."""

    bias: float
    weights: tuple[float, float, float]

    def confidence(self, features: Features) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# Fitted by `uv run python bench/knowledge.py --fit` on tenants/*/eval.yaml (see README).
DEFAULT_CALIBRATION = Calibration(bias=-4.0, weights=(7.0, 1.0, 0.5))


def fit(
    samples: list[tuple[Features, int]], *, steps: int = 20000, l2: float = 0.01
) -> Calibration:
    """Logistic regression by gradient descent: (features, 1 if right else 0) -> weights."""
    import numpy as np

    x = np.array([f.vector() for f, _ in samples], dtype=float)
    y = np.array([label for _, label in samples], dtype=float)
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        w -= 0.5 * (x.T @ (p - y) / len(y) + l2 * w)
        b -= 0.5 * float(np.mean(p - y))
    return Calibration(bias=round(b, 2), weights=tuple(round(float(v), 2) for v in w))  # type: ignore[arg-type]
