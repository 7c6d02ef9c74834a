"""Throughput of the simulation engine against numpy's own matrix product (and NEST).

For each N, batch size B and dtype, the engine (``rnncorr.simulate._Engine``, the code that
``simulate_realization`` runs) integrates a fixed number of steps through ``record_window()``
(window sums, equal-time sampling, dsyrk folds included) and we report neuron-steps per second,
N x B x steps / wall time. In the same run, interleaved with it, numpy's ``J @ X`` on the same
shapes is timed: one product advances N x B neuron-steps, so its rate is the ceiling of an
engine that does one product per step (euler). Heun does two products per step: its ratio is
bounded by 0.5 and its per-product efficiency is twice the ratio. Best of ``--repeats``.

Usage::

    python benchmarks/simulate_throughput.py --quick          # ~30 s on 2 cores
    python benchmarks/simulate_throughput.py                  # full sweep (+ NEST): ~3.5 min
    python benchmarks/simulate_throughput.py --memory         # peak memory at N=4000, B=64
    python benchmarks/simulate_throughput.py --nest-python /tmp/benchvenv/bin/python

NEST (optional extra ``rnncorr[bench]``): when ``import nest`` works in this interpreter or in
``--nest-python``, the same network (N=500, tanh, g=0.5, sigma2=1, dt=0.1, one thread) is built
from ``tanh_rate_ipn`` neurons and ``rate_connection_delayed`` synapses and its neuron-steps
per second are printed next to the engine's. NEST advances one trajectory per network (B=1).

``--backend torch`` (optional extra ``rnncorr[gpu]``) measures the torch engine
(``rnncorr.simulate_torch``) on ``--device`` (cuda by default) against torch's own ``J @ X`` on
that device, with the same columns. On CUDA the rates are per wall second with the device
synchronized before and after each timing (CPU time means nothing there), the matmul rate is
the best of eager products and products replayed from a CUDA graph (the engine replays graphs
too), and "mem MB" is torch's peak of allocated device memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rnncorr import get_activation  # noqa: E402
from rnncorr.config import SimulationSettings  # noqa: E402
from rnncorr.simulate import _engine_class  # noqa: E402
from rnncorr.threads import blas_threads  # noqa: E402

DT = 0.1
CLOCK = 0  # index into clocks(): 0 = process CPU time (default), 1 = wall clock
SAMPLE_INTERVAL = 1.0  # config/paper.yaml
BACKEND = {"name": "numpy", "device": "cuda"}  # set by --backend, --device
GRAPH_PRODUCTS = 32  # products per CUDA graph in the torch matmul reference


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = ", ".join(
        f"{i['internal_api']} {i['version']} ({i['prefix']}, {i.get('architecture')})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    text = (
        f"CPU: {cpu}, {os.cpu_count()} logical cores, load average {load}\n"
        f"Python {platform.python_version()}, numpy {np.__version__}; BLAS: {blas}"
    )
    if BACKEND["name"] == "torch":
        import torch

        text += f"\ntorch {torch.__version__}, device {BACKEND['device']}"
        if BACKEND["device"] == "cuda":
            props = torch.cuda.get_device_properties(0)
            text += (
                f": {props.name}, {props.total_memory / 2**30:.0f} GiB, "
                f"{props.multi_processor_count} SMs, CUDA {torch.version.cuda}"
            )
        else:
            text += f", {torch.get_num_threads()} threads"
    return text


def settings_for(batch: int, dtype: str, integrator: str, steps: int) -> SimulationSettings:
    return SimulationSettings(
        realizations=1,
        trajectories=batch,
        duration=4 * steps * DT,
        burn_in=0.0,
        dt=DT,
        integrator=integrator,
        blocks=1,
        window=steps * DT,
        extrapolate_window=True,
        sample_interval=SAMPLE_INTERVAL,
        float32=dtype == "float32",
        backend=BACKEND["name"],
        device=BACKEND["device"],
    )


def build_engine(n, batch, dtype, integrator, steps, activation="tanh", g=0.5, sigma2=1.0):
    settings = settings_for(batch, dtype, integrator, steps)
    return _engine_class(settings)(
        get_activation(activation), n, g, sigma2, settings, np.random.SeedSequence([n, batch])
    )


def synchronize() -> None:
    """Wait for queued GPU work (torch on CUDA); nothing to wait for otherwise."""
    if BACKEND["name"] == "torch" and BACKEND["device"] == "cuda":
        import torch

        torch.cuda.synchronize()


def flush_period(engine) -> int:
    """Steps between two folds of the equal-time sample buffer."""
    return engine.slots * engine.sample_every


#: matmul layouts: J @ X with X (N, B); X^T @ J^T with J stored C order (J^T a transposed
#: view); X^T @ K with K = J^T stored C order (the numpy engine's layout, the fastest here)
LAYOUTS = ("columns", "rows", "rows_stored")


def matmul_timers(n: int, batch: int, dtype: str):
    """The library's own J @ X (numpy, or torch on the device) in each of ``LAYOUTS``."""
    if BACKEND["name"] == "torch":
        return torch_matmul_timers(n, batch, dtype)
    rng = np.random.default_rng(0)
    coupling = rng.standard_normal((n, n)).astype(dtype)
    columns = rng.standard_normal((n, batch)).astype(dtype)
    rows = np.ascontiguousarray(columns.T)
    out_columns, out_rows = np.empty_like(columns), np.empty_like(rows)
    transposed = coupling.T
    stored = np.ascontiguousarray(transposed)

    def timer(layout: str, steps: int) -> np.ndarray:
        start = clocks()
        if layout == "columns":
            for _ in range(steps):
                np.matmul(coupling, columns, out=out_columns)  # J @ X
        elif layout == "rows":
            for _ in range(steps):
                np.matmul(rows, transposed, out=out_rows)  # (J @ X)^T = X^T @ J^T
        else:
            for _ in range(steps):
                np.matmul(rows, stored, out=out_rows)  # X^T @ K, K = J^T in C order
        return clocks() - start

    timer.layouts = LAYOUTS
    return timer


def torch_matmul_timers(n: int, batch: int, dtype: str):
    """torch's J @ X on the device, the same layouts; on CUDA also replayed from a graph."""
    import torch

    device = torch.device(BACKEND["device"])
    generator = torch.Generator(device=device).manual_seed(0)
    kind = getattr(torch, dtype)

    def randn(*shape):
        return torch.randn(shape, generator=generator, device=device, dtype=kind)

    coupling, columns = randn(n, n), randn(n, batch)
    rows = columns.T.contiguous()
    transposed = coupling.T
    stored = transposed.contiguous()
    out_columns, out_rows = torch.empty_like(columns), torch.empty_like(rows)
    products = {
        "columns": lambda: torch.matmul(coupling, columns, out=out_columns),
        "rows": lambda: torch.matmul(rows, transposed, out=out_rows),
        "rows_stored": lambda: torch.matmul(rows, stored, out=out_rows),
    }
    layouts = list(LAYOUTS)
    graphs = {}
    if device.type == "cuda":
        for layout in LAYOUTS:
            product = products[layout]
            side = torch.cuda.Stream()  # warm-up on a side stream, as for the engine's graphs
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                product()
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                for _ in range(GRAPH_PRODUCTS):
                    product()
            graphs[f"{layout}_graph"] = graph
        layouts += list(graphs)

    def timer(layout: str, steps: int) -> np.ndarray:
        synchronize()
        start = clocks()
        if layout in graphs:
            replays = max(1, round(steps / GRAPH_PRODUCTS))
            for _ in range(replays):
                graphs[layout].replay()
            synchronize()
            return (clocks() - start) * steps / (replays * GRAPH_PRODUCTS)
        product = products[layout]
        for _ in range(steps):
            product()
        synchronize()
        return clocks() - start

    timer.layouts = tuple(layouts)
    return timer


def clocks() -> np.ndarray:
    """(CPU seconds of this process, wall seconds).

    On a loaded machine the wall clock counts the time other processes held the core; the
    process CPU time does not (with one BLAS thread it is the time spent computing).
    """
    return np.array([time.process_time(), time.perf_counter()])


def time_engine(engine) -> np.ndarray:
    synchronize()
    start = clocks()
    engine.record_window()
    synchronize()
    return clocks() - start


def engine_memory(n, batch, dtype, integrator) -> float:
    """tracemalloc peak (MB) of building an engine, two short windows and one block end.

    torch: peak allocated device memory on CUDA; NaN on the CPU (tracemalloc does not see
    torch's allocations).
    """

    def short_run() -> None:
        engine = build_engine(n, batch, dtype, integrator, steps=20)
        engine.record_window()
        engine.record_window()
        engine.end_block()
        synchronize()

    if BACKEND["name"] == "torch":
        if BACKEND["device"] != "cuda":
            return math.nan
        import torch

        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        short_run()
        return torch.cuda.max_memory_allocated() / 2**20
    tracemalloc.start()
    try:
        short_run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def measure(n, batch, dtype, integrators, target, repeats):
    """Rates (neuron-steps/s) of matmul and of each integrator, best of ``repeats``; ratios.

    Each timing covers a whole number of equal-time flush periods (>= ``target`` seconds), so
    the dsyrk folds are included in proportion; engine and matmul timings are interleaved so
    that both see the same machine load. Each layout's rate is kept (``columns`` is the issue's
    ``J @ X``); ``matmul`` is the fastest of them.
    """
    torch = BACKEND["name"] == "torch"
    warm, probe_steps = (64, 64) if torch else (3, 10)  # torch: whole chunks, graphs captured
    probe = build_engine(n, batch, dtype, "euler", steps=10)
    period = flush_period(probe)
    probe.burn_in(warm)
    synchronize()
    started = time.perf_counter()
    probe.burn_in(probe_steps)
    synchronize()
    per_step = (time.perf_counter() - started) / probe_steps
    del probe
    steps = max(1, math.ceil(target / per_step / period)) * period
    # the products have no fold period to respect: ~target seconds each (at N = 2000 a fold
    # period is ~1 s of products, and timing 3 layouts over it dominated the sweep)
    matmul_steps = max(1, math.ceil(target / per_step))
    engines = {i: build_engine(n, batch, dtype, i, steps) for i in integrators}
    for engine in engines.values():
        engine.burn_in(20)
        if torch:
            engine.record_window()  # captures the window's CUDA graphs before timing
    matmul = matmul_timers(n, batch, dtype)
    layouts = matmul.layouts
    # seconds per step, (repeat, clock) for each layout and integrator
    seconds = {key: np.empty((repeats, 2)) for key in (*layouts, *integrators)}
    for r in range(repeats):
        for layout in layouts:
            seconds[layout][r] = matmul(layout, matmul_steps) / matmul_steps
        for integrator, engine in engines.items():
            seconds[integrator][r] = time_engine(engine) / steps
    seconds["matmul"] = np.min([seconds[layout] for layout in layouts], axis=0)
    best = {key: times.min(axis=0) for key, times in seconds.items()}
    # seconds per step -> neuron-steps per second
    rates = {key: n * batch / times[CLOCK] for key, times in best.items()}
    rates.update({f"{key}_wall": n * batch / times[1] for key, times in best.items()})
    # ratios paired within a repeat (engine and products timed back to back), median over
    # repeats: on a shared machine the load drifts between repeats, and a ratio of two
    # separately taken minima can pair a quiet product timing with a busy engine timing
    for integrator in integrators:
        for reference in ("columns", "matmul"):
            paired = seconds[reference][:, CLOCK] / seconds[integrator][:, CLOCK]
            rates[f"paired_{integrator}_{reference}"] = float(np.median(paired))
    return rates, steps


def run_sweep(args) -> list[dict]:
    rows = []
    header = (
        f"{'N':>5} {'B':>3} {'dtype':>7} {'J@X':>9} {'matmul':>9} {'euler':>9} {'/J@X':>6} "
        f"{'ratio':>6} {'heun':>9} {'ratio':>6} {'/prod':>6} {'steps':>6} {'mem MB':>7}"
    )
    print(
        f"neuron-steps per {('CPU', 'wall')[CLOCK]} second (M = 1e6), best of {args.repeats}; "
        "J@X = numpy J @ X, X (N, B) (the issue's reference); matmul = the fastest of the "
        "three layouts (the stricter reference); rates: best of the repeats; /J@X = euler / "
        "J@X and ratio = engine / matmul: median over repeats of the ratio of back-to-back "
        "timings; heun bound 0.5, /prod = per-product efficiency = 2 x ratio"
    )
    print(header)
    for n in args.N:
        for batch in args.B:
            for dtype in args.dtypes:
                rates, steps = measure(n, batch, dtype, args.integrators, args.target, args.repeats)
                memory = engine_memory(n, batch, dtype, "heun")
                row = {"N": n, "B": batch, "dtype": dtype, "steps": steps, "memory_mb": memory}
                row.update(
                    {k if k.startswith("paired_") else f"rate_{k}": v for k, v in rates.items()}
                )
                cells = [
                    f"{n:>5} {batch:>3} {dtype:>7} {rates['columns'] / 1e6:>8.2f}M "
                    f"{rates['matmul'] / 1e6:>8.2f}M"
                ]
                for integrator in ("euler", "heun"):
                    if integrator in rates:
                        ratio = rates[f"paired_{integrator}_matmul"]
                        row[f"ratio_{integrator}"] = ratio
                        cells.append(f"{rates[integrator] / 1e6:>8.2f}M")
                        if integrator == "euler":
                            row["ratio_euler_columns"] = rates["paired_euler_columns"]
                            cells.append(f"{row['ratio_euler_columns']:>6.2f}")
                        cells.append(f"{ratio:>6.2f}")
                        if integrator == "heun":
                            cells.append(f"{2 * ratio:>6.2f}")
                    else:
                        cells.append(f"{'-':>9} {'-':>6} {'-':>6}")
                cells.append(f"{steps:>6} {memory:>7.1f}")
                print(" ".join(cells), flush=True)
                rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# memory at large N
# ---------------------------------------------------------------------------------------------
MEMORY_CHILD = r"""
import json, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
import numpy as np
from rnncorr import get_activation
from rnncorr.threads import blas_threads
from rnncorr.config import SimulationSettings
from rnncorr.simulate import simulate_realization

def high_water_mb():
    # VmHWM: peak resident set of this process image (ru_maxrss survives exec on Linux)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

n, batch = int(sys.argv[2]), int(sys.argv[3])
baseline = high_water_mb()
settings = SimulationSettings(realizations=1, trajectories=batch, duration=0.8, burn_in=0.1,
    dt=0.1, blocks=2, window=0.2, sample_interval=0.1, integrator="heun")
tracemalloc.start()
start = time.perf_counter()
with blas_threads(int(sys.argv[4])):
    simulate_realization(get_activation("tanh"), n, 0.5, 1.0, settings, np.random.SeedSequence(0))
_, peak = tracemalloc.get_traced_memory()
print(json.dumps({"N": n, "B": batch, "rss_peak_mb": high_water_mb(), "rss_baseline_mb": baseline,
    "traced_peak_mb": peak / 2**20, "seconds": time.perf_counter() - start}))
"""


def run_memory(n: int, batch: int, threads: int) -> dict:
    src = str(Path(__file__).resolve().parents[1] / "src")
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, src, str(n), str(batch), str(threads)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"memory, one full realization (heun, float64) at N={n}, B={batch}: peak RSS "
        f"{result['rss_peak_mb']:.0f} MB (interpreter and libraries alone: "
        f"{result['rss_baseline_mb']:.0f} MB), numpy arrays (tracemalloc) peak "
        f"{result['traced_peak_mb']:.0f} MB; one N x N float64 array = {8 * n * n / 2**20:.0f} MB"
    )
    return result


# ---------------------------------------------------------------------------------------------
# NEST
# ---------------------------------------------------------------------------------------------
def nest_available(python: str) -> bool:
    probe = subprocess.run(
        [python, "-c", "import nest"], capture_output=True, text=True, env=_nest_env()
    )
    return probe.returncode == 0


def _nest_env() -> dict:
    return {**os.environ, "PYNEST_QUIET": "1", "OMP_NUM_THREADS": "1"}


def nest_child(n: int, g: float, sigma2: float, simulated_ms: float) -> dict:
    """Run inside the interpreter that has NEST: time the network, check its variance."""
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "local_num_threads": 1, "rng_seed": 1})
    neurons = nest.Create(
        "tanh_rate_ipn",
        n,
        params={
            "tau": 1.0,  # time unit = NEST's ms
            "lambda": 1.0,
            "mu": 0.0,
            "sigma": math.sqrt(sigma2),  # tau dX = ... + sqrt(tau) sigma dW
            "g": 1.0,
            "theta": 0.0,
            "linear_summation": False,  # sum_j J_ij phi(x_j), not phi(sum_j J_ij x_j)
        },
    )
    rng = np.random.default_rng(0)
    coupling = rng.standard_normal((n, n)) * (g / math.sqrt(n))
    nest.Connect(
        neurons,
        neurons,
        conn_spec="all_to_all",
        syn_spec={"synapse_model": "rate_connection_delayed", "weight": coupling, "delay": DT},
    )
    nest.Simulate(20.0)  # warm-up: buffers, first delivery
    start = clocks()
    nest.Simulate(simulated_ms)
    cpu_seconds, wall_seconds = clocks() - start
    steps = round(simulated_ms / DT)
    # sanity: stationary variance of x (science.md §11: 0.536 for tanh g = 0.5, N = 200)
    samples = []
    for _ in range(40):
        nest.Simulate(1.0)
        samples.append(np.array(neurons.get("rate")))
    samples = np.array(samples)
    return {
        "N": n,
        "steps": steps,
        "seconds": [cpu_seconds, wall_seconds],
        "rates": [n * steps / cpu_seconds, n * steps / wall_seconds],
        "variance_x": float(samples.var(axis=0, ddof=1).mean()),
        "nest_version": nest.__version__ if hasattr(nest, "__version__") else "?",
    }


def run_nest(args) -> dict | None:
    python = args.nest_python or sys.executable
    if not nest_available(python):
        print(
            f"NEST: `import nest` fails in {python}; NEST comparison skipped "
            "(pip install 'rnncorr[bench]' or pass --nest-python)"
        )
        return None
    out = subprocess.run(
        [python, __file__, "--nest-child", "--nest-ms", str(args.nest_ms)],
        capture_output=True,
        text=True,
        env=_nest_env(),
    )
    if out.returncode != 0:
        print("NEST run failed:\n" + out.stderr[-2000:])
        return None
    nest_result = json.loads(out.stdout.strip().splitlines()[-1])
    nest_result["rate"] = nest_result["rates"][CLOCK]
    n = nest_result["N"]
    with blas_threads(args.threads):
        engine_rates = {}
        for batch in (1, 32):
            rates, _ = measure(n, batch, "float64", ["euler"], args.target, args.repeats)
            engine_rates[batch] = rates
    print(
        f"NEST {nest_result['nest_version']} (tanh_rate_ipn + rate_connection_delayed, N={n}, "
        f"dt={DT}, 1 thread): {nest_result['rate'] / 1e6:.3f} M neuron-steps/s "
        f"({nest_result['steps']} steps in {nest_result['seconds'][CLOCK]:.2f} s); "
        f"sanity Var x = {nest_result['variance_x']:.3f} (theory 0.536)"
    )
    for batch, rates in engine_rates.items():
        print(
            f"  engine euler float64, N={n}, B={batch}: {rates['euler'] / 1e6:.3f} M "
            f"neuron-steps/s = {rates['euler'] / nest_result['rate']:.1f} x NEST "
            f"(matmul {rates['matmul'] / 1e6:.3f} M)"
        )
    nest_result["engine"] = {str(b): r for b, r in engine_rates.items()}
    return nest_result


# ---------------------------------------------------------------------------------------------
# cost model
# ---------------------------------------------------------------------------------------------
def cost_model(rows: list[dict], config_path: str) -> dict | None:
    """Core-hours of a config's simulate jobs, from the measured rates.

    Per neuron-step the engine costs t(N) = a N + e seconds (a: the products, 2 or 4 N flops;
    e: phi, noise and bookkeeping), fitted by least squares to the measured rows with the
    config's B, dtype and integrator. A cell costs R x B x N x (duration + burn_in) / dt
    neuron-steps. Upper bound: diverging cells stop early and sigma2 = 0 cells draw no noise.
    """
    import yaml

    config = yaml.safe_load(Path(config_path).read_text())
    sim, grid = config["simulation"], config["grid"]
    batch = sim.get("trajectories", 16)
    dtype = "float32" if sim.get("float32") else "float64"
    integrator = sim.get("integrator", "heun")
    key = f"rate_{integrator}"
    fit = [r for r in rows if r["B"] == batch and r["dtype"] == dtype and key in r]
    if len({r["N"] for r in fit}) < 2:
        print(f"cost model: need rows with B={batch}, {dtype}, {integrator} at two N or more")
        return None
    sizes = np.array([r["N"] for r in fit], dtype=float)
    seconds = np.array([1.0 / r[key] for r in fit])
    (a, e), *_ = np.linalg.lstsq(np.stack([sizes, np.ones_like(sizes)], axis=1), seconds)
    steps = (sim["duration"] + sim["burn_in"]) / sim["dt"]
    cells_per_n = len(grid["g"]) * len(grid["sigma2"]) * len(grid["activations"])
    per_n = {}
    for n in grid["N"]:
        neuron_steps = sim["realizations"] * batch * n * steps
        per_n[n] = cells_per_n * neuron_steps * (a * n + e) / 3600
    total = sum(per_n.values())
    print(
        f"cost model for {config_path} ({integrator}, B={batch}, {dtype}): per neuron-step "
        f"t(N) = {a * 1e9:.3f} ns x N + {e * 1e9:.1f} ns (fit to N = "
        f"{', '.join(str(int(n)) for n in sorted(set(sizes)))}); {cells_per_n} cells per N"
    )
    for n, hours in per_n.items():
        cell_hours = hours / cells_per_n
        print(f"  N = {n:>5}: {cell_hours:8.3f} core-hours per cell, {hours:9.1f} in all")
    print(f"  total: {total:.0f} core-hours (one BLAS thread per job)")
    return {"a": a, "e": e, "core_hours_per_N": per_n, "core_hours": total}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N 500, 1000; B 1, 32 (~30 s)")
    parser.add_argument("--N", type=int, nargs="+", default=[200, 500, 1000, 2000])
    parser.add_argument("--B", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    parser.add_argument("--integrators", nargs="+", default=["euler", "heun"])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument(
        "--backend",
        choices=("numpy", "torch"),
        default="numpy",
        help="engine and matmul reference: numpy (default) or torch (rnncorr[gpu])",
    )
    parser.add_argument(
        "--device", choices=("cuda", "cpu"), default="cuda", help="device of --backend torch"
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of this many (default 3)")
    parser.add_argument("--target", type=float, default=0.15, help="seconds per timing (at least)")
    parser.add_argument(
        "--wall", action="store_true", help="rates per wall second (default: per CPU second)"
    )
    parser.add_argument("--memory", action="store_true", help="peak memory at N=4000, B=64")
    parser.add_argument("--memory-N", type=int, default=4000)
    parser.add_argument("--memory-B", type=int, default=64)
    parser.add_argument("--no-nest", action="store_true")
    parser.add_argument("--nest-python", help="interpreter with nest-simulator installed")
    parser.add_argument("--nest-ms", type=float, default=50.0, help="simulated time (steps x dt)")
    parser.add_argument("--nest-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument(
        "--cost-config",
        default=str(Path(__file__).resolve().parents[1] / "config/paper.yaml"),
        help="config whose simulate jobs to cost (default config/paper.yaml)",
    )
    parser.add_argument("--cost-only", metavar="JSON", help="cost model from a saved --json run")
    args = parser.parse_args(argv)

    global CLOCK
    CLOCK = 1 if args.wall else 0
    BACKEND.update(name=args.backend, device=args.device)
    if args.backend == "torch":
        import torch

        from rnncorr.simulate_torch import torch_device

        torch_device(settings_for(1, "float64", "euler", 10))  # a clear error without a GPU
        if args.device == "cuda":
            CLOCK = 1  # GPU work: wall clock, synchronized
        else:
            torch.set_num_threads(args.threads)
        args.no_nest = True  # NEST is a CPU comparison
    if args.nest_child:
        print(json.dumps(nest_child(500, 0.5, 1.0, args.nest_ms)), flush=True)
        return
    if args.cost_only:
        cost_model(json.loads(Path(args.cost_only).read_text())["sweep"], args.cost_config)
        return
    if args.quick:
        args.N, args.B = [500, 1000], [1, 32]

    print(machine_description())
    print(
        f"BLAS threads: {args.threads}; dt = {DT}, sample_interval = {SAMPLE_INTERVAL}, tanh, "
        "g = 0.5, sigma2 = 1"
    )
    results: dict = {
        "machine": machine_description(),
        "threads": args.threads,
        "backend": dict(BACKEND),
        "clock": ("cpu", "wall")[CLOCK],
    }
    with blas_threads(args.threads):
        results["sweep"] = run_sweep(args)
    if args.backend == "numpy":  # the cost model is that of CPU cluster jobs
        results["cost"] = cost_model(results["sweep"], args.cost_config)
    if not args.no_nest:
        results["nest"] = run_nest(args)
    if args.memory:
        results["memory"] = run_memory(args.memory_N, args.memory_B, args.threads)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS of this process: {results['peak_rss_mb']:.0f} MB; load average now "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
