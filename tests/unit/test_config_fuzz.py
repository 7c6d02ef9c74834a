"""Config fuzzing (hypothesis): each invalid value is rejected with its key and allowed values.

A valid base config is mutated at one key with a value drawn from that key's invalid set;
load_config must raise ConfigError naming the key. Valid mutations must load, and a few of
them must pass a Snakemake dry run (tests/workflow/test_reliability.py does the latter).
"""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from rnncorr.config import ConfigError, grid_cells, load_config

BASE = {
    "seed": 1,
    "grid": {"N": [20, 40], "g": [0.5, 1.0], "sigma2": [1.0], "activations": [{"name": "tanh"}]},
    "simulation": {"duration": 400, "burn_in": 10, "dt": 0.1, "blocks": 4, "window": 10},
}

not_a_number = st.one_of(
    st.text(max_size=3), st.none(), st.booleans(), st.lists(st.integers(), max_size=1)
)
negative = st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False)

# (key path, strategy of invalid values, text the message must contain)
INVALID = [
    (("grid", "N"), st.lists(st.integers(max_value=1), min_size=1, max_size=3), "grid.N"),
    (("grid", "N"), st.just([]), "grid.N"),
    (
        ("grid", "N"),
        st.lists(st.floats(0.5, 100).filter(lambda v: v != int(v)), min_size=1, max_size=2),
        "grid.N",
    ),
    (("grid", "g"), st.lists(negative, min_size=1, max_size=3), "grid.g"),
    (("grid", "g"), st.floats(0, 5).map(lambda v: [v, v]), "grid.g"),
    (("grid", "g"), st.just([]), "grid.g"),
    (("grid", "sigma2"), st.lists(negative, min_size=1, max_size=2), "grid.sigma2"),
    (("grid", "sigma2"), st.lists(not_a_number, min_size=1, max_size=2), "grid.sigma2"),
    (
        ("grid", "activations"),
        st.text(min_size=1, max_size=8)
        .filter(lambda s: s not in {"linear", "tanh", "erf", "power", "pade", "relu"})
        .map(lambda s: [{"name": s}]),
        "grid.activations[0]",
    ),
    (
        ("grid", "activations"),
        st.one_of(
            st.floats(max_value=0, allow_nan=False), st.floats(min_value=1, allow_nan=False)
        ).map(lambda a: [{"name": "power", "alpha": a}]),
        "grid.activations[0]",
    ),
    (("grid", "activations"), st.just([]), "grid.activations"),
    (("simulation", "dt"), st.floats(min_value=1.0, allow_nan=False), "simulation.dt"),
    (("simulation", "dt"), st.floats(max_value=0.0, allow_nan=False), "simulation.dt"),
    (("simulation", "burn_in"), st.floats(400, 1e6), "simulation.burn_in"),
    (("simulation", "realizations"), st.integers(max_value=0), "simulation.realizations"),
    (("simulation", "duration"), st.floats(max_value=0, allow_nan=False), "simulation.duration"),
    (("seed",), st.one_of(st.floats(), st.text(max_size=3), st.integers(max_value=-1)), "seed"),
]


def _mutated(path, value):
    config = copy.deepcopy(BASE)
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


@st.composite
def invalid_configs(draw):
    path, strategy, key = draw(st.sampled_from(INVALID))
    return _mutated(path, draw(strategy)), key


@settings(max_examples=200, deadline=None)
@given(invalid_configs())
def test_invalid_configs_are_rejected_naming_the_key(case):
    config, key = case
    try:
        load_config(config)
    except ConfigError as error:
        message = str(error)
        assert f"'{key}" in message, message
        assert "allowed" in message, message
    else:
        raise AssertionError(f"accepted an invalid config: {config}")


valid_grids = st.fixed_dictionaries(
    {
        "N": st.lists(st.integers(2, 500), min_size=1, max_size=3, unique=True),
        "g": st.lists(
            st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.3, 2.0]), min_size=1, max_size=3, unique=True
        ),
        "sigma2": st.lists(
            st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=1, max_size=2, unique=True
        ),
        "activations": st.lists(
            st.one_of(
                st.sampled_from(["linear", "tanh", "erf", "relu"]).map(lambda n: {"name": n}),
                st.floats(0.05, 0.95).map(lambda a: {"name": "power", "alpha": round(a, 3)}),
            ),
            min_size=1,
            max_size=3,
            unique_by=lambda e: (e["name"], e.get("alpha")),
        ),
    }
)


@settings(max_examples=100, deadline=None)
@given(valid_grids)
def test_valid_configs_load_and_make_one_cell_per_combination(grid):
    config = load_config({**BASE, "grid": grid})
    expected = len(grid["N"]) * len(grid["g"]) * len(grid["sigma2"]) * len(grid["activations"])
    cells = grid_cells(config)
    assert len(cells) == expected
    assert len({cell.path for cell in cells}) == expected
