"""The SLURM profile against a real (one-node) SLURM controller: tests/slurm/run_slurm_test.sh.

The script installs Debian's slurmctld/slurmd/munge when missing, starts the daemons, runs the
tiny workflow with `--executor slurm --workflow-profile workflow/profiles/slurm`, checks that the
cells went through sbatch in grouped jobs, and compares results/simulations.nc with a local run
bit for bit. It needs root and either an installed SLURM or a reachable Debian archive; elsewhere
the test is skipped and says why. About 1-2 minutes on 2 cores.
"""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow

SCRIPT = Path(__file__).resolve().parent / "run_slurm_test.sh"
SLURM_COMMANDS = ("slurmctld", "slurmd", "sbatch", "squeue", "munged")
PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
TIMEOUT_S = 420


def _why_not_runnable() -> str | None:
    """None when the script can run here, else the reason to skip."""
    if sys.platform != "linux":
        return "needs Linux"
    if os.geteuid() != 0:
        return "needs root (installs packages, writes /etc/slurm, starts slurmctld/slurmd/munged)"
    if shutil.which("bash") is None:
        return "needs bash"
    if all(shutil.which(command) for command in SLURM_COMMANDS):
        return None
    if shutil.which("apt-get") is None or shutil.which("apt-cache") is None:
        return "SLURM is not installed and there is no apt-get to install it"
    try:
        update = subprocess.run(
            ["apt-get", "update", "-qq"], capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        return "SLURM is not installed and `apt-get update` timed out (no package archive?)"
    failed = update.returncode != 0 or any(
        line.startswith(("E:", "W: Failed to fetch", "W: Some index files failed"))
        for line in (update.stdout + update.stderr).splitlines()
    )
    if failed:
        return f"SLURM is not installed and `apt-get update` failed: {update.stderr.strip()[-300:]}"
    policy = subprocess.run(
        ["apt-cache", "policy", *PACKAGES], capture_output=True, text=True, timeout=60
    ).stdout
    if policy.count("Candidate:") < len(PACKAGES) or "Candidate: (none)" in policy:
        return f"the package archive offers no candidate for one of {', '.join(PACKAGES)}"
    return None


def test_slurm_profile_runs_the_workflow_through_sbatch(tmp_path):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    reason = _why_not_runnable()
    if reason is not None:
        pytest.skip(reason)
    env = dict(os.environ, RNNCORR_VENV_BIN=str(Path(sys.executable).parent))
    # never let an inherited SLURM job context leak into the submissions
    env = {key: value for key, value in env.items() if not key.startswith("SLURM_")}
    # On a timeout the script gets SIGTERM: its trap stops the runs and the daemons it started.
    # Only if that hangs is its whole session killed.
    process = subprocess.Popen(
        ["bash", str(SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        pytest.fail(f"{SCRIPT.name} ran past {TIMEOUT_S} s:\n{stdout[-6000:]}{stderr[-6000:]}")
    report = stdout[-6000:] + stderr[-6000:]
    assert process.returncode == 0, report
    assert "PASS: the SLURM run and the local run agree bit for bit" in stdout, report
    assert "grouped SLURM job(s) of 1 CPU each" in stdout, report
