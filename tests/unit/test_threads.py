"""rnncorr.threads.blas_threads: the job's threads go to numpy's BLAS, one to any other."""

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg.blas  # noqa: F401  (loads scipy's BLAS, as the engine does)
from threadpoolctl import threadpool_info

from rnncorr.threads import blas_threads

NUMPY_DIR = str(Path(np.__file__).resolve().parent)


def _blas_threads() -> dict[str, int]:
    return {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def _is_numpy(filepath: str) -> bool:
    return str(Path(filepath).resolve()).startswith(NUMPY_DIR)


@pytest.mark.parametrize("threads", [1, 2, None])
def test_products_get_the_threads_and_other_blas_one(threads):
    before = _blas_threads()
    numpy_libs = [f for f in before if _is_numpy(f)]
    if not numpy_libs or len(before) < 2:
        pytest.skip("numpy and scipy share one BLAS here: nothing to split")
    with blas_threads(threads):
        inside = _blas_threads()
    for filepath, count in inside.items():
        if filepath in numpy_libs:
            expected = before[filepath] if threads is None else threads
            assert count == expected, filepath
        else:
            assert count == 1, filepath
    assert _blas_threads() == before  # restored
