"""The Snakemake workflow: dry run of the default config, fail-fast validation, a tiny real run."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from rnncorr.plots import FIGURES

pytestmark = pytest.mark.workflow

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def _snakemake(repo, workdir, *args, timeout=600):
    return subprocess.run(
        [
            SNAKEMAKE,
            "-s",
            str(repo / "Snakefile"),
            "-d",
            str(workdir),
            "--workflow-profile",
            str(repo / "workflow/profiles/default"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_dry_run_of_default_config(repo, tmp_path):
    shutil.copy(repo / "config.yaml", tmp_path / "config.yaml")
    out = _snakemake(repo, tmp_path, "-n", "--configfile", str(repo / "config.yaml"))
    assert out.returncode == 0, out.stderr
    assert "simulate" in out.stdout and "aggregate" in out.stdout


def test_bad_config_fails_before_any_job(repo, tmp_path, data_dir):
    config = yaml.safe_load((data_dir / "tiny.yaml").read_text())
    config["grid"]["activations"].append({"name": "sigmoid"})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    out = _snakemake(repo, tmp_path, "--cores", "1", "--configfile", str(bad))
    assert out.returncode != 0
    assert "grid.activations[2].name" in out.stderr
    assert "linear, tanh, erf, power, pade, relu" in out.stderr
    assert not (tmp_path / "results").exists()


def test_tiny_workflow_runs_end_to_end(repo, tmp_path, data_dir):
    out = _snakemake(repo, tmp_path, "--cores", "2", "--configfile", str(data_dir / "tiny.yaml"))
    assert out.returncode == 0, out.stderr[-3000:]
    sims = xr.open_dataset(tmp_path / "results/simulations.nc")
    assert set(sims.dims) >= {"activation", "N", "g", "sigma2", "realization", "kind", "variable"}
    # linear at g = 1.5 runs away: recorded, not raised
    assert int(sims.diverged.sel(activation="linear", g=1.5).sum()) == 4  # 2 N x 2 realizations
    assert int(sims.diverged.sel(activation="tanh").sum()) == 0
    theory = xr.open_dataset(tmp_path / "results/theory.nc")
    aligned_sim, aligned_theory = xr.align(sims, theory, join="inner")
    assert aligned_sim.sizes["g"] == 2 and aligned_theory.sizes["g"] == 2
    for name in FIGURES:
        assert (tmp_path / f"results/figures/{name}.pdf").stat().st_size > 0
        assert (tmp_path / f"results/figures/{name}.png").stat().st_size > 0
    assert "git_commit" in sims.attrs and "config" in sims.attrs
    # issue 17: the combined files keep their metadata
    assert sims["a"].attrs["long_name"] and sims["a"].attrs["units"]
    assert sims["g"].attrs["long_name"] and sims.attrs["Conventions"].startswith("CF-")
    assert {"config", "seed", "Conventions"} <= set(theory.attrs)
    assert theory["reason"].dtype.kind == "i" and "flag_meanings" in theory["reason"].attrs
    assert sims.pr_over_n.dims == (
        "activation",
        "N",
        "g",
        "sigma2",
        "realization",
        "kind",
        "variable",
    )
    assert sims.eigenvalues.sizes["mode"] == 30  # padded to the largest N
    assert np.isnan(sims.eigenvalues.sel(N=20, mode=25)).all()
    fit = xr.open_dataset(tmp_path / "results/finite_size.nc")
    assert set(fit.p_0.dims) == {"activation", "g", "sigma2", "kind", "variable"}

    report = tmp_path / "results/report.html"
    out = _snakemake(
        repo,
        tmp_path,
        "--cores",
        "1",
        "--configfile",
        str(data_dir / "tiny.yaml"),
        "--report",
        str(report),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    html = report.read_text(errors="replace")
    for name in FIGURES:
        assert f"{name}.pdf" in html, name
