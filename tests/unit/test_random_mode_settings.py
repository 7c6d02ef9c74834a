"""The random-mode branch's settings go through the one validator (rnncorr.config.check_settings),
and its message names the key the bad value came from: the branch's override
(connectivity.simulation.<key>), the inherited top-level key (simulation.<key>), or
connectivity.realizations."""

import copy

import pytest

from rnncorr.config import ConfigError, check_settings
from rnncorr.random_mode import random_mode_settings

GOOD = {
    "simulation": {"duration": 2000, "burn_in": 50, "dt": 0.2, "blocks": 8, "window": 40},
    "connectivity": {
        "realizations": 2,
        "simulation": {"trajectories": 4, "duration": 400, "blocks": 4, "window": 20},
    },
}


def _with(section, key, value):
    config = copy.deepcopy(GOOD)
    node = config["connectivity"] if section == "connectivity" else config[section]
    node[key] = value
    return config


def _override(key, value):
    config = copy.deepcopy(GOOD)
    config["connectivity"]["simulation"][key] = value
    return config


# (config, key named in the message, text of the allowed values)
CASES = [
    # window 20.1 is not a whole number of dt = 0.2 steps (the engine would silently use 20.2)
    (_override("window", 20.1), "'connectivity.simulation.window'", "a multiple of dt"),
    # 4 blocks of 60 time units cannot hold 2 windows of 20
    (_override("duration", 60), "'connectivity.simulation.window'", "window <= duration"),
    (_override("trajectories", 0), "'connectivity.simulation.trajectories'", "integer >= 1"),
    (_override("integrator", "rk4"), "'connectivity.simulation.integrator'", "heun or euler"),
    # inherited from simulation: burn_in 50 is not below the branch's duration 40
    (_override("duration", 40), "'simulation.burn_in' (inherited", "burn_in < duration"),
    (
        _with("simulation", "sample_interval", 0.1),
        "'simulation.sample_interval' (inherited",
        "dt <= sample_interval",
    ),
    (_with("connectivity", "realizations", 0), "'connectivity.realizations'", "integer >= 1"),
    (_with("connectivity", "realizations", 2.5), "'connectivity.realizations'", "integer >= 1"),
]


@pytest.mark.parametrize(("config", "named", "allowed"), CASES)
def test_invalid_branch_settings_name_the_key(config, named, allowed):
    with pytest.raises(ConfigError) as info:
        random_mode_settings(config)
    message = str(info.value)
    assert message.startswith(f"invalid config key {named}"), message
    assert allowed in message and "\n" not in message


def test_valid_branch_settings_merge_overrides_and_pass_the_shared_check():
    settings = random_mode_settings(GOOD)
    assert (settings.realizations, settings.trajectories, settings.duration) == (2, 4, 400.0)
    assert (settings.dt, settings.burn_in, settings.window, settings.blocks) == (0.2, 50, 20, 4)
    check_settings(settings)  # the same validator, library naming: no error
