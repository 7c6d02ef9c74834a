"""BLAS thread limits for the simulation engines.

numpy and scipy wheels each bundle their own OpenBLAS (``numpy.libs/libscipy_openblas64_*``,
``scipy.libs/libscipy_openblas*``), and each starts as many threads as there are cores. The
engine runs its products in numpy's library and its dsyrk folds and axpys in scipy's. When
both libraries run k > 1 threads, the workers of the one that has just returned keep spinning
while the other's work: 2k busy threads on k cores. Measured on 2 cores (N = 1000, B = 32, euler,
wall clock, docs/performance.md): 2660–3110 us per step with one thread in both, 14 730 us with
two in both, 1 865 us with two in numpy's and one in scipy's. So the threads a job is given go
to the library that runs the products, and every other BLAS gets one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController


def _is_numpy_blas(filepath: str, numpy_dir: str) -> bool:
    """True for the BLAS that numpy's wheel bundles (numpy.libs/ on Linux, numpy/.dylibs/ on
    macOS): both paths start with numpy's package directory."""
    return str(Path(filepath).resolve()).startswith(numpy_dir)


@contextmanager
def blas_threads(threads: int | None) -> Iterator[None]:
    """Within the block: ``threads`` BLAS threads for numpy's products, one for any other BLAS.

    ``threads=None`` leaves numpy's BLAS at its default (one thread per core) and still limits
    the others to one. Where numpy and scipy share one BLAS (a system or conda build), that
    library gets ``threads``. Limits are restored on exit.
    """
    controller = ThreadpoolController()
    blas = controller.select(user_api="blas")
    numpy_dir = str(Path(np.__file__).resolve().parent)
    products = [c.filepath for c in blas.lib_controllers if _is_numpy_blas(c.filepath, numpy_dir)]
    others = [c.filepath for c in blas.lib_controllers if c.filepath not in products]
    if not products:  # numpy linked against a BLAS outside its package: shared with scipy
        products, others = others, []
    with ExitStack() as stack:
        if others:
            stack.enter_context(controller.select(filepath=others).limit(limits=1))
        if products and threads is not None:
            stack.enter_context(controller.select(filepath=products).limit(limits=threads))
        yield
