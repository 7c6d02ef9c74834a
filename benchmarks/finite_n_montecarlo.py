"""Monte Carlo over J versus the 1/N series of the linear network (docs/finite_size.md §3-4).

Prints, for each g, one row per N: MC mean +- s.e. of N(E[a] - a_inf), N(E[Nc2] - nc2_inf),
E[PR] - N p_inf, the delta-method fluctuation part of E[PR] and N^2 Var a (= Var tr C), then
the weighted fit of E[PR] - N p_inf = p_0 + p_m1/N over N = 100..400 (and over all N, with a
1/N^2 term), against p_0 = -g^2 (2 + 7 g^2). A last table gives the fraction of J with an
eigenvalue of real part > 1 (unstable dynamics) near g = 1.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/finite_n_montecarlo.py [--quick]

Takes about 8 minutes on one core (--quick: about 40 s, fewer samples).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rnncorr.theory._finite_n import (
    fit_pr_offset,
    linear_finite_n_coefficients,
    montecarlo_linear_statistics,
)

GAINS = (0.3, 0.5, 0.7, 0.8, 0.9)
SIZES = (25, 50, 100, 200, 400)


def fluctuation_part(s: dict[str, np.ndarray], N: int) -> float:
    """N [Var A/B - 2 A Cov(A,B)/B^2 + A^2 Var B/B^3]: the fluctuation term of E[PR]."""
    a, b = s["a"], s["b"]
    A, B = a.mean(), b.mean()
    cov = np.cov(a, b)
    return float(N * (cov[0, 0] / B - 2 * A * cov[0, 1] / B**2 + A**2 * cov[1, 1] / B**3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (smoke run)")
    args = parser.parse_args()
    n_base = 500 if args.quick else 8000
    print(f"# seeds: 1000*i_g + N; n_samples = {n_base} (N<=200), {n_base // 2} (N=400)")
    for ig, g in enumerate(GAINS):
        c = linear_finite_n_coefficients(g)
        print(f"\n## g = {g}: a_1 = {c['a_1']:.4f}, nc2_1 = {c['nc2_1']:.4f}, p_0 = {c['p_0']:.4f}")
        print("| N | N(a - a_inf) | N(Nc2 - nc2_inf) | PR - N p_inf | fluct. | Var tr C | a_max |")
        print("|---|---|---|---|---|---|---|")
        rows = []
        for N in SIZES:
            n = n_base if N <= 200 else n_base // 2
            t0 = time.perf_counter()
            r = montecarlo_linear_statistics(g, N, n, seed=1000 * ig + N, return_samples=True)
            dt = time.perf_counter() - t0
            rows.append((N, r["pr"], r["pr_se"]))
            s = r["samples"]
            print(
                f"| {N} | {N * (r['a'] - c['a_inf']):.3f} +- {N * r['a_se']:.3f} "
                f"| {N * (r['nc2'] - c['nc2_inf']):.2f} +- {N * r['nc2_se']:.2f} "
                f"| {r['pr'] - N * c['p_inf']:.3f} +- {r['pr_se']:.3f} "
                f"| {fluctuation_part(s, N):.3f} | {N**2 * np.var(s['a'], ddof=1):.2f} "
                f"| {r['a_max']:.3g} |   ({n} J, {dt:.0f} s)"
            )
        Ns, pr, se = (np.array(v) for v in zip(*rows, strict=True))
        big = Ns >= 100
        f1 = fit_pr_offset(Ns[big], pr[big], se[big], c["p_inf"], order=1)
        f2 = fit_pr_offset(Ns, pr, se, c["p_inf"], order=2)
        print(
            f"fit N=100..400, p_0 + p_m1/N:           p_0 = {f1['p_0']:.3f} +- {f1['p_0_se']:.3f}"
            f"  p_m1 = {f1['p_m1']:.1f} +- {f1['p_m1_se']:.1f}  chi2/dof = {f1['chi2']:.1f}/"
            f"{f1['dof']}   theory p_0 = {c['p_0']:.4f}"
        )
        print(
            f"fit N=25..400, p_0 + p_m1/N + p_m2/N^2: p_0 = {f2['p_0']:.3f} +- {f2['p_0_se']:.3f}"
            f"  p_m1 = {f2['p_m1']:.1f} +- {f2['p_m1_se']:.1f}  chi2/dof = {f2['chi2']:.1f}/"
            f"{f2['dof']}"
        )
    print("\n## fraction of J with max Re(eig J) > 1 (200 J each)")
    for g in (0.7, 0.8, 0.9):
        fr = []
        for N in (25, 100, 400):
            rng = np.random.default_rng(7)
            hits = sum(
                np.max(np.linalg.eigvals(rng.standard_normal((N, N)) * g / np.sqrt(N)).real) > 1
                for _ in range(200 if N < 400 else 50)
            )
            fr.append(f"N={N}: {hits / (200 if N < 400 else 50):.3f}")
        print(f"g = {g}: " + ", ".join(fr))


if __name__ == "__main__":
    main()
