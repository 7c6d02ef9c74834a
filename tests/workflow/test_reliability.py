"""Reliability: interrupted runs resume, foreign or corrupted cell files are caught, results do
not depend on job order, and valid configs pass a dry run."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from rnncorr import io
from rnncorr.config import grid_cells, load_config, simulation_settings

pytestmark = pytest.mark.workflow

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")

KILL_CONFIG = {
    "seed": 11,
    "grid": {
        "N": [60],
        "g": [0.3, 0.6, 0.9],
        "sigma2": [1.0],
        "activations": [{"name": "tanh"}, {"name": "erf"}],
    },
    "simulation": {
        "realizations": 2,
        "trajectories": 8,
        "duration": 800,
        "burn_in": 10,
        "dt": 0.2,
        "blocks": 4,
        "window": 20,
    },
}


def _command(repo, workdir, configfile, *args):
    return [
        SNAKEMAKE,
        "-s",
        str(repo / "Snakefile"),
        "-d",
        str(workdir),
        "--configfile",
        str(configfile),
        "--workflow-profile",
        str(repo / "workflow/profiles/default"),
        "--cores",
        "1",
        *args,
    ]


def _write_config(path, config):
    path.write_text(yaml.safe_dump(config))
    return path


def _data_equal(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
        assert a[name].values.tobytes() == b[name].values.tobytes(), name


def test_killed_run_resumes_without_recomputing_and_matches_uninterrupted(repo, tmp_path):
    config = _write_config(tmp_path / "kill.yaml", KILL_CONFIG)
    target = "results/simulations.nc"
    interrupted, clean = tmp_path / "interrupted", tmp_path / "clean"
    interrupted.mkdir()
    clean.mkdir()

    process = subprocess.Popen(
        _command(repo, interrupted, config, target),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    sims = interrupted / "results/sims"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(sims.rglob("*.nc"))) < 2:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    written = sorted(sims.rglob("*.nc"), key=lambda p: p.stat().st_mtime_ns)
    assert 2 <= len(written) < 6, "the run must be killed mid-way"
    # with one core, only the newest file can belong to a job that was still finishing
    # (written, but not yet recorded by Snakemake): it is legitimately rerun
    done_before = {p: p.stat().st_mtime_ns for p in written[:-1]}
    assert not (interrupted / target).exists()

    subprocess.run(_command(repo, interrupted, config, "--unlock"), check=True, capture_output=True)
    resumed = subprocess.run(
        _command(repo, interrupted, config, target), capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for path, mtime in done_before.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was recomputed"

    subprocess.run(_command(repo, clean, config, target), check=True, capture_output=True)
    with xr.open_dataset(interrupted / target) as a, xr.open_dataset(clean / target) as b:
        _data_equal(a.load(), b.load())


def test_job_order_does_not_change_results(repo, tmp_path):
    config_dict = {
        **KILL_CONFIG,
        "grid": {**KILL_CONFIG["grid"], "g": [0.3, 0.9], "activations": [{"name": "tanh"}]},
        "simulation": {**KILL_CONFIG["simulation"], "duration": 200},
    }
    config = _write_config(tmp_path / "order.yaml", config_dict)
    paths = [f"results/sims/{cell.path}.nc" for cell in grid_cells(load_config(config_dict))]
    first, second = tmp_path / "first", tmp_path / "second"
    for workdir, order in ((first, paths), (second, paths[::-1])):
        workdir.mkdir()
        for path in order:  # one cell at a time, in opposite orders
            subprocess.run(_command(repo, workdir, config, path), check=True, capture_output=True)
    for path in paths:
        with xr.open_dataset(first / path) as a, xr.open_dataset(second / path) as b:
            _data_equal(a.load(), b.load())


def _tiny_cells(data_dir, tmp_path):
    config = load_config(data_dir / "tiny.yaml")
    cells = grid_cells(config)
    settings, seed = simulation_settings(config), config["seed"]
    from rnncorr.simulate import simulate_cell

    paths = []
    for cell in cells:
        path = tmp_path / f"{cell.path}.nc"
        io.write_netcdf(io.cell_dataset(simulate_cell(cell, settings, seed, progress=False)), path)
        paths.append(path)
    return cells, settings, seed, paths


def test_aggregate_rejects_truncated_missing_and_foreign_cells(data_dir, tmp_path):
    cells, settings, seed, paths = _tiny_cells(data_dir, tmp_path)
    io.aggregate_cells(paths, cells, settings, seed)  # intact files pass

    victim = paths[1]
    original = victim.read_bytes()
    victim.write_bytes(original[: len(original) // 3])  # truncated
    with pytest.raises(io.ProvenanceError, match=f"cannot read cell file {victim}"):
        io.aggregate_cells(paths, cells, settings, seed)

    victim.write_bytes(original)
    with xr.open_dataset(victim) as ds:
        edited = ds.load().drop_vars("nc2")
    io.write_netcdf(edited, victim)
    with pytest.raises(io.ProvenanceError, match=r"lacks variable\(s\) nc2.*delete the file"):
        io.aggregate_cells(paths, cells, settings, seed)

    victim.write_bytes(original)
    with xr.open_dataset(victim) as ds:
        foreign = ds.load()
    foreign.attrs["cell"] = foreign.attrs["cell"].replace('"g": ', '"g": 1')
    io.write_netcdf(foreign, victim)
    with pytest.raises(io.ProvenanceError, match=f"expected .*{victim}"):
        io.aggregate_cells(paths, cells, settings, seed)

    victim.write_bytes(original)
    with pytest.raises(io.ProvenanceError, match="other settings or seed"):
        io.aggregate_cells(paths, cells, settings, seed + 1)


def test_run_summary_counts_diverged_realizations(data_dir, tmp_path):
    cells, settings, seed, paths = _tiny_cells(data_dir, tmp_path)
    out = io.write_netcdf(io.aggregate_cells(paths, cells, settings, seed), tmp_path / "s.nc")
    summary = io.run_summary(out)
    assert "16 realizations, 4 diverged" in summary
    assert "activation=linear" in summary and "g=1.5" in summary


def test_generated_valid_configs_pass_a_dry_run(repo, tmp_path):
    """A handful of valid configs (the fuzz test checks many more without Snakemake)."""
    for index, grid in enumerate(
        [
            {"N": [2], "g": [0.0], "sigma2": [0.0], "activations": [{"name": "relu"}]},
            {
                "N": [10, 500],
                "g": [0.1, 2.0],
                "sigma2": [0.5, 2.0],
                "activations": [{"name": "power", "alpha": 0.05}, {"name": "pade", "a": 0, "b": 1}],
            },
        ]
    ):
        config = _write_config(tmp_path / f"v{index}.yaml", {"grid": grid})
        out = subprocess.run(_command(repo, tmp_path, config, "-n"), capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]


def test_snakemake_is_the_venv_one():
    assert shutil.which(SNAKEMAKE)
