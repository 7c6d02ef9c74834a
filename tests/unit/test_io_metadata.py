"""Combined files keep their metadata (issue 17, item 3): long_name/units on every variable and
coordinate, Conventions, flag meanings, numeric activation parameters, reason codes."""

import json
import warnings

import numpy as np
import pytest
import xarray as xr

from rnncorr import io, theory
from rnncorr.activations import get_activation
from rnncorr.config import Cell, SimulationSettings
from rnncorr.simulate import simulate_cell

SETTINGS = SimulationSettings(
    realizations=2, trajectories=2, duration=40, burn_in=5, dt=0.2, blocks=2, window=4
)
# power and Padé: activations with parameters; the linear cell at g = 1.5 diverges
CELLS = [
    Cell(get_activation("power", alpha=0.25), 12, 0.5, 1.0),
    Cell(get_activation("pade", a=0.1, b=0.4), 16, 0.5, 1.0),
    Cell(get_activation("linear"), 12, 1.5, 1.0),
]


@pytest.fixture(scope="module")
def combined(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cells")
    paths = []
    for cell in CELLS:
        with warnings.catch_warnings():  # the tiny window is short: WindowWarning, expected
            warnings.simplefilter("ignore")
            result = simulate_cell(cell, SETTINGS, 4, progress=False)
        paths.append(io.write_netcdf(io.cell_dataset(result), folder / f"{cell.N}{cell.g}.nc"))
    out = io.write_netcdf(
        io.aggregate_cells(paths, CELLS, SETTINGS, 4, {"seed": 4}), folder / "simulations.nc"
    )
    with xr.open_dataset(out) as ds:
        yield ds.load()


def test_every_variable_and_coordinate_has_a_long_name(combined):
    for name in [*combined.data_vars, *combined.coords]:
        assert combined[name].attrs.get("long_name"), name
    for name in ("a", "cbar", "nc2", "pr_over_n", "g", "sigma2", "N", "correlation_time"):
        assert "units" in combined[name].attrs, name
    assert combined.attrs["Conventions"].startswith("CF-")
    assert json.loads(combined.attrs["config"]) == {"seed": 4} and combined.attrs["seed"] == "4"


def test_flags_padding_and_parameter_coordinates(combined):
    diverged = combined["diverged"]
    assert list(diverged.attrs["flag_values"]) == [0, 1]
    assert diverged.attrs["flag_meanings"].split() == ["stationary", "diverged"]
    assert "NaN-padded" in combined["eigenvalues"].attrs["comment"]
    # N = 12 cells have NaN beyond mode 11 on the mode axis of the N = 16 cell
    eig = combined["eigenvalues"].sel(activation="power-alpha0.25", N=12, g=0.5)
    assert np.isnan(eig.sel(mode=slice(12, None))).all()
    assert np.isfinite(eig.sel(mode=slice(0, 11))).all()
    alpha = combined["alpha"].to_series()
    assert alpha["power-alpha0.25"] == 0.25 and np.isnan(alpha["linear"])
    assert combined["pade_a"].sel(activation="pade-a0.1-b0.4") == 0.1
    assert combined["pade_b"].sel(activation="pade-a0.1-b0.4") == 0.4
    # the activation parameters select like any coordinate
    assert combined.swap_dims(activation="alpha").sel(alpha=0.25)["activation"] == (
        "power-alpha0.25"
    )
    assert int(combined["diverged"].sel(activation="linear", N=12, g=1.5, sigma2=1.0).sum()) >= 1


def test_window_check_is_recorded(combined):
    tau = combined["correlation_time"].sel(activation="power-alpha0.25", N=12, g=0.5)
    assert np.isfinite(tau).all() and (tau > 0).all()
    assert "window" in combined.attrs["zero_frequency_window_check"]


def test_theory_reasons_are_codes_with_a_lookup(tmp_path):
    linear = get_activation("linear")
    g = [0.5, 1.5]
    results = [theory.solve(linear, value, 1.0) for value in g]
    ds = io.theory_dataset(results, ["linear"], g, [1.0])
    ds = io.activation_coordinates(ds, {"linear": {}})
    path = io.write_netcdf(ds, tmp_path / "linear.nc")
    merged = io.write_netcdf(io.merge_theory([path]), tmp_path / "theory.nc")
    with xr.open_dataset(merged) as th:
        th = th.load()
    assert th["reason"].dtype == np.int8
    names = th["reason"].attrs["flag_meanings"].split()
    assert names[0] == "none" and "no_stationary_state" in names
    assert list(th["reason"].attrs["flag_values"]) == list(range(len(names)))
    decoded = io.decode_reasons(th["reason"]).sel(activation="linear", sigma2=1.0)
    assert decoded.sel(g=0.5).item() == "" and decoded.sel(g=1.5).item() == "no_stationary_state"
    assert results[1].reason.startswith(decoded.sel(g=1.5).item())
    for name in [*th.data_vars, *th.coords]:
        assert th[name].attrs.get("long_name"), name
    assert th.attrs["Conventions"].startswith("CF-")
    # files written before the codes: the strings decode to the same names
    legacy = th["reason"].copy(data=np.array([[[""], [results[1].reason]]], dtype=object))
    assert io.decode_reasons(legacy).values.tolist() == decoded.values.reshape(1, 2, 1).tolist()


def test_reason_codes_cover_every_prefix_the_theory_writes():
    texts = [
        "no_stationary_state: g_eff >= 1",
        "odd_phi_required: relu",
        "quiescent: g phi'(0) = 0.5 <= 1",
        "dmft_not_converged (equal-time statistics are NaN): x",
        "trivial_state: g = sigma2 = 0",
        "something new",
        "",
        None,
    ]
    assert io.encode_reasons(texts).tolist() == [1, 2, 3, 4, 5, 6, 0, 0]
