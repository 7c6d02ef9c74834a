"""The optimised engine against a plain reference implementation written out here.

The reference keeps whole trajectories, estimates every block covariance with ``np.cov`` and
feeds :class:`rnncorr.estimators.BlockMoments`: nothing in it is shared with the engine but the
definition of the integrator (docs/science.md §1, README "Numerics in brief") and the order in
which the noise stream is consumed (simulate.py module docstring). Agreement to ~1e-10 means the
fused BLAS steps, the packed dsyrk accumulators, the combined Richardson accumulator and the
chunked block-end reductions compute the same statistics as the obvious code.
"""

import gc
import math
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

from rnncorr import get_activation
from rnncorr.config import SimulationSettings
from rnncorr.connectivity import IID
from rnncorr.estimators import BlockMoments
from rnncorr.simulate import _Engine, phi_kernel, simulate_realization

ACTIVATIONS = [
    get_activation("linear"),
    get_activation("tanh"),
    get_activation("erf"),
    get_activation("power", alpha=0.25),
    get_activation("power", alpha=0.5),
    get_activation("power", alpha=0.75),
    get_activation("power", alpha=0.3),
    get_activation("pade"),
    get_activation("relu"),
]


def reference_realization(activation, n, g, sigma2, settings, seed_sequence):
    """One realization, the slow obvious way (float64): statistics and eigenvalues."""
    j_seed, noise_seed = seed_sequence.spawn(2)
    coupling = IID.sample(n, g, np.random.default_rng(j_seed), np.float64)
    rng = np.random.Generator(np.random.SFC64(noise_seed))
    batch, dt = settings.trajectories, settings.dt
    decay, gain = math.exp(-dt), 1.0 - math.exp(-dt)
    noise_sd = math.sqrt(sigma2 * (1.0 - math.exp(-2.0 * dt)) / 2.0)
    phi = activation.phi

    def draw():  # the engine draws (B, N) arrays: element [b, i] is trajectory b, unit i
        return rng.standard_normal((batch, n)).T

    def step(x):
        p = phi(x)
        noise = noise_sd * draw() if sigma2 > 0 else 0.0
        predictor = decay * x + gain * (coupling @ p) + noise
        if settings.integrator == "euler":
            return predictor
        return decay * x + gain * (coupling @ (p + phi(predictor))) / 2 + noise

    x = draw()  # (N, B): column b is trajectory b
    for _ in range(settings.burn_in_steps):
        x = step(x)

    window = settings.steps_per_window * dt
    moments = {
        kind: {v: BlockMoments(n) for v in ("x", "phi")}
        for kind in ("zero_frequency", "equal_time")
    }
    for _ in range(settings.blocks):
        samples = {"x": [], "phi": []}
        integrals = {"x": [], "phi": []}
        for _ in range(settings.windows_per_block):
            trajectory = []
            for step_index in range(settings.steps_per_window):
                trajectory.append(x)
                if step_index % settings.sample_every == 0:
                    samples["x"].append(x)
                    samples["phi"].append(phi(x))
                x = step(x)
            trajectory = np.array(trajectory)  # (steps, N, B)
            integrals["x"].append(dt * trajectory.sum(axis=0))
            integrals["phi"].append(dt * phi(trajectory).sum(axis=0))
        for v in ("x", "phi"):
            columns = np.concatenate(samples[v], axis=1)  # (N, samples x B)
            moments["equal_time"][v].add_block(np.cov(columns))
            single = np.cov(np.concatenate(integrals[v], axis=1)) / window
            if settings.extrapolate_window:
                pairs = [a + b for a, b in zip(integrals[v][::2], integrals[v][1::2], strict=True)]
                double = np.cov(np.concatenate(pairs, axis=1)) / (2 * window)
                single = 2 * double - single
            moments["zero_frequency"][v].add_block(single)
    statistics = {k: {v: m.statistics() for v, m in per.items()} for k, per in moments.items()}
    eigenvalues = {
        k: {v: np.linalg.eigvalsh(m.covariance)[::-1] for v, m in per.items()}
        for k, per in moments.items()
    }
    return statistics, eigenvalues


def _seed():
    # a fresh SeedSequence per run: spawn() advances the one it is called on
    return np.random.SeedSequence([7, 11, 0])


SMALL = {
    "realizations": 1,
    "trajectories": 4,
    "duration": 48.0,
    "burn_in": 2.0,
    "dt": 0.1,
    "blocks": 3,
    "window": 2.0,
    "sample_interval": 0.5,
}


@pytest.mark.parametrize(
    ("activation", "sigma2", "overrides"),
    [
        (get_activation("tanh"), 1.0, {"integrator": "heun"}),
        (get_activation("tanh"), 1.0, {"integrator": "euler", "extrapolate_window": False}),
        (get_activation("power", alpha=0.25), 0.5, {"integrator": "heun"}),
        (get_activation("relu"), 1.0, {"integrator": "euler", "trajectories": 1}),
        (get_activation("erf"), 2.0, {"integrator": "heun", "trajectories": 3}),
        # no noise: x decays, so keep it short (the cross-block estimator cancels badly when
        # one block dominates the others)
        (get_activation("linear"), 0.0, {"duration": 6.0, "window": 1.0, "burn_in": 0.0}),
    ],
    ids=["tanh-heun", "tanh-euler-noextrap", "power-heun", "relu-euler-B1", "erf-B3", "no-noise"],
)
def test_engine_matches_reference_implementation(activation, sigma2, overrides):
    n, g = 20, 0.5
    settings = SimulationSettings(**{**SMALL, **overrides})
    result = simulate_realization(activation, n, g, sigma2, settings, _seed())
    expected_stats, expected_eig = reference_realization(
        activation, n, g, sigma2, settings, _seed()
    )
    assert not result.diverged
    for kind, per in expected_stats.items():
        for v, stats in per.items():
            for name, value in stats.items():
                assert result.statistics[kind][v][name] == pytest.approx(value, rel=1e-10), (
                    kind,
                    v,
                    name,
                )
            expected = expected_eig[kind][v]  # rank-deficient in places: zeros to ~1e-16
            np.testing.assert_allclose(
                result.eigenvalues[kind][v], expected, rtol=1e-9, atol=1e-12 * expected[0]
            )


@pytest.mark.parametrize("float32", [False, True])
@pytest.mark.parametrize("batch", [1, 5])
def test_same_seed_is_bit_identical(float32, batch):
    settings = SimulationSettings(**{**SMALL, "trajectories": batch, "float32": float32})
    activation = get_activation("tanh")
    runs = [
        simulate_realization(activation, 16, 1.5, 1.0, settings, np.random.SeedSequence(5))
        for _ in range(2)
    ]
    assert runs[0].statistics == runs[1].statistics
    for kind in runs[0].eigenvalues:
        for v in runs[0].eigenvalues[kind]:
            np.testing.assert_array_equal(
                runs[0].eigenvalues[kind][v], runs[1].eigenvalues[kind][v]
            )


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda a: a.label)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_phi_kernel_matches_activation(activation, dtype):
    """In-place kernels equal phi within a few ulp (bit for bit except tanh64, power 1/4, 3/4).

    tanh in float64 is the exp form, accurate in absolute terms: within 1.5 x 2^-52 of tanh
    (1.5 ulp of 1) everywhere, and within 4 ulp where |tanh x| >= 1/2.
    """
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            3 * rng.standard_normal(5000),
            np.logspace(-30, 2.5, 200),
            -np.logspace(-30, 2.5, 200),
            [0.0, 1e-300, -1e-300, 1.0],
        ]
    ).astype(dtype)
    x = x.reshape(2, -1)
    out, work = np.empty_like(x), np.empty_like(x)
    phi_kernel(activation, dtype)(x, out, work)
    expected = activation.phi(x)
    assert out.dtype == expected.dtype == dtype
    ulp = np.spacing(np.abs(expected).astype(dtype))
    if activation.name == "tanh" and dtype == np.float64:
        ulp = np.maximum(ulp, np.spacing(0.5))  # absolute error 2^-53 counts as 1 "ulp"
    assert np.all(np.abs(out - expected) <= 4 * ulp), np.max(np.abs(out - expected) / ulp)


def test_tanh_kernel_saturates_quietly():
    """exp(2x) overflows for x > 354.9: the kernel still gives +-1, inf and nan pass through."""
    x = np.array([[400.0, -400.0, 1e308, -1e308, np.inf, -np.inf, np.nan, 0.0]])
    out, work = np.empty_like(x), np.empty_like(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        phi_kernel(get_activation("tanh"), np.float64)(x, out, work)
    np.testing.assert_array_equal(out, [[1.0, -1.0, 1.0, -1.0, 1.0, -1.0, np.nan, 0.0]])


def test_memory_is_a_few_n_by_n_arrays():
    """Peak traced memory of one realization: J plus four packed accumulators, 5 N^2 doubles.

    Besides those, O(N) buffers: the state (about 13 B N numbers: two (x, phi) states, noise,
    scratch, corrector, window sums, integrals and their pairs), the equal-time sample buffer
    (2 x 256 N) and the chunked block-end reductions (about 3 x 128 N). A plain layout
    (separate accumulators for x, phi, W and 2W windows, full block moments) needs 13 N^2.
    """
    n, batch = 400, 8
    settings = SimulationSettings(**{**SMALL, "trajectories": batch, "duration": 12.0, "blocks": 2})
    tracemalloc.start()
    try:
        simulate_realization(
            get_activation("tanh"), n, 0.5, 1.0, settings, np.random.SeedSequence(1)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * (5.5 * n * n + (13 * batch + 2 * 256 + 4 * 128) * n)


def test_engine_is_freed_without_the_garbage_collector():
    """No reference cycles: J and the accumulators go as soon as a realization returns."""
    settings = SimulationSettings(**SMALL)
    enabled = gc.isenabled()
    gc.disable()
    try:
        engine = _Engine(get_activation("tanh"), 10, 0.5, 1.0, settings, np.random.SeedSequence(2))
        engine.record_window()
        alive = weakref.ref(engine)
        del engine
        assert alive() is None
    finally:
        if enabled:
            gc.enable()
