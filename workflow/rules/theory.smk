rule theory_activation:
    """Large-N theory of one activation on the grid's sigma2 and the dense g axis (one job per
    activation, so the solver runs in parallel), and the site term of the 1/N offset p_0 at the
    grid's g (theory.site_term: a Monte Carlo over J of the heterogeneous network)."""
    output:
        nc=f"{RESULTS}/theory/{{activation}}.nc",
    params:
        g=dense_g(CONFIG),
        # the sigma2 of this activation's cells (grid.extra may add some for one activation)
        sigma2=lambda wildcards: activation_grid_values(CONFIG, wildcards.activation, "sigma2"),
        activation=lambda wildcards: ACTIVATION_ENTRIES[wildcards.activation],
        site_g=lambda wildcards: activation_grid_values(CONFIG, wildcards.activation, "g"),
        site_term=CONFIG["theory"]["site_term"],
        seed=CONFIG["seed"],
    wildcard_constraints:
        activation=r"[a-z]+(-[a-z]+[-+.e0-9]+)*",
    log:
        "logs/theory/{activation}.log",
    benchmark:
        "logs/benchmarks/theory/{activation}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../scripts/theory_activation.py"


rule theory:
    """All activations in one file, on the coordinates of results/simulations.nc."""
    input:
        expand(f"{RESULTS}/theory/{{activation}}.nc", activation=ACTIVATION_LABELS),
    output:
        nc=f"{RESULTS}/theory.nc",
    log:
        "logs/theory.log",
    benchmark:
        "logs/benchmarks/theory.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/theory_merge.py"
