"""Size of a combined netCDF file (results/theory.nc, results/simulations.nc) under other encodings.

    python benchmarks/netcdf_size.py results/theory.nc [more.nc ...]

Prints one Markdown table per file (docs/NUMERICS.md#size-of-theorync): the file as it is, and
the same content re-encoded: as written by ``rnncorr.io.write_netcdf`` without and with
``compress`` (lossless zlib + shuffle, ``rnncorr.io.compression_encoding``), zlib on every
numeric variable, netCDF3 (classic 64-bit offset), float32 (lossy: for comparison only), the
sigma2 = 1 slice (the full product grid without the NaN padding that ``grid.extra`` adds), and
the bytes of the finite values alone. Every variant is written to a temporary folder; only the
sizes are kept. Lossless variants are read back and compared with the original values.
A few seconds per file.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xarray as xr

from rnncorr.io import compression_encoding, write_netcdf

ZLIB = {"zlib": True, "complevel": 4, "shuffle": True}


def _size(dataset: xr.Dataset, write: Callable[[xr.Dataset, Path], None], check: bool) -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.nc"
        write(dataset, path)
        if check:  # a lossless variant must give back the same values
            with xr.open_dataset(path) as back:
                xr.testing.assert_identical(back.load().drop_encoding(), dataset)
        return os.path.getsize(path)


def _plain(dataset: xr.Dataset, path: Path) -> None:
    write_netcdf(dataset, path)


def _library(dataset: xr.Dataset, path: Path) -> None:
    write_netcdf(dataset, path, compress=True)


def _every_variable(level: int) -> Callable[[xr.Dataset, Path], None]:
    def write(dataset: xr.Dataset, path: Path) -> None:
        numeric = [n for n, v in dataset.variables.items() if v.dtype.kind in "fiu"]
        encoding = {n: {**ZLIB, "complevel": level} for n in numeric}
        dataset.to_netcdf(path, engine="netcdf4", encoding=encoding)

    return write


def _netcdf3(dataset: xr.Dataset, path: Path) -> None:
    dataset.to_netcdf(path, engine="netcdf4", format="NETCDF3_64BIT")


def _float32(compress: bool) -> Callable[[xr.Dataset, Path], None]:
    def write(dataset: xr.Dataset, path: Path) -> None:
        single = dataset.copy()
        for name, variable in dataset.data_vars.items():
            if variable.dtype == np.float64:
                single[name] = variable.astype(np.float32)
        encoding = compression_encoding(single) if compress else {}
        single.to_netcdf(path, engine="netcdf4", encoding=encoding)

    return write


def finite_bytes(dataset: xr.Dataset) -> int:
    """Bytes of the finite float values plus every integer value of the data variables."""
    total = 0
    for variable in dataset.data_vars.values():
        values = variable.values
        if values.dtype.kind == "f":
            total += int(np.isfinite(values).sum()) * values.dtype.itemsize
        elif values.dtype.kind in "iub":
            total += values.nbytes
    return total


def table(path: str) -> str:
    with xr.open_dataset(path) as opened:
        dataset = opened.load().drop_encoding()
    rows = [("as is (on disk)", os.path.getsize(path))]
    variants: list[tuple[str, Callable[[xr.Dataset, Path], None], bool]] = [
        ("rewritten, no compression (`write_netcdf`)", _plain, True),
        ("zlib 4 + shuffle where it helps (`write_netcdf(compress=True)`)", _library, True),
        ("zlib 4 + shuffle, every numeric variable", _every_variable(4), True),
        ("zlib 9 + shuffle, every numeric variable", _every_variable(9), True),
        ("netCDF3 (64-bit offset)", _netcdf3, True),
        ("float32 (lossy)", _float32(False), False),
        ("float32 (lossy) + zlib 4 + shuffle where it helps", _float32(True), False),
    ]
    for name, write, check in variants:
        rows.append((name, _size(dataset, write, check)))
    if "sigma2" in dataset.dims and dataset.sizes["sigma2"] > 1 and 1.0 in dataset.sigma2:
        grid = dataset.sel(sigma2=[1.0])
        rows.append(("sigma2 = 1 only (no padding), no compression", _size(grid, _plain, True)))
        rows.append(("sigma2 = 1 only (no padding), `compress=True`", _size(grid, _library, True)))
        padded = [n for n, v in dataset.data_vars.items() if "sigma2" in v.dims]
        if padded and "activation" in dataset.dims:
            counts = dataset[padded[0]].notnull()
            filled = counts.any([d for d in counts.dims if d not in ("activation", "sigma2")])
            rows.append(
                (
                    f"(activation, sigma2) slots filled: {int(filled.sum())} of {filled.size}",
                    None,
                )
            )
    rows.append(("finite float values + integer values alone (no metadata)", finite_bytes(dataset)))
    sizes = ", ".join(f"{k} {v}" for k, v in dataset.sizes.items())
    out = [f"{path}: {len(dataset.data_vars)} data variables; {sizes}", ""]
    out += ["| encoding | bytes |", "|---|---|"]
    out += [f"| {name} | {'' if size is None else f'{size:,}'} |" for name, size in rows]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    for path in parser.parse_args().paths:
        print(table(path), end="\n\n")


if __name__ == "__main__":
    main()
