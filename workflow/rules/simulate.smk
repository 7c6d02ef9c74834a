rule simulate:
    """One grid cell: R realizations of J, B noise trajectories each, streamed statistics."""
    output:
        nc=f"{RESULTS}/sims/{{cell}}.nc",
    params:
        cell=cell_params,
        settings=json.dumps(SETTINGS.as_dict(), sort_keys=True),
        seed=CONFIG["seed"],
    log:
        "logs/simulate/{cell}.log",
    benchmark:
        "logs/benchmarks/simulate/{cell}.tsv"
    threads: 1
    resources:
        mem_mb=simulate_mem_mb,
        runtime=simulate_runtime,
    script:
        "../scripts/simulate_cell.py"


rule aggregate:
    """Combine every cell into results/simulations.nc, checking each file's provenance."""
    input:
        cells=cell_files(),
    output:
        nc=f"{RESULTS}/simulations.nc",
    params:
        cells=[cell.to_json() for cell in CELLS.values()],
    log:
        "logs/aggregate.log",
    benchmark:
        "logs/benchmarks/aggregate.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/aggregate.py"


rule finite_size:
    """Fit PR(N) = N p_inf + p_0 (+ p_1/N) at every (activation, g, sigma2, kind, variable)."""
    input:
        nc=f"{RESULTS}/simulations.nc",
    output:
        nc=f"{RESULTS}/finite_size.nc",
    log:
        "logs/finite_size.log",
    benchmark:
        "logs/benchmarks/finite_size.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/finite_size.py"
