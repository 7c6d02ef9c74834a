"""One validator for config, command line and library (issue 17): inputs that used to run and
give silently wrong or NaN results, or die at run time, are refused naming the key."""

import copy
import json

import pytest

from rnncorr.config import (
    Cell,
    ConfigError,
    SimulationSettings,
    check_memory,
    check_settings,
    grid_cells,
    load_config,
    memory_estimate_bytes,
    simulation_settings,
)

GOOD = {
    "grid": {"N": [20], "g": [0.5], "sigma2": [1.0], "activations": [{"name": "tanh"}]},
    "simulation": {"duration": 400, "burn_in": 10, "dt": 0.1, "blocks": 4, "window": 10},
}


def _with(path, value):
    config = copy.deepcopy(GOOD)
    node = config
    *parents, last = path
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return config


# (key path, value, key named in the message, text of the allowed values)
CASES = [
    # window 0.3 at dt 0.5 ran with a window of 0.5 while the attributes said 0.3
    (
        ("simulation",),
        {**GOOD["simulation"], "dt": 0.5, "window": 0.3},
        "simulation.window",
        "at least 2 dt",
    ),
    (("simulation", "window"), 0.1, "simulation.window", "at least 2 dt"),
    (("simulation", "window"), 10.05, "simulation.window", "a multiple of dt"),
    (("simulation", "sample_interval"), 0.05, "simulation.sample_interval", "dt <= sample"),
    (("simulation", "blocks"), 1, "simulation.blocks", "integer >= 2"),
    (("simulation", "burn_in"), -5, "simulation.burn_in", ">= 0"),
    (("simulation", "sample_interval"), 0, "simulation.sample_interval", "number >= dt"),
    (("simulation", "duration"), float("inf"), "simulation.duration", "finite"),
    (("grid", "g"), [float("nan")], "grid.g[0]", "finite"),
    (("grid", "sigma2"), [1.0, float("inf")], "grid.sigma2[1]", "finite"),
    (("results",), "", "results", "non-empty"),
    (("results",), "/", "results", "non-empty folder"),
    (("grid", "activations"), [{"name": "power"}], "grid.activations[0]", "alpha: 0.5"),
    (("grid", "activations"), [{"name": "pade", "a": 0.1}], "grid.activations[0]", "b: 0.4"),
    (
        ("grid", "activations"),
        [{"name": "pade", "a": 0.1, "b": float("inf")}],
        "grid.activations[0].b",
        "finite",
    ),
    (("grid", "N"), [20, 1000000], "grid.N", "tanh/N1000000/g0.5_sigma2_1 needs"),
    (
        ("connectivity",),
        {"enabled": True, "activation": {"name": "power"}},
        "connectivity.activation",
        "alpha: 0.5",
    ),
]


@pytest.mark.parametrize(("path", "value", "key", "allowed"), CASES)
def test_invalid_config_names_the_key(path, value, key, allowed):
    with pytest.raises(ConfigError) as excinfo:
        load_config(_with(path, value))
    message = str(excinfo.value)
    assert f"'{key}'" in message, message
    assert "allowed" in message and allowed in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("  g: [.nan]", r"'grid\.g\[0\]': nan"),
        ("  g: [0.5, .inf]", r"'grid\.g\[1\]': inf"),
        ("  sigma2: [-.inf]", r"'grid\.sigma2\[0\]': -inf"),
        ("  duration: .inf", r"'simulation\.duration': inf"),
    ],
)
def test_yaml_nan_and_inf_name_the_key(tmp_path, line, key):
    """The YAML spellings of the issue: `g: [.nan]` used to end in a MissingInputException and
    `duration: .inf` in a raw ValueError traceback."""
    rows = {"N": "  N: [20]", "g": "  g: [0.5]", "sigma2": "  sigma2: [1.0]"}
    rows["duration"] = "  duration: 400"
    rows[line.split(":")[0].strip()] = line
    text = "\n".join(
        [
            "grid:",
            rows["N"],
            rows["g"],
            rows["sigma2"],
            "  activations: [{name: tanh}]",
            "simulation:",
            rows["duration"],
            "  burn_in: 10",
            "  dt: 0.1",
            "  blocks: 4",
            "  window: 10",
        ]
    )
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=key + " is not a finite number; allowed: finite"):
        load_config(path)


def test_memory_limit_can_be_raised_for_a_cluster():
    big = _with(("grid", "N"), [1000000])
    with pytest.raises(ConfigError, match="max_memory_gb"):
        load_config(big)
    big["max_memory_gb"] = 1e6  # 1 PiB nodes: accepted
    assert grid_cells(load_config(big))[0].N == 1000000
    small = _with(("grid", "N"), [2000])
    small["max_memory_gb"] = 0.1
    with pytest.raises(ConfigError, match=r"tanh/N2000/g0.5_sigma2_1 needs about .* max_memory_gb"):
        load_config(small)


def test_memory_estimate_covers_the_measured_peak():
    """docs/performance.md measured 733 MB for N = 4000, B = 64; the estimate must not be below."""
    settings = SimulationSettings(trajectories=64)
    assert 733e6 <= memory_estimate_bytes(4000, settings) <= 1.5 * 733e6
    cell = Cell(grid_cells(load_config(GOOD))[0].activation, 1000000, 0.5, 1.0)
    with pytest.raises(ConfigError, match="N up to about"):
        check_memory(cell, settings, 24 * 2**30)


def test_valid_multiples_of_dt_pass_despite_decimal_rounding():
    # 0.3 / 0.1 = 2.9999999999999996 and 41 / 0.2 = 204.99999999999997
    for dt, window, interval in ((0.1, 0.3, 0.3), (0.2, 41.0, 1.0), (0.05, 40.0, 0.15)):
        config = _with(
            ("simulation",),
            {**GOOD["simulation"], "dt": dt, "window": window, "sample_interval": interval},
        )
        settings = simulation_settings(load_config(config))
        assert abs(settings.steps_per_window * settings.dt - window) < 1e-9


def test_integer_and_float_spellings_give_the_same_settings():
    """burn_in: 50 and 50.0 must give the same job parameters (no rerun)."""
    a = simulation_settings(load_config(_with(("simulation", "burn_in"), 50)))
    b = simulation_settings(load_config(_with(("simulation", "burn_in"), 50.0)))
    assert json.dumps(a.as_dict(), sort_keys=True) == json.dumps(b.as_dict(), sort_keys=True)
    assert isinstance(a.burn_in, float) and isinstance(a.window, float)


def test_library_entry_points_use_the_same_checks():
    from rnncorr.simulate import simulate_cell

    cell = grid_cells(load_config(GOOD))[0]
    bad = SimulationSettings(duration=40, burn_in=5, dt=0.5, window=0.3, blocks=2)
    with pytest.raises(ConfigError, match=r"simulation setting 'window'.*at least 2 dt"):
        simulate_cell(cell, bad, 0, progress=False)
    with pytest.raises(ConfigError, match=r"simulation setting 'N'.*integer >= 2"):
        simulate_cell(Cell(cell.activation, 1, 0.5, 1.0), SimulationSettings(), 0)
    with pytest.raises(ConfigError, match=r"simulation setting 'g'"):
        simulate_cell(Cell(cell.activation, 20, float("nan"), 1.0), SimulationSettings(), 0)
    with pytest.raises(ConfigError, match=r"'blocks'.*integer >= 2"):
        check_settings(SimulationSettings(blocks=1))
