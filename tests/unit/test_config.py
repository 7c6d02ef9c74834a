"""Config validation: every bad value is rejected, naming the key and the allowed values."""

import copy

import pytest
import yaml

from rnncorr.config import (
    ConfigError,
    SimulationSettings,
    dense_g,
    format_value,
    grid_cells,
    load_config,
    simulation_settings,
)

GOOD = {
    "grid": {"N": [20], "g": [0.5], "sigma2": [1.0], "activations": [{"name": "tanh"}]},
}


def _with(path, value):
    config = copy.deepcopy(GOOD)
    node = config
    *parents, last = path
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return config


def test_default_config_file_is_valid(repo):
    config = load_config(repo / "config.yaml")
    assert len(grid_cells(config)) > 0


def test_defaults_are_filled_in():
    config = load_config(GOOD)
    assert config["simulation"]["dt"] == 0.1
    assert config["seed"] == 0
    assert GOOD["grid"].get("simulation") is None  # input not mutated


@pytest.mark.parametrize(
    ("path", "value", "key", "allowed"),
    [
        (("grid", "N"), [0], "grid.N[0]", "integers >= 2"),
        (("grid", "N"), [], "grid.N", "non-empty list"),
        (("grid", "N"), [10.5], "grid.N[0]", "integers"),
        (("grid", "g"), [-0.5], "grid.g[0]", "numbers >= 0"),
        (("grid", "g"), [0.5, 0.5], "grid.g", "distinct"),
        (("grid", "g"), [0.3, 0.30000000000000004], "grid.g", "distinct"),
        (("grid", "sigma2"), ["one"], "grid.sigma2[0]", "numbers >= 0"),
        (
            ("grid", "activations"),
            [{"name": "sigmoid"}],
            "grid.activations[0].name",
            "linear, tanh, erf, power, pade, relu",
        ),
        (
            ("grid", "activations"),
            [{"name": "power", "alpha": 1.2}],
            "grid.activations[0].alpha",
            "0 < alpha < 1",
        ),
        (
            ("grid", "activations"),
            [{"name": "tanh", "alpha": 0.5}],
            "grid.activations[0]",
            "allowed: none",
        ),
        (
            ("grid", "activations"),
            [{"name": "tanh"}, {"name": "tanh"}],
            "grid.activations",
            "distinct",
        ),
        (("simulation", "dt"), 1.0, "simulation.dt", "0 < dt < 1"),
        (("simulation", "burn_in"), 5000, "simulation.burn_in", "burn_in < duration"),
        (("simulation", "integrator"), "rk4", "simulation.integrator", "heun"),
        (("simulation", "window"), 1500, "simulation.window", "window <= duration"),
        (("simulation", "realizations"), 0, "simulation.realizations", "integer >= 1"),
        (("simulation", "backend"), "jax", "simulation.backend", "numpy (CPU"),
        (("simulation", "device"), "tpu", "simulation.device", "cuda (default"),
        (("seed",), 1.5, "seed", "integer >= 0"),
        (("seed",), -1, "seed", "integer >= 0"),
        (("grid", "bogus"), 1, "grid", "keys N, activations, extra, g, sigma2"),
    ],
)
def test_bad_config_names_key_and_allowed_values(path, value, key, allowed):
    with pytest.raises(ConfigError) as excinfo:
        load_config(_with(path, value))
    message = str(excinfo.value)
    assert f"'{key}'" in message
    assert allowed in message


def test_yaml_file_round_trip(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    assert load_config(path)["grid"]["g"] == [0.5]


def test_cell_paths_are_rounded():
    config = load_config(_with(("grid", "g"), [0.1 + 0.2]))
    (cell,) = grid_cells(config)
    assert cell.path == "tanh/N20/g0.3_sigma2_1"
    assert format_value(0.30000000000000004) == "0.3"


def test_dense_g_contains_the_grid():
    config = load_config(_with(("grid", "g"), [0.37]))
    assert 0.37 in dense_g(config)


def test_backend_is_stored_only_when_not_numpy():
    """numpy runs keep the settings (job parameters, provenance) they had before the key."""
    config = load_config(GOOD)
    assert config["simulation"]["backend"] == "numpy"
    numpy_settings = simulation_settings(config)
    assert "backend" not in numpy_settings.as_dict() and "device" not in numpy_settings.as_dict()
    assert SimulationSettings(**numpy_settings.as_dict()) == numpy_settings
    torch_config = load_config(_with(("simulation", "backend"), "torch"))
    torch_settings = simulation_settings(torch_config)
    stored = torch_settings.as_dict()
    assert (stored["backend"], stored["device"]) == ("torch", "cuda")
    assert SimulationSettings(**stored) == torch_settings


def test_grid_extra_adds_cells_without_the_full_product():
    """grid.extra: more sigma2 for one activation at one N, not for the whole grid."""
    from rnncorr.config import activation_grid_values, grid_activation_entries, grid_cells

    config = load_config(
        {
            "grid": {
                "N": [20, 40],
                "g": [0.5, 1.0],
                "sigma2": [1.0],
                "activations": [{"name": "tanh"}, {"name": "power", "alpha": 0.5}],
                "extra": [
                    {
                        "activations": [{"name": "power", "alpha": 0.5}],
                        "N": [40],
                        "sigma2": [0.25, 1.0],  # 1.0 duplicates main-grid cells: run once
                    }
                ],
            }
        }
    )
    paths = [cell.path for cell in grid_cells(config)]
    assert len(paths) == len(set(paths)) == 2 * 2 * 2 + 2  # full product + two new cells
    assert "power-alpha0.5/N40/g1_sigma2_0.25" in paths
    assert "power-alpha0.5/N20/g1_sigma2_0.25" not in paths
    assert activation_grid_values(config, "power-alpha0.5", "sigma2") == [0.25, 1.0]
    assert activation_grid_values(config, "tanh", "sigma2") == [1.0]
    assert list(grid_activation_entries(config)) == ["tanh", "power-alpha0.5"]


def test_grid_extra_activation_is_checked():
    config = {
        "grid": {
            "N": [20],
            "g": [0.5],
            "sigma2": [1.0],
            "activations": [{"name": "tanh"}],
            "extra": [{"activations": [{"name": "power", "alpha": 1.5}]}],
        }
    }
    with pytest.raises(ConfigError, match=r"grid.extra\[0\].activations\[0\]"):
        load_config(config)
