#!/usr/bin/env bash
# Run the workflow through a real one-node SLURM controller on this machine and check that the
# result equals a local run bit for bit.
#
#   sudo tests/slurm/run_slurm_test.sh            (root: installs and starts SLURM itself)
#
# 1. installs Debian's slurmctld slurmd slurm-client munge when missing (apt-get),
# 2. writes a one-node /etc/slurm/slurm.conf for this host, starts munged, slurmctld and slurmd
#    in the foreground as background processes (no systemd) and waits for the node to be idle,
# 3. runs the workflow on tests/data/tiny.yaml with `--executor slurm --workflow-profile
#    workflow/profiles/slurm` in a temporary directory and checks that its jobs went through
#    sbatch (the plugin's per-job logs in .snakemake/slurm_logs and squeue's job list),
# 4. runs the same config locally with the default profile in another temporary directory (at
#    the same time as 3., which mostly waits),
# 5. compares every data variable of results/simulations.nc byte for byte,
# 6. stops the daemons it started and restores any slurm.conf it replaced (trap, also on failure).
#
# Environment: RNNCORR_SLURM_TARGET (default results/simulations.nc: the theory and figures are
# not what this test is about), RNNCORR_SLURM_KEEP=1 keeps the temporary directories.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${RNNCORR_VENV_BIN:-$REPO/.venv/bin}
CONFIG=$REPO/tests/data/tiny.yaml
TARGET=${RNNCORR_SLURM_TARGET:-results/simulations.nc}
SLURM_CONF=/etc/slurm/slurm.conf
MARKER="# written by rnncorr tests/slurm/run_slurm_test.sh"
START=$SECONDS

log() { printf '[slurm-test %4ds] %s\n' "$((SECONDS - START))" "$*"; }
die() { log "FAIL: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages, writes /etc/slurm, starts daemons)"
[[ -x $BIN/snakemake && -x $BIN/python ]] || die "no $BIN/snakemake: run 'make test' (creates .venv)"

# ---------------------------------------------------------------- 1. packages
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurmctld slurmd slurm-client munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# ---------------------------------------------------------------- 2. daemons
PIDS=()
LOCAL_PID=""
SLURM_RUN_PID=""
WORK=$(mktemp -d /tmp/rnncorr-slurm-test.XXXXXX)
CONF_BACKUP=""

stop_group() {  # stop a snakemake run started below with setsid: its whole process group
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM -- "-$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
}

cleanup() {
    local rc=$?
    set +e
    [[ -n $SLURM_RUN_PID ]] && stop_group "$SLURM_RUN_PID"
    [[ -n $LOCAL_PID ]] && stop_group "$LOCAL_PID"
    if ((${#PIDS[@]})); then
        # our own controller: whatever is still queued (normally nothing) is this test's; let
        # slurmd end those jobs before it stops, or their slurmstepd would outlive it
        scancel -u "$(id -un)" >/dev/null 2>&1
        for _ in $(seq 30); do [[ -z $(squeue -h 2>/dev/null) ]] && break; sleep 0.5; done
        # stop in reverse order of start: slurmd, slurmctld, munged
        for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
            kill "${PIDS[i]}" 2>/dev/null
            for _ in $(seq 50); do kill -0 "${PIDS[i]}" 2>/dev/null || break; sleep 0.1; done
            kill -9 "${PIDS[i]}" 2>/dev/null
            wait "${PIDS[i]}" 2>/dev/null
        done
        log "stopped the daemons started here (pids ${PIDS[*]})"
    fi
    if [[ -n $CONF_BACKUP ]]; then
        mv -f "$CONF_BACKUP" "$SLURM_CONF"
        log "restored the previous $SLURM_CONF"
    fi
    if [[ ${RNNCORR_SLURM_KEEP:-0} == 1 ]]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

if pgrep -x slurmctld >/dev/null && sinfo -h -o %t 2>/dev/null | grep -qx idle; then
    log "a SLURM controller with an idle node is already running: using it as it is"
else
    pgrep -x slurmctld >/dev/null && die "a slurmctld is running but shows no idle node; stop it first"
    pgrep -x slurmd >/dev/null && die "a slurmd is running without a controller; stop it first"
    HOST=$(hostname -s)
    CPUS=$(nproc)
    MEM_MB=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
    if [[ -e $SLURM_CONF ]] && ! grep -qF "$MARKER" "$SLURM_CONF"; then
        CONF_BACKUP=$SLURM_CONF.rnncorr-backup
        cp -p "$SLURM_CONF" "$CONF_BACKUP"
    fi
    mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
    cat >"$SLURM_CONF" <<CONF
$MARKER
# One node ($HOST, $CPUS CPUs, ${MEM_MB} MB) that is controller and compute node at once.
ClusterName=rnncorr-test
SlurmctldHost=$HOST
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
# finished jobs stay visible to squeue for 5 minutes (the plugin polls with squeue)
MinJobAge=300
SchedulerParameters=sched_interval=2
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
    chown munge:munge /run/munge
    log "wrote $SLURM_CONF (node $HOST, CPUs=$CPUS, RealMemory=$MEM_MB)"
    # foreground daemons in the background: their pids are ours to stop
    munged --foreground --force >"$WORK/munged.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do [[ -S /run/munge/munge.socket.2 ]] && break; sleep 0.1; done
    munge -n | unmunge >/dev/null || die "munge does not work (see $WORK/munged.out)"
    # -c: start from a clean state (jobs of an earlier, interrupted run would hold the node)
    slurmctld -D -c >"$WORK/slurmctld.out" 2>&1 &
    PIDS+=($!)
    slurmd -D >"$WORK/slurmd.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 60); do
        sinfo -h -o %t 2>/dev/null | grep -qx idle && break
        sleep 0.5
    done
    sinfo -h -o %t 2>/dev/null | grep -qx idle || {
        tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
        die "the node did not become idle within 30 s"
    }
fi
log "SLURM up: $(sinfo -h -o '%P %D %t %c cpus %m MB' | head -1)"

# ---------------------------------------------------------------- 3. the workflow through sbatch
SLURM_DIR=$WORK/slurm-run
LOCAL_DIR=$WORK/local-run
mkdir -p "$SLURM_DIR" "$LOCAL_DIR"
# The same config locally, meanwhile (the SLURM run mostly waits for its status checks).
log "snakemake --cores 2 --workflow-profile workflow/profiles/default (target $TARGET), in the background"
# (Both runs are started in the background, each in its own process group, and waited for: a
# signal to this script then runs the cleanup at once instead of after the run.)
(cd "$LOCAL_DIR" && exec setsid "$BIN/snakemake" -s "$REPO/Snakefile" -d "$LOCAL_DIR" \
    --workflow-profile "$REPO/workflow/profiles/default" --configfile "$CONFIG" --cores 2 \
    -- "$TARGET") >"$WORK/local-run.log" 2>&1 &
LOCAL_PID=$!

# No accounting database here: sacct exists but answers "accounting storage is disabled", so the
# status command is squeue (MinJobAge=300 keeps finished jobs visible to it); no account either.
# The first status check after 1 s instead of 40 s, and groups of 2 cells instead of 10 (the 4
# cells become 2 SLURM jobs that run side by side on the 2 CPUs) only shorten this test.
log "snakemake --executor slurm --workflow-profile workflow/profiles/slurm (target $TARGET)"
(cd "$SLURM_DIR" && exec setsid "$BIN/snakemake" -s "$REPO/Snakefile" -d "$SLURM_DIR" \
    --workflow-profile "$REPO/workflow/profiles/slurm" --configfile "$CONFIG" \
    --slurm-no-account --slurm-status-command squeue \
    --slurm-init-seconds-before-status-checks 1 --slurm-keep-successful-logs \
    --slurm-jobname-prefix rnncorr-slurm-test --group-components sims=2 \
    -- "$TARGET") >"$WORK/slurm-run.log" 2>&1 &
SLURM_RUN_PID=$!
wait "$SLURM_RUN_PID" || {
    tail -n 60 "$WORK/slurm-run.log" >&2
    die "the SLURM run failed (log above)"
}
SLURM_RUN_PID=""
log "SLURM run finished"

# ---------------------------------------------------------------- checks: jobs went through sbatch
# squeue still lists finished jobs (MinJobAge): id, comment (rule or group), CPUs, time limit, state
RUN_ID=$(sed -n 's/^SLURM run ID: //p' "$WORK/slurm-run.log" | head -1)
[[ -n $RUN_ID ]] || die "no 'SLURM run ID' in the log: did the slurm executor run at all?"
JOBS=$(squeue -h -t all -n "$RUN_ID" -o '%i|%k|%C|%l|%T' | sort -n)
printf '%s\n' "$JOBS" | sed 's/^/    squeue: /'
N_CELLS=$("$BIN/python" - "$CONFIG" <<'PY'
import sys, yaml
grid = yaml.safe_load(open(sys.argv[1]))["grid"]
print(len(grid["N"]) * len(grid["g"]) * len(grid["sigma2"]) * len(grid["activations"]))
PY
)
N_SIM_JOBS=$(printf '%s\n' "$JOBS" | grep -c '|rule_sims_simulate|' || true)
((N_SIM_JOBS >= 1)) || die "no grouped simulate job in squeue's list"
printf '%s\n' "$JOBS" | grep '|rule_sims_simulate|' | grep -qv '|COMPLETED$' \
    && die "a grouped simulate job did not complete"
printf '%s\n' "$JOBS" | grep '|rule_sims_simulate|' | awk -F'|' '$3 != 1 {exit 1}' \
    || die "a grouped simulate job asked for more than 1 CPU (the group members run one by one)"
((N_SIM_JOBS < N_CELLS)) || die "$N_SIM_JOBS simulate submissions for $N_CELLS cells: no grouping"
# every cell ran inside a SLURM job: its rule header is in one of the plugin's job logs
SLURM_LOGS=$SLURM_DIR/.snakemake/slurm_logs
RAN=$(cat "$SLURM_LOGS"/group_sims_simulate/*.log 2>/dev/null \
    | grep -o 'output: results/sims/[^ ]*\.nc' | sort -u | wc -l)
((RAN == N_CELLS)) || die "$RAN of $N_CELLS simulate jobs finished inside SLURM jobs ($SLURM_LOGS)"
log "sbatch: $N_CELLS cells ran in $N_SIM_JOBS grouped SLURM job(s) of 1 CPU each; logs in .snakemake/slurm_logs: $(cd "$SLURM_LOGS" && echo */)"

# ---------------------------------------------------------------- 4. wait for the local run
wait "$LOCAL_PID" || {
    tail -n 60 "$WORK/local-run.log" >&2
    die "the local run failed (log above)"
}
LOCAL_PID=""
log "local run finished"

# ---------------------------------------------------------------- 5. bit-for-bit comparison
"$BIN/python" - "$SLURM_DIR/results/simulations.nc" "$LOCAL_DIR/results/simulations.nc" <<'PY' \
    || die "results/simulations.nc differs between the SLURM and the local run"
import sys

import xarray as xr

slurm, local = (xr.open_dataset(path) for path in sys.argv[1:3])
assert set(slurm.data_vars) == set(local.data_vars), (set(slurm.data_vars), set(local.data_vars))
assert dict(slurm.sizes) == dict(local.sizes), (dict(slurm.sizes), dict(local.sizes))
different = [
    name for name in slurm.data_vars
    if slurm[name].dtype != local[name].dtype
    or slurm[name].values.tobytes() != local[name].values.tobytes()
]
assert not different, f"data variables that differ: {different}"
print(f"identical: {len(slurm.data_vars)} data variables, sizes {dict(slurm.sizes)}")
PY
log "PASS: the SLURM run and the local run agree bit for bit"
