"""Random connectivity matrices.

``iid`` (default): J_ij ~ N(0, g^2 / N) independently, self-couplings included
(docs/science.md §1). Samplers take a ``numpy.random.Generator`` and return float64 or float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IID", "Connectivity", "sample_iid"]


def sample_iid(n: int, g: float, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """Gaussian coupling matrix with iid entries of variance g^2 / n.

    Drawn in float64 and then cast, so that float32 and float64 runs share the same J.
    """
    return (rng.standard_normal((n, n)) * (g / np.sqrt(n))).astype(dtype, copy=False)


@dataclass(frozen=True)
class Connectivity:
    """A connectivity model; ``sample(n, g, rng, dtype)`` draws one J with gain g."""

    kind: str = "iid"

    @property
    def label(self) -> str:
        return self.kind

    def sample(self, n: int, g: float, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
        return sample_iid(n, g, rng, dtype)


IID = Connectivity()
