"""Lossless compression of the combined files (rnncorr.io.write_netcdf(compress=True)):
bit-identical values, the same bytes for the same data, zlib only where it makes the file
smaller (docs/NUMERICS.md#size-of-theorync)."""

import filecmp

import numpy as np
import xarray as xr

from rnncorr.io import compression_encoding, write_netcdf


def _dataset() -> xr.Dataset:
    """Theory-like: a NaN-padded statistic (half of the (activation, sigma2) slots empty, as
    grid.extra makes them), a variable of distinct float64 values, a small one, an int8 one."""
    rng = np.random.default_rng(7)
    padded = rng.normal(size=(4, 66, 3, 2, 2))
    padded[1:, :, [0, 2]] = np.nan
    dims = ("activation", "g", "sigma2", "kind", "variable")
    return xr.Dataset(
        {
            "pr_over_n": (dims, padded, {"long_name": "participation ratio / N", "units": "1"}),
            "dense": (("mode",), rng.normal(size=600)),  # 4 800 bytes of noise
            "small": (("g",), rng.normal(size=66)),  # 528 bytes
            "valid": (("activation", "g"), np.ones((4, 66), dtype=np.int8)),
        },
        coords={
            "activation": ["linear", "tanh", "power-alpha0.5", "pade"],
            "g": np.linspace(0.02, 2.4, 66),
            "sigma2": [0.25, 1.0, 4.0],
            "kind": ["zero_frequency", "equal_time"],
            "variable": ["x", "phi"],
        },
        attrs={"source": "test"},
    )


def test_compression_only_where_it_helps():
    """The NaN-padded statistic compresses; noise (zlib cannot shrink distinct float64 values by
    the 3-4 KB its chunk index costs), variables below 4 KB and int8 flags stay contiguous."""
    encoding = compression_encoding(_dataset())
    assert set(encoding) == {"pr_over_n"}
    assert encoding["pr_over_n"] == {"zlib": True, "complevel": 4, "shuffle": True}


def test_lossless_smaller_and_the_same_bytes_for_the_same_data(tmp_path):
    dataset = _dataset()
    plain = write_netcdf(dataset, tmp_path / "plain.nc")
    first = write_netcdf(dataset, tmp_path / "a.nc", compress=True)
    second = write_netcdf(dataset.copy(deep=True), tmp_path / "b.nc", compress=True)
    assert filecmp.cmp(first, second, shallow=False)  # reproducible: same data, same bytes
    # the padding (12.7 KB of NaN) shrinks to almost nothing, less the 7.6 KB chunk index of a
    # 5-D variable: observed 37 254 against 44 565 bytes (0.84)
    assert first.stat().st_size < 0.9 * plain.stat().st_size
    with xr.open_dataset(first) as back:
        assert back["pr_over_n"].encoding["zlib"] and back["pr_over_n"].dtype == np.float64
        xr.testing.assert_identical(back.load().drop_encoding(), dataset)  # bit for bit
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file
