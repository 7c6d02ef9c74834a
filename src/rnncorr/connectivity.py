"""Random connectivity matrices.

``iid``: J_ij ~ N(0, g^2 / N) independently, self-couplings included (docs/science.md §1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sample_iid"]


def sample_iid(n: int, g: float, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """Gaussian coupling matrix with iid entries of variance g^2 / n.

    Drawn in float64 and then cast, so that float32 and float64 runs share the same J.
    """
    return (rng.standard_normal((n, n)) * (g / np.sqrt(n))).astype(dtype, copy=False)
