rule theory:
    """Large-N theory on the grid's (activation, g, sigma2) plus the dense g axis."""
    output:
        nc=f"{RESULTS}/theory.nc",
    params:
        g=dense_g(CONFIG),
    log:
        "logs/theory.log",
    benchmark:
        "logs/benchmarks/theory.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/theory_grid.py"
