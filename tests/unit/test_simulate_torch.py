"""The torch backend (rnncorr.simulate_torch) against the numpy engine and exact results.

Its contract is statistical: same J and initial state as the numpy engine, its own noise, so
statistics agree within statistical error (checked against the exact stationary covariance of
the linear network). Without noise both engines integrate the same deterministic trajectories,
so there they must agree to rounding: that checks the chunked recording, the device-side sums
and the block-end hand-over to the numpy estimators exactly. Tests that need torch skip
without it (CI does not install the ``gpu`` extra); CUDA tests skip without a GPU.
"""

import math
import sys

import numpy as np
import pytest
from scipy.linalg import solve_discrete_lyapunov

from rnncorr import get_activation
from rnncorr.cli import main
from rnncorr.config import SimulationSettings
from rnncorr.connectivity import IID
from rnncorr.simulate import phi_kernel, simulate_realization

ACTIVATIONS = [
    get_activation("linear"),
    get_activation("tanh"),
    get_activation("erf"),
    get_activation("power", alpha=0.5),
    get_activation("power", alpha=0.3),
    get_activation("pade"),
    get_activation("relu"),
]


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    # one thread, like BLAS in conftest: with more threads than free cores torch's small CPU
    # products slow down by orders of magnitude
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(before)


def _cuda_or_skip(torch):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")


def _devices():
    return ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def _settings(**overrides) -> SimulationSettings:
    base = {
        "realizations": 1,
        "trajectories": 4,
        "duration": 30.0,
        "burn_in": 1.0,
        "dt": 0.1,
        "blocks": 3,
        "window": 5.0,
        "sample_interval": 0.5,
        "backend": "torch",
        "device": "cpu",
    }
    return SimulationSettings(**{**base, **overrides})


# -- clear errors --------------------------------------------------------------------------
def _cli_torch_error(tmp_path, capsys) -> str:
    """``rnncorr simulate --backend torch`` on a small cell: it must stop with a usage error
    (exit code 2) and write nothing; returns what it printed to stderr."""
    out = tmp_path / "cell.nc"
    args = ["simulate", "--activation", "tanh", "--g", "0.5", "--sigma2", "1", "--N", "10"]
    args += ["--duration", "80", "--window", "5", "--out", str(out), "--backend", "torch"]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert not out.exists()
    return capsys.readouterr().err


def test_backend_torch_without_torch_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails
    with pytest.raises(ValueError, match=r"needs PyTorch.*rnncorr\[gpu\]"):
        simulate_realization(
            get_activation("tanh"), 10, 0.5, 1.0, _settings(), np.random.SeedSequence(0)
        )
    assert "needs PyTorch" in _cli_torch_error(tmp_path, capsys)


def test_backend_torch_without_cuda_is_a_clear_error(torch, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    err = _cli_torch_error(tmp_path, capsys)
    assert "runs on a CUDA GPU" in err and "--device cpu" in err
    # the same through the library, with the default device (cuda)
    with pytest.raises(ValueError, match="torch.cuda.is_available"):
        simulate_realization(
            get_activation("tanh"),
            10,
            0.5,
            1.0,
            _settings(device="cuda"),
            np.random.SeedSequence(0),
        )


# -- exact agreement without noise ---------------------------------------------------------
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda a: a.label)
def test_phi_kernels_match_numpy(torch, activation):
    """torch's phi equals the numpy engine's within a few ulp (float64; tanh: absolute)."""
    from rnncorr.simulate_torch import _phi_kernel

    rng = np.random.default_rng(0)
    x = np.concatenate([3 * rng.standard_normal(2000), [0.0, -0.0, 1e-300, -1.0, 40.0]])
    x = x.reshape(5, -1)
    expected = np.empty_like(x)
    phi_kernel(activation, np.float64)(x, expected, np.empty_like(x))
    xt = torch.from_numpy(x)
    out, work = torch.empty_like(xt), torch.empty_like(xt)
    _phi_kernel(activation, torch)(xt, out, work)
    ulp = np.spacing(np.abs(expected))
    if activation.name == "tanh":
        ulp = np.maximum(ulp, np.spacing(0.5))  # numpy's tanh kernel: absolute error 2^-52
    assert np.all(np.abs(out.numpy() - expected) <= 4 * ulp)


@pytest.mark.parametrize("device", _devices())
@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("linear", {"integrator": "heun"}),
        ("linear", {"integrator": "euler", "extrapolate_window": False, "trajectories": 1}),
        # a sampling period (40 steps) longer than a chunk (32): chunks of 32, 8 and 10 steps
        ("tanh", {"integrator": "heun", "sample_interval": 4.0, "trajectories": 3}),
        ("tanh", {"integrator": "euler", "float32": True}),
    ],
    ids=["linear-heun", "linear-euler-noextrap-B1", "tanh-long-period", "tanh-float32"],
)
def test_without_noise_torch_equals_numpy(torch, device, name, overrides):
    """sigma2 = 0: the same J and initial state give the same trajectories in both engines.

    g = 0.9, so x decays only as exp(-0.1 t): the statistics stay well conditioned. Rounding
    differs (other BLAS, other summation order) but nothing amplifies it: agreement to 1e-9
    (float64) or 1e-4 (float32, ~1e3 ulp of accumulated rounding over 300 steps).
    """
    if device == "cuda":
        _cuda_or_skip(torch)
    activation = get_activation(name)
    settings = _settings(device=device, **overrides)
    numpy_settings = SimulationSettings(**{**settings.as_dict(), "backend": "numpy"})
    results = [
        simulate_realization(activation, 12, 0.9, 0.0, s, np.random.SeedSequence([3, 1]))
        for s in (numpy_settings, settings)
    ]
    rel = 1e-4 if settings.float32 else 1e-9
    for kind, per in results[0].statistics.items():
        for v, stats in per.items():
            for stat, value in stats.items():
                got = results[1].statistics[kind][v][stat]
                assert got == pytest.approx(value, rel=rel), (kind, v, stat)
            np.testing.assert_allclose(
                results[1].eigenvalues[kind][v],
                results[0].eigenvalues[kind][v],
                rtol=rel,
                atol=rel * abs(results[0].eigenvalues[kind][v][0]),
            )


# -- statistical agreement with noise --------------------------------------------------------
def _exact_linear(n, g, sigma2, settings, seed_sequence):
    """Stationary equal-time covariance of exponential Euler for the linear network (same J).

    x' = A x + s xi, A = e I + (1 - e) J: C = A C A^T + s^2 I (discrete Lyapunov equation).
    """
    j_seed, _ = seed_sequence.spawn(2)
    coupling = IID.sample(n, g, np.random.default_rng(j_seed))
    dt = settings.dt
    decay = math.exp(-dt)
    step = decay * np.eye(n) + (1.0 - decay) * coupling
    c = solve_discrete_lyapunov(step, sigma2 * (1.0 - math.exp(-2.0 * dt)) / 2.0 * np.eye(n))
    trace = np.trace(c)
    return {"a": trace / n, "pr_over_n": trace**2 / np.trace(c @ c) / n}


@pytest.mark.parametrize("device", _devices())
def test_torch_agrees_with_numpy_and_exact_within_statistical_error(torch, device):
    """Linear network, g = 0.5, N = 30, B = 16, T = 400, euler: equal-time a and PR/N.

    Spread of one realization's estimate around the exact value, measured over 20 seeds with
    the numpy engine: 0.43 % (a) and 0.75 % (PR/N), bias < 0.2 %. Three J realizations, each
    run by both engines (same J, independent noise): the mean relative error of each engine
    is within 4 s.e. of the mean of 3 (1.0 % and 1.7 %), and so is their difference (x sqrt 2).
    """
    if device == "cuda":
        _cuda_or_skip(torch)
    n, g, sigma2 = 30, 0.5, 1.0
    settings = SimulationSettings(
        realizations=1,
        trajectories=16,
        duration=400.0,
        burn_in=10.0,
        dt=0.1,
        integrator="euler",
        blocks=4,
        window=10.0,
        backend="torch",
        device=device,
    )
    numpy_settings = SimulationSettings(**{**settings.as_dict(), "backend": "numpy"})
    errors = {"numpy": [], "torch": []}
    for seed in range(3):
        exact = _exact_linear(n, g, sigma2, settings, np.random.SeedSequence([seed, 5]))
        for backend, s in (("numpy", numpy_settings), ("torch", settings)):
            stats = simulate_realization(
                get_activation("linear"), n, g, sigma2, s, np.random.SeedSequence([seed, 5])
            ).statistics["equal_time"]["x"]
            errors[backend].append([stats[k] / exact[k] - 1.0 for k in ("a", "pr_over_n")])
    means = {k: np.mean(v, axis=0) for k, v in errors.items()}
    tolerance = 4 * np.array([0.0043, 0.0075]) / math.sqrt(3)
    assert np.all(np.abs(means["numpy"]) < tolerance), means
    assert np.all(np.abs(means["torch"]) < tolerance), means
    assert np.all(np.abs(means["torch"] - means["numpy"]) < math.sqrt(2) * tolerance), means


@pytest.mark.parametrize("device", _devices())
def test_same_seed_same_device_is_reproducible(torch, device):
    if device == "cuda":
        _cuda_or_skip(torch)
    settings = _settings(duration=20.0, window=2.0, device=device)
    runs = [
        simulate_realization(
            get_activation("tanh"), 16, 1.5, 1.0, settings, np.random.SeedSequence(5)
        )
        for _ in range(2)
    ]
    assert runs[0].statistics == runs[1].statistics


def test_divergence_is_recorded(torch):
    settings = _settings(duration=400.0, window=10.0, blocks=4)
    result = simulate_realization(
        get_activation("linear"), 20, 1.8, 1.0, settings, np.random.SeedSequence(1)
    )
    assert result.diverged and math.isfinite(result.diverged_at)
    assert all(math.isnan(v) for v in result.statistics["equal_time"]["x"].values())


# -- CUDA only -----------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("integrator", ["euler", "heun"])
def test_cuda_graphs_equal_eager_execution(torch, integrator):
    """Graph replay runs the captured kernels on the same noise buffer: same numbers.

    Tolerance 1e-12 relative rather than equality in case cuBLAS picks another algorithm
    inside a capture; no amplification at g = 0.5.
    """
    _cuda_or_skip(torch)
    from rnncorr.simulate_torch import TorchEngine

    settings = _settings(device="cuda", integrator=integrator, trajectories=8)
    results = []
    for graphs in (True, False):
        engine = TorchEngine(
            get_activation("tanh"), 64, 0.5, 1.0, settings, np.random.SeedSequence(9), IID, graphs
        )
        assert (engine.graphs is not None) == graphs
        engine.burn_in(settings.burn_in_steps)
        for _ in range(settings.blocks):
            for _ in range(settings.windows_per_block):
                engine.record_window()
            engine.end_block()
        assert (engine.graphs is not None) == graphs  # capture did not fail
        results.append(engine.result()[0])
    for kind, per in results[0].items():
        for v, stats in per.items():
            for stat, value in stats.items():
                assert results[1][kind][v][stat] == pytest.approx(value, rel=1e-12)


def test_graph_bookkeeping_on_the_cpu(torch, monkeypatch):
    """The CUDA graph path's logic, run on the CPU with stand-ins for torch.cuda's graphs.

    A stand-in capture executes the kernels (a real one only records them), and replay runs
    the captured chunk again: with the warm-up and the capture both undone by the engine, the
    graph path must give exactly the eager path's numbers. Checks the chunk keys, the state
    restored after capture and the noise buffer filled before each replay (the CUDA test
    above checks the real thing where a GPU exists).
    """
    from rnncorr.simulate_torch import TorchEngine

    captured = []

    class Graph:
        key = None

        def replay(self):
            engine._steps(*self.key)

    class Capture:
        def __init__(self, graph):
            self.graph = graph

        def __enter__(self):
            captured.append(self.graph)

        def __exit__(self, *exc):
            return False

    class Stream:
        def wait_stream(self, other):
            pass

    monkeypatch.setattr(torch.cuda, "CUDAGraph", Graph)
    monkeypatch.setattr(torch.cuda, "graph", Capture)
    monkeypatch.setattr(torch.cuda, "Stream", Stream)
    monkeypatch.setattr(torch.cuda, "current_stream", Stream)
    monkeypatch.setattr(torch.cuda, "stream", lambda stream: Capture(None))

    settings = _settings(integrator="heun", sample_interval=4.0, trajectories=3)
    results = []
    for graphs in (False, True):
        engine = TorchEngine(
            get_activation("tanh"), 12, 0.9, 1.0, settings, np.random.SeedSequence(4)
        )
        if graphs:
            engine.graphs = {}  # what the constructor does on CUDA
            steps = engine._steps

            def record(count, record, sample, steps=steps):
                if captured and captured[-1] is not None and captured[-1].key is None:
                    captured[-1].key = (count, record, sample)
                steps(count, record, sample)

            engine._steps = record
        engine.burn_in(settings.burn_in_steps)
        for _ in range(settings.blocks):
            for _ in range(settings.windows_per_block):
                engine.record_window()
            engine.end_block()
        results.append(engine.result()[0])
    assert {g.key for g in captured if g is not None} == {
        (10, False, False),  # burn-in
        (32, True, True),  # a 40-step sampling period in chunks of 32 and 8; windows of 50
        (8, True, False),
        (10, True, True),
    }
    assert results[0] == results[1]
