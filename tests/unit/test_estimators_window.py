"""Zero-frequency window check (issue 17, item 6): the window must be long against the measured
integrated correlation time, else a warning and a flag in the file."""

import math
import warnings

import numpy as np
import pytest

from rnncorr import io
from rnncorr.activations import get_activation
from rnncorr.config import Cell, SimulationSettings
from rnncorr.estimators import (
    integrated_correlation_time,
    window_bias_exponential,
    window_check,
)
from rnncorr.simulate import WindowWarning, simulate_cell


def test_exponential_window_bias_closed_form():
    """C(W)/S = 1 - (tau/W)(1 - e^{-W/tau}), checked against the double integral numerically."""
    tau, window = 2.0, 7.0
    u = np.linspace(-window, window, 200001)
    c_w = np.trapezoid((window - np.abs(u)) * np.exp(-np.abs(u) / tau), u) / window
    s = 2 * tau
    assert window_bias_exponential(window, tau, False) == pytest.approx(c_w / s - 1, rel=1e-6)
    u2 = np.linspace(-2 * window, 2 * window, 400001)
    c_2w = np.trapezoid((2 * window - np.abs(u2)) * np.exp(-np.abs(u2) / tau), u2) / (2 * window)
    assert window_bias_exponential(window, tau, True) == pytest.approx(
        (2 * c_2w - c_w) / s - 1, rel=1e-5
    )


def test_integrated_correlation_time_of_an_exponential_is_tau():
    # a_zf = int C = 2 tau C(0)
    assert integrated_correlation_time(2 * 3.5 * 0.7, 0.7) == pytest.approx(3.5)
    assert math.isnan(integrated_correlation_time(float("nan"), 1.0))


def test_window_check_threshold():
    ok, message = window_check(40.0, 8.0, True)
    assert ok and "5 tau_int" in message and "-0.13%" in message
    ok, message = window_check(40.0, 20.0, True)  # chaos at W = 40, tau_c ~ 20
    assert not ok and "window too short" in message and "need W >= 5 tau_int = 100" in message
    assert not window_check(40.0, 8.0, False)[0]  # without extrapolation: 20 tau_int
    assert window_check(40.0, float("nan"), True)[0]


def test_short_window_warns_and_is_recorded():
    """Power law, alpha = 0.5, g = 3, N = 30: one of the two J of this seed has a slow mode
    (a_zf / a_et ~ 27), so the mean tau_int is ~ 7 and W = 10 is short; weakly coupled tanh
    (tau_int ~ 1) passes with the same W."""
    settings = SimulationSettings(
        realizations=2, trajectories=8, duration=400, burn_in=10, dt=0.2, blocks=4, window=10
    )
    cell = Cell(get_activation("power", alpha=0.5), 30, 3.0, 1.0)
    with pytest.warns(WindowWarning, match="power-alpha0.5/N30/g3_sigma2_1: zero-frequency"):
        result = simulate_cell(cell, settings, 3, progress=False)
    ds = io.cell_dataset(result)
    assert ds.attrs["zero_frequency_window_ok"] == "0"
    assert "window too short" in ds.attrs["zero_frequency_window_check"]
    tau = ds["correlation_time"].mean("realization").max().item()
    assert 10 < 5 * tau  # the flag agrees with the stored correlation times
    calm = Cell(get_activation("tanh"), 30, 0.3, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WindowWarning)
        result = simulate_cell(calm, settings, 3, progress=False)
    ds = io.cell_dataset(result)
    assert ds.attrs["zero_frequency_window_ok"] == "1"
    assert 10 >= 5 * ds["correlation_time"].mean("realization").max().item()
