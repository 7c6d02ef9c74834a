"""The finite-size study branch of the workflow (workflow/rules/finite_size.smk)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")


def test_finite_size_config_dry_run(repo, tmp_path):
    shutil.copy(repo / "config.yaml", tmp_path / "config.yaml")
    target = "results/figures/finite_size_correction.png"
    out = subprocess.run(
        [SNAKEMAKE, "-s", str(repo / "Snakefile"), "-d", str(tmp_path), "-n", target,
         "--configfile", str(repo / "config/finite_size.yaml")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    # 3 cases x 4 sizes, 3 equal-time cases x 3 sizes, one aggregate, one figure
    assert "finite_size_study_cell            12" in out.stdout
    assert "finite_size_equal_time_cell        9" in out.stdout
    assert "finite_size_study_aggregate        1" in out.stdout
    assert "finite_size_study_figure           1" in out.stdout
