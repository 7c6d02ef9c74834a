"""rnncorr.paired.paired_settings: the one construction of the paired studies' simulation
settings (benchmarks and tests used to spell it out each time)."""

import pytest

from rnncorr.config import ConfigError, SimulationSettings
from rnncorr.paired import PAIRED_SETTINGS, paired_settings


@pytest.mark.parametrize(("realizations", "duration"), [(1, 2000.0), (64, 750.0), (48, 8000)])
def test_equals_the_settings_the_studies_spelled_out(realizations, duration):
    """The construction the benchmarks and slow tests had before (SimulationSettings defaults
    for integrator, W/2W extrapolation and sample interval), so their numbers are unchanged."""
    spelled_out = SimulationSettings(
        realizations=realizations,
        trajectories=16,
        duration=duration,
        burn_in=40,
        dt=0.2,
        blocks=8,
        window=25,
    )
    assert paired_settings(realizations, duration) == spelled_out


def test_overrides_and_the_shared_check():
    assert paired_settings(4, 2000.0, dt=0.1).dt == 0.1
    assert PAIRED_SETTINGS["window"] == 25.0  # the module constant is not modified by calls
    # 8 blocks of 25 time units cannot hold 2 windows of 25: refused by check_settings
    with pytest.raises(ConfigError, match="'window'"):
        paired_settings(4, 200.0)
