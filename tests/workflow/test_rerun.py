"""No reruns for nothing: a setting respelled (50 -> 50.0) reruns no simulate job, and a
config that would fail at run time (memory, NaN grid value) fails before any job."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.workflow

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")

CONFIG = {
    "seed": 3,
    "grid": {"N": [12], "g": [0.5], "sigma2": [1.0], "activations": [{"name": "tanh"}]},
    "simulation": {
        "realizations": 2,
        "trajectories": 2,
        "duration": 40,
        "burn_in": 10,
        "dt": 0.2,
        "blocks": 2,
        "window": 4,
    },
}
TARGET = "results/sims/tanh/N12/g0.5_sigma2_1.nc"


def _run(repo, workdir, config, *args):
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [
            SNAKEMAKE,
            "-s",
            str(repo / "Snakefile"),
            "-d",
            str(workdir),
            "--configfile",
            str(path),
            "--workflow-profile",
            str(repo / "workflow/profiles/default"),
            "--cores",
            "1",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_integer_and_float_spellings_of_a_setting_rerun_nothing(repo, tmp_path):
    done = _run(repo, tmp_path, CONFIG, TARGET)
    assert done.returncode == 0, done.stderr[-3000:]
    for key, value in (("burn_in", 10.0), ("window", 4.0)):
        respelled = {**CONFIG, "simulation": {**CONFIG["simulation"], key: value}}
        dry = _run(repo, tmp_path, respelled, "-n", TARGET)
        assert dry.returncode == 0, dry.stderr[-3000:]
        assert "Nothing to be done" in dry.stdout + dry.stderr, (key, dry.stdout[-2000:])
    # a real change of the same setting does rerun the cell (the check above can fail)
    changed = {**CONFIG, "simulation": {**CONFIG["simulation"], "burn_in": 12}}
    dry = _run(repo, tmp_path, changed, "-n", TARGET)
    assert "simulate" in dry.stdout and "Nothing to be done" not in dry.stdout + dry.stderr


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        ({"grid": {**CONFIG["grid"], "N": [1000000]}}, "cell tanh/N1000000/g0.5_sigma2_1 needs"),
        ({"grid": {**CONFIG["grid"], "g": [float("nan")]}}, "'grid.g[0]': nan"),
        ({"simulation": {**CONFIG["simulation"], "duration": float("inf")}}, "duration': inf"),
        ({"results": ""}, "invalid config key 'results'"),
    ],
)
def test_run_time_failures_are_refused_before_any_job(repo, tmp_path, edit, needle):
    out = _run(repo, tmp_path, {**CONFIG, **edit}, "-n")
    assert out.returncode != 0
    assert needle in out.stdout + out.stderr, (out.stdout + out.stderr)[-2000:]
    assert "Traceback" not in out.stderr and "MissingInputException" not in out.stderr
