"""The Snakemake workflow: dry run of the default config, fail-fast validation, a tiny real run."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from rnncorr.plots import FIGURES, figure_problems, plt
from rnncorr.plots_random_mode import RANDOM_MODE_FIGURES
from rnncorr.plots_trained import TRAINED_FIGURES

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


def _tiny_with_branches(data_dir, tmp_path):
    """tests/data/tiny.yaml plus what the default config.yaml adds: a grid.extra sub-grid (the
    power law at two sigma2, one N) and tiny random-mode and trained branches (seconds)."""
    config = yaml.safe_load((data_dir / "tiny.yaml").read_text())
    config["grid"]["extra"] = [
        {"activations": [{"name": "power", "alpha": 0.5}], "N": [30], "sigma2": [0.5, 1.0]}
    ]
    config["connectivity"] = {
        "enabled": True,
        "N": 40,
        "g_eff": [0.5],
        "modes_ratio": [0.5, 2.0],
        "realizations": 2,
        "simulation": {"trajectories": 2, "duration": 100, "blocks": 2, "window": 10},
    }
    config["trained"] = {
        "enabled": True,
        "N": 40,
        "g": [0.5, 1.5],
        "targets": [0.5],
        "activations": ["tanh"],
    }
    path = tmp_path / "tiny_branches.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_tiny_workflow_runs_end_to_end(repo, tmp_path, data_dir):
    config = _tiny_with_branches(data_dir, tmp_path)
    out = _snakemake(repo, tmp_path, "--cores", "2", "--configfile", str(config))
    assert out.returncode == 0, out.stderr[-3000:]
    sims = xr.open_dataset(tmp_path / "results/simulations.nc")
    assert set(sims.dims) >= {"activation", "N", "g", "sigma2", "realization", "kind", "variable"}
    # linear at g = 1.5 runs away: recorded, not raised
    assert int(sims.diverged.sel(activation="linear", g=1.5).sum()) == 4  # 2 N x 2 realizations
    assert int(sims.diverged.sel(activation="tanh").sum()) == 0
    # grid.extra: power-law cells only at N = 30, at both sigma2; NaN where no cell was run
    power = sims.pr_over_n.sel(activation="power-alpha0.5", kind="zero_frequency", variable="phi")
    assert np.isfinite(power.sel(N=30)).all() and np.isnan(power.sel(N=20)).all()
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

    # every figure of the run, redrawn from its netCDF files, passes the referee checks (the
    # files already open above are reused: a second netCDF4 handle on one file can crash HDF5)
    sims_loaded, theory_loaded = sims.load(), theory.load()
    for name, draw in FIGURES.items():
        assert figure_problems(draw(sims_loaded, theory_loaded)) == [], name
    trained = xr.load_dataset(tmp_path / "results/trained/trained.nc")
    for name, draw in TRAINED_FIGURES.items():
        assert figure_problems(draw(trained)) == [], name
    random_mode = xr.load_dataset(tmp_path / "results/random_mode/random_mode.nc")
    for name, draw in RANDOM_MODE_FIGURES.items():
        assert figure_problems(draw(random_mode)) == [], name
    plt.close("all")

    report = tmp_path / "results/report.html"
    out = _snakemake(
        repo,
        tmp_path,
        "--cores",
        "1",
        "--configfile",
        str(config),
        "--report",
        str(report),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    html = report.read_text(errors="replace")
    assert "How the results were made" in html  # the top-level workflow description
    captions = {}
    for name in [*FIGURES, *TRAINED_FIGURES, *RANDOM_MODE_FIGURES]:
        assert f"{name}.png" in html, name  # the PNG itself is registered (shown inline)
        caption = (repo / f"workflow/report/figures/{name}.rst").read_text()
        first_sentence = caption.split("**")[1]  # the bold title of its own caption
        assert first_sentence in html, name
        captions[name] = first_sentence
    assert len(set(captions.values())) == len(captions)  # one caption per figure
