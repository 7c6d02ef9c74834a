"""The next coefficient p_m1 of the linear network's PR series (docs/finite_size.md §4.1).

    E[PR] = N p_inf + p_0 + p_m1/N + p_m2/N^2 + ...,  p_inf = (1 - x)^2, p_0 = -x (2 + 7 x)

with x = g^2 (p_inf, p_0 exact: §0). First the exact small-x series of E[PR] at finite N
(``linear_pr_small_gain_series``; through x^4: p_m1 = 4x + 46x^2 + 160x^3 + 324x^4 + ...).
Then, for each g, the Monte Carlo over J (``montecarlo_linear_statistics``) gives R(N) =
N (E[PR] - N p_inf - p_0) at several N (a two-size fit R = p_m1 + p_m2/N is printed per g).
The last tables fit, over the points with N (1 - x)^2 >= 20, the form used for the truncation
error of ``finite_n_statistics`` (``rnncorr.theory._finite_n.linear_pr_next_order``):

    R(N) = p_m1(x) = (4x + 30x^2 + 0x^3 - 56x^4 + c5 x^5 + c6 x^6) / (1 - x)^4

(numerator exact through x^4) and its variants (c5 only; c7 added; only N (1 - x)^2 >= 30).

    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/finite_n_next_order.py --json A.json
    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/finite_n_next_order.py --json B.json \\
        --gains 0.3 0.4 0.55 0.7 0.8 0.857 --sizes 100:16000 200:6000
    .venv/bin/python benchmarks/finite_n_next_order.py --fit A.json B.json

(the two runs of finite_size.md §4.1: about 1 and 4 CPU minutes; --quick: 1/8 of the samples).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from rnncorr.theory._finite_n import (
    linear_pr_next_order,
    linear_pr_small_gain_series,
    montecarlo_linear_statistics,
)

GAINS = (0.5, 0.6, 0.674, 0.75)
SIZES = {50: 24000, 100: 12000, 200: 4000}


def weighted_fit(
    X: np.ndarray, y: np.ndarray, se: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted least squares y = X beta: (beta, covariance from the normal equations, chi2)."""
    w = 1.0 / se**2
    cov = np.linalg.inv((X * w[:, None]).T @ X)
    beta = cov @ (X.T @ (w * y))
    return beta, cov, float(np.sum(w * (y - X @ beta) ** 2))


def measure(gains, sizes: dict[int, int], quick: bool) -> list[dict]:
    points = []
    print("| g | x | N | J | E PR - N p_inf - p_0 | R = N (...) | time |")
    print("|---|---|---|---|---|---|---|")
    for g in gains:
        x = g * g
        p_inf, p_0 = (1 - x) ** 2, -x * (2 + 7 * x)
        rows = []
        for N, n_j in sizes.items():
            n_j = n_j // 8 if quick else n_j
            started = time.perf_counter()
            mc = montecarlo_linear_statistics(g, N, n_j, seed=1000 + N + int(1000 * g))
            rest, rest_se = mc["pr"] - N * p_inf - p_0, mc["pr_se"]
            rows.append((N, N * rest, N * rest_se))
            print(
                f"| {g} | {x:.4f} | {N} | {n_j} | {rest:+.4f} +- {rest_se:.4f} | "
                f"{N * rest:+.2f} +- {N * rest_se:.2f} | {time.perf_counter() - started:.0f} s |",
                flush=True,
            )
        n, r, r_se = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
        if n.size >= 2:
            beta, cov, _ = weighted_fit(np.stack([np.ones_like(n), 1 / n], axis=1), r, r_se)
            print(
                f"| {g} | R = p_m1 + p_m2/N | | | p_m1 = {beta[0]:.1f} +- {cov[0, 0] ** 0.5:.1f} "
                f"| p_m2 = {beta[1]:.0f} +- {cov[1, 1] ** 0.5:.0f} | |"
            )
        points.append({"g": g, "x": x, "rows": rows})
    return points


def exact_table(order: int) -> None:
    """The exact small-x series of E[PR] at finite N (``linear_pr_small_gain_series``)."""
    series = linear_pr_small_gain_series(order)
    print("\n## Exact: E[PR] = sum_k x^k sum_p e_kp N^p (Wick, real Gaussian J)\n")
    print("| k | N^1 | N^0 | N^-1 (p_m1) | lower powers |")
    print("|---|---|---|---|---|")
    for k, row in series.items():
        low = ", ".join(f"{v} N^{p}" for p, v in row.items() if p < -1)
        print(f"| {k} | {row.get(1, 0)} | {row.get(0, 0)} | {row.get(-1, 0)} | {low} |")
    coefficients = [float(series.get(k, {}).get(-1, 0)) for k in range(order + 1)]
    numerator = np.convolve(coefficients, [1, -4, 6, -4, 1])[: order + 1]
    print(f"\n(1 - x)^4 p_m1 = {' + '.join(f'{c:g} x^{k}' for k, c in enumerate(numerator) if k)}")


def global_fit(points: list[dict]) -> None:
    x, N, r, se = (
        np.array(v)
        for v in zip(*[(p["x"], *row) for p in points for row in p["rows"]], strict=True)
    )
    n_gap = N * (1 - x) ** 2
    exact = 4 * x + 30 * x**2 - 56 * x**4  # (1 - x)^4 p_m1 through x^4, exact
    print("\n## p_m1(x) = (4x + 30x^2 - 56x^4 + c5 x^5 + c6 x^6 ...)/(1 - x)^4, fit of R(N)\n")
    print("| variant | points | fitted coefficients | chi2/dof | p_m1(0.454) | p_m1(0.64) |")
    print("|---|---|---|---|---|---|")
    for cut, powers in ((20, (5, 6)), (20, (5,)), (20, (5, 6, 7)), (30, (5,)), (30, (5, 6))):
        m = n_gap >= cut
        X = np.stack([x**k / (1 - x) ** 4 for k in powers], axis=1)
        beta, cov, chi2 = weighted_fit(X[m], (r - exact / (1 - x) ** 4)[m], se[m])
        err = np.sqrt(np.diag(cov))
        fitted = ", ".join(
            f"c{k} = {b:.1f} +- {e:.1f}" for k, b, e in zip(powers, beta, err, strict=True)
        )

        def p_m1(xx: float, beta=beta, powers=powers) -> float:
            num = 4 * xx + 30 * xx**2 - 56 * xx**4
            return (num + sum(b * xx**k for b, k in zip(beta, powers, strict=True))) / (1 - xx) ** 4

        print(
            f"| N(1-x)^2 >= {cut} | {m.sum()} | {fitted} | {chi2:.1f}/{m.sum() - len(beta)} | "
            f"{p_m1(0.4538):.1f} | {p_m1(0.64):.1f} |"
        )
    print("\n## Points against linear_pr_next_order (the adopted fit; * = N (1-x)^2 < 20)\n")
    print("| x | N | N (1-x)^2 | R measured | p_m1 formula | pull |")
    print("|---|---|---|---|---|---|")
    for xi, ni, ri, si, gi in sorted(zip(x, N, r, se, n_gap, strict=True)):
        f = linear_pr_next_order(math.sqrt(xi))
        mark = "" if gi >= 20 else " *"
        pull = (ri - f["p_m1"]) / math.hypot(si, f["p_m1_se"])
        print(
            f"| {xi:.4f} | {ni:.0f} | {gi:.1f}{mark} | {ri:.1f} +- {si:.1f} | "
            f"{f['p_m1']:.1f} +- {f['p_m1_se']:.1f}{' (extrap.)' if f['extrapolated'] else ''} | "
            f"{pull:+.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1/8 of the samples")
    parser.add_argument("--json", help="write the measured points to this file")
    parser.add_argument("--fit", nargs="+", metavar="JSON", help="only fit these saved points")
    parser.add_argument("--gains", type=float, nargs="+", default=GAINS, help="g values")
    parser.add_argument("--sizes", nargs="+", metavar="N:J", help="e.g. 100:16000 200:6000")
    parser.add_argument("--exact", type=int, default=4, help="order in x of the exact series")
    args = parser.parse_args()
    exact_table(args.exact)
    if args.fit:
        points = [p for name in args.fit for p in json.load(open(name))]
    else:
        sizes = SIZES
        if args.sizes:
            sizes = {int(a): int(b) for a, b in (s.split(":") for s in args.sizes)}
        points = measure(args.gains, sizes, args.quick)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(points, fh, indent=1)
    global_fit(points)


if __name__ == "__main__":
    main()
