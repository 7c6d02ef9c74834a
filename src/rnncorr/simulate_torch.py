r"""Torch backend of the simulation engine (``simulation.backend: torch``, ``--backend torch``).

The model, the integrators (exponential Euler, Heun), the recording (equal-time samples every
``sample_every`` steps, zero-frequency window sums with the W / 2W Richardson combination) and
the estimators are those of :mod:`rnncorr.simulate`; only the per-step work runs in torch, on a
CUDA device (``device: cuda``, the default) or, when asked for explicitly, on the CPU
(``device: cpu``, for testing: it is slower than the numpy engine). What is not hot is the
numpy engine's own code:

* J is drawn by the same :class:`~rnncorr.connectivity.Connectivity` sampler from the same
  stream of the realization's SeedSequence, so a realization has the same J under both
  backends, and so is the initial state (the first (B, N) normals of the SFC64 noise stream);
* the equal-time and window outer products are summed on the device in float64
  (``baddbmm``, both variables in one call; full matrices, not triangles), and at each block end
  the sums are copied to the host and handed to the numpy engine's cross-block sums, which give
  the statistics and the eigenvalues exactly as for the numpy backend.

Contract: statistics agree with the numpy engine within statistical error, not bit for bit.
The noise comes from a torch generator on the device, seeded with the first 64-bit word of
``noise_seed.spawn(1)[0]`` (``noise_seed``: the realization's second SeedSequence child, the
numpy engine's noise stream), and is drawn as one (steps, B, N) array per chunk of at most
``CHUNK_STEPS`` steps (a chunk ends where an equal-time sample is due, and at window ends).
The same seed gives the same numbers again on the same device type, torch version and GPU
model (CUDA's Philox and the CPU's Mersenne twister give different streams, and cuBLAS may
choose other kernels on another GPU).

Per step: one ``addmm`` (the leak folded into ``beta``), phi, one add of the noise, the window
sums (one add for x and phi) and every ``sample_every`` steps one copy of (x, phi(x)) into a
float64 staging buffer; Heun adds phi, a subtraction and a second ``addmm``. On CUDA each
chunk of steps is captured once as a CUDA graph and replayed: a step is 4 to 8 small kernels,
whose launches from Python would cost more than the arithmetic below N ~ 2000. The noise buffer
is filled outside the graph (one kernel per chunk), so graph replay and eager execution consume
the generator identically and give the same numbers.

Memory on the device: J, four (N, N) float64 accumulator halves (equal time and zero frequency,
x and phi), a float64 sample buffer of ``SAMPLE_COLUMNS`` x N per variable, and
O(CHUNK_STEPS B N) for the state and the noise. Host memory at a block end: the cross-block
sums of the numpy engine plus one (2, N, N) float64 copy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from rnncorr.activations import Activation
from rnncorr.config import SimulationSettings
from rnncorr.connectivity import IID, Connectivity
from rnncorr.simulate import (
    DIVERGENCE_THRESHOLD,
    KINDS,
    _block_coefficients,
    _CrossBlockSums,
    _draw_network,
    _exponential_euler,
    _final_results,
    _Packed,
    _richardson_weights,
)

if TYPE_CHECKING:
    import torch

__all__ = [
    "CHUNK_STEPS",
    "SAMPLE_COLUMNS",
    "TorchEngine",
    "import_torch",
    "torch_device",
    "torch_threads",
]

#: Steps per chunk: one noise draw and (on CUDA) one graph replay. Bounds the noise buffer.
CHUNK_STEPS = 32

#: Equal-time samples are folded in batches of this many columns (one baddbmm each).
SAMPLE_COLUMNS = 1024

_SQRT_PI_HALF = math.sqrt(math.pi) / 2.0


def import_torch() -> Any:
    """The torch module, or a ValueError saying how to get it."""
    try:
        import torch
    except ImportError:
        raise ValueError(
            "simulation backend 'torch' needs PyTorch, which is not installed here: "
            "pip install 'rnncorr[gpu]' (or use backend numpy)"
        ) from None
    return torch


def torch_device(settings: SimulationSettings) -> torch.device:
    """The device of ``settings``: CUDA unless ``device`` is ``cpu``; an error without a GPU.

    Raises
    ------
    ValueError
        When torch is missing, or ``device`` is ``cuda`` and torch finds no CUDA device: the
        torch backend never falls back to the CPU on its own.
    """
    torch = import_torch()
    if settings.device == "cpu":
        return torch.device("cpu")
    if settings.device != "cuda":
        raise ValueError(f"simulation device must be cuda or cpu, got {settings.device!r}")
    if not torch.cuda.is_available():
        raise ValueError(
            f"simulation backend 'torch' runs on a CUDA GPU, and torch {torch.__version__} finds "
            "none (torch.cuda.is_available() is False). Run on a machine with a GPU and a CUDA "
            "build of torch, use backend numpy, or ask for torch on the CPU explicitly "
            "(--device cpu, simulation.device: cpu)"
        )
    return torch.device("cuda")


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Limit torch's CPU threads (its intra-op pool) to ``threads`` inside the block.

    On the CPU device, torch's own thread pool does the matrix products; on a loaded machine
    more threads than free cores make its small products orders of magnitude slower.
    """
    torch = import_torch()
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _phi_kernel(activation: Activation, torch: Any):
    """``kernel(x, out, work)``: phi(x) into ``out`` in place (torch twin of phi_kernel)."""
    name, params = activation.name, activation.kwargs
    if name == "linear":

        def kernel(x, out, work):
            out.copy_(x)

    elif name == "tanh":

        def kernel(x, out, work):
            torch.tanh(x, out=out)

    elif name == "erf":

        def kernel(x, out, work):
            torch.mul(x, _SQRT_PI_HALF, out=out)
            out.erf_()

    elif name == "power":
        alpha = params["alpha"]

        def kernel(x, out, work):
            torch.abs(x, out=out)
            out.pow_(alpha)
            out.copysign_(x)

    elif name == "pade":
        a, b = params["a"], params["b"]

        def kernel(x, out, work):
            # x (1 + a x^2) / (1 + b x^2)
            torch.mul(x, x, out=work)
            torch.mul(work, a, out=out)
            out.add_(1.0).mul_(x)
            work.mul_(b).add_(1.0)
            out.div_(work)

    elif name == "relu":

        def kernel(x, out, work):
            torch.clamp(x, min=0.0, out=out)

    else:
        raise ValueError(f"simulation backend 'torch' has no kernel for activation {name!r}")
    return kernel


def _packed(sums: np.ndarray) -> _Packed:
    """The numpy engine's packed layout of two full symmetric (N, N) matrices."""
    n = sums.shape[-1]
    packed = _Packed(n)
    packed.data[:n] = np.triu(sums[0])
    packed.data[1:] += np.tril(sums[1])
    return packed


class TorchEngine:
    """The numpy :class:`rnncorr.simulate._Engine`'s interface and recording, in torch.

    ``burn_in(steps)``, ``record_window()``, ``end_block()``, ``runaway()`` and ``result()``
    as there; ``synchronize()`` waits for the device (benchmarks). ``graphs=False`` keeps a
    CUDA engine eager (tests compare both).
    """

    def __init__(
        self,
        activation: Activation,
        n: int,
        g: float,
        sigma2: float,
        settings: SimulationSettings,
        seed_sequence: np.random.SeedSequence,
        connectivity: Connectivity = IID,
        graphs: bool = True,
    ) -> None:
        torch = self.torch = import_torch()
        device = self.device = torch_device(settings)
        self.n, self.settings = n, settings
        np_dtype = np.float32 if settings.float32 else np.float64
        dtype = self.dtype = torch.float32 if settings.float32 else torch.float64
        f64 = torch.float64
        batch = self.batch = settings.trajectories
        self.decay, self.gain, self.noise_sd = _exponential_euler(settings.dt, sigma2)
        self.heun = settings.integrator == "heun"
        self.phi = _phi_kernel(activation, torch)

        # J and the initial state exactly as the numpy engine draws them
        coupling, noise_seed = _draw_network(seed_sequence, n, g, connectivity, np_dtype)
        # rows of J p are p @ J^T: J^T as a (transposed) view, cuBLAS takes either layout
        self.coupling = torch.from_numpy(coupling).to(device).T
        del coupling
        start = np.random.Generator(np.random.SFC64(noise_seed)).standard_normal(
            (batch, n), dtype=np_dtype
        )
        (word,) = noise_seed.spawn(1)[0].generate_state(1, np.uint64)
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(int(word))

        def empty(*shape, dtype=dtype):
            return torch.empty(shape, dtype=dtype, device=device)

        def zeros(*shape, dtype=dtype):
            return torch.zeros(shape, dtype=dtype, device=device)

        # state: stacked (x, phi(x)), each (B, N); one add updates both window sums
        self.state = empty(2, batch, n)
        self.x, self.p = self.state[0], self.state[1]
        self.x.copy_(torch.from_numpy(start))
        self.work = empty(batch, n)
        self.corrector = empty(batch, n) if self.heun else None
        self.noise = empty(CHUNK_STEPS, batch, n) if self.noise_sd > 0 else None

        # recording
        self.steps_per_window = settings.steps_per_window
        self.sample_every = max(1, settings.sample_every)
        self.slots = max(1, -(-SAMPLE_COLUMNS // batch))
        self.stage = empty(2, batch, n, dtype=f64)
        self.samples = empty(2, self.slots * batch, n, dtype=f64)
        self.window_sum = zeros(2, batch, n)
        self.integral = empty(2, batch, n, dtype=f64)
        self.previous = empty(2, batch, n, dtype=f64) if settings.extrapolate_window else None
        self.equal_time = zeros(2, n, n, dtype=f64)
        self.zero_frequency = zeros(2, n, n, dtype=f64)
        self.equal_time_sum = zeros(2, n, dtype=f64)
        self.zero_frequency_sum = zeros(2, n, dtype=f64)
        self.moments = {kind: _CrossBlockSums(n) for kind in KINDS}
        self.graphs: dict | None = {} if graphs and device.type == "cuda" else None
        self._start_block()

    # -- integration -------------------------------------------------------------------------
    def _steps(self, count: int, record: bool, sample: bool) -> None:
        """``count`` steps with the noise in ``self.noise[:count]`` (the code a graph holds)."""
        x, p, state, work = self.x, self.p, self.state, self.work
        for i in range(count):
            self.phi(x, p, work)
            if record:
                if sample and i == 0:
                    self.stage.copy_(state)
                self.window_sum.add_(state)
            x.addmm_(p, self.coupling, beta=self.decay, alpha=self.gain)
            if self.noise is not None:
                x.add_(self.noise[i], alpha=self.noise_sd)
            if self.heun:
                q = self.corrector
                self.phi(x, q, work)
                q.sub_(p)
                x.addmm_(q, self.coupling, alpha=0.5 * self.gain)

    def _chunk(self, count: int, record: bool = False, sample: bool = False) -> None:
        """Draw the noise of ``count`` steps, run them (graph replay on CUDA), store a sample."""
        if self.noise is not None:
            self.noise[:count].normal_(generator=self.generator)
        key = (count, record, sample)
        graph = None
        if self.graphs is not None:
            graph = self.graphs.get(key) or self._capture(key)
        if graph is not None:
            graph.replay()
        else:
            self._steps(*key)
        if sample:
            start = self.filled * self.batch
            self.samples[:, start : start + self.batch].copy_(self.stage)
            self.filled += 1
            if self.filled == self.slots:
                self._flush_samples()

    def _capture(self, key: tuple[int, bool, bool]) -> Any:
        """CUDA graph of ``_steps(*key)``; None (and eager from now on) if capture fails."""
        torch = self.torch
        mutable = [self.state, self.window_sum, self.stage, self.work]
        mutable += [t for t in (self.corrector,) if t is not None]
        saved = [t.clone() for t in mutable]
        try:
            # warm up on a side stream (as torch's CUDA graph notes ask), then capture; the
            # warm-up advances the state, which is put back afterwards
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                self._steps(*key)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self._steps(*key)
        except RuntimeError as exc:  # pragma: no cover - depends on the driver
            warnings.warn(
                f"CUDA graph capture failed ({exc}); the torch engine runs eagerly",
                RuntimeWarning,
                stacklevel=2,
            )
            self.graphs = None
            graph = None
        finally:
            for tensor, copy in zip(mutable, saved, strict=True):
                tensor.copy_(copy)
        if graph is not None:
            self.graphs[key] = graph
        return graph

    def burn_in(self, steps: int) -> None:
        """Integrate ``steps`` steps without recording."""
        while steps > 0:
            count = min(steps, CHUNK_STEPS)
            self._chunk(count)
            steps -= count

    def runaway(self) -> bool:
        """True when |x| exceeds the divergence threshold somewhere or is not finite."""
        peak = float(self.x.abs().max())
        return not (peak < DIVERGENCE_THRESHOLD)  # also catches NaN

    def synchronize(self) -> None:
        """Wait for the device to finish the work queued so far."""
        if self.device.type == "cuda":
            self.torch.cuda.synchronize(self.device)

    # -- recording ---------------------------------------------------------------------------
    def _start_block(self) -> None:
        self.equal_time.zero_()
        self.zero_frequency.zero_()
        self.equal_time_sum.zero_()
        self.zero_frequency_sum.zero_()
        self.equal_time_count = 0
        self.filled = 0
        self.window_index = 0

    def _flush_samples(self) -> None:
        columns = self.filled * self.batch
        if columns == 0:
            return
        samples = self.samples[:, :columns]
        self.equal_time.baddbmm_(samples.transpose(1, 2), samples)
        self.equal_time_sum.add_(samples.sum(dim=1))
        self.equal_time_count += columns
        self.filled = 0

    def record_window(self) -> None:
        """Integrate one window, recording window sums and equal-time samples."""
        self.window_sum.zero_()
        steps, every = self.steps_per_window, self.sample_every
        index = 0
        while index < steps:
            sample = index % every == 0
            next_sample = (index // every + 1) * every
            count = min(next_sample - index, CHUNK_STEPS, steps - index)
            self._chunk(count, record=True, sample=sample)
            index += count
        self._fold_window()

    def _outer(self, values: Any, weight: float = 1.0) -> None:
        """zero_frequency[v] += weight * values[v]^T values[v] for both variables."""
        self.zero_frequency.baddbmm_(values.transpose(1, 2), values, alpha=weight)

    def _fold_window(self) -> None:
        integral = self.integral
        integral.copy_(self.window_sum)  # float64 first, as numpy's multiply does
        integral.mul_(self.settings.dt)
        self.zero_frequency_sum.add_(integral.sum(dim=1))
        if self.previous is None:
            self._outer(integral)
        elif self.window_index % 2 == 0:
            self.previous.copy_(integral)
        else:
            # the numpy engine's pre-weighted Richardson sums (simulate._Engine._fold_window)
            w_single, w_double = _richardson_weights(self.settings, self.batch)
            self._outer(self.previous, -w_single)
            self._outer(integral, -w_single)
            self.previous.add_(integral)
            self._outer(self.previous, w_double)
        self.window_index += 1

    def end_block(self) -> None:
        """Copy the block's sums to the host, fold them into the cross-block sums (numpy)."""
        self._flush_samples()
        equal_time, zero_frequency = _block_coefficients(
            self.settings, self.batch, self.equal_time_count
        )
        for kind, sums, vectors, coefficients in (
            ("equal_time", self.equal_time, self.equal_time_sum, equal_time),
            ("zero_frequency", self.zero_frequency, self.zero_frequency_sum, zero_frequency),
        ):
            self.moments[kind].add_block(
                _packed(sums.cpu().numpy()), *coefficients, vectors.cpu().numpy()
            )
        self._start_block()

    def result(self) -> tuple[dict, dict]:
        """Statistics and eigenvalues of both kinds (numpy, on the host); frees the device."""
        self.graphs = None
        self.coupling = self.equal_time = self.zero_frequency = self.samples = None
        self.noise = self.state = self.x = self.p = None
        return _final_results(self.moments)
