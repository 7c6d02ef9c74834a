"""Finite-N (1/N) corrections to the zero-frequency covariance statistics (docs/science.md §7).

Linear network, zero frequency, sigma2 = 1 (derivation: docs/finite_size.md)::

    C = M M^T,  M = (1 - J)^-1,  J_ij iid N(0, g^2/N) real (self-couplings included)
    a = tr C / N,  Nc2 = N mean_{i != j} C_ij^2,  PR = (tr C)^2 / tr C^2,   x = g^2

    E[a]   = 1/(1-x)                 + (1/N) 2x/(1-x)^3                          + O(1/N^2)
    E[tr C^2/N] = 1/(1-x)^4          + (1/N) x(6+7x)/(1-x)^6                     + O(1/N^2)
    E[Nc2] = x(2-x)/(1-x)^4          + (1/N) x^2 (20 - 8x + x^2)/(1-x)^6         + O(1/N^2)
    E[PR]  = N (1-x)^2               - x (2 + 7x)                                 + O(1/N)

The 1/N terms come from Schwinger-Dyson (Gaussian integration by parts) equations for the
normalised traces of words in M and M^T; for real Gaussian (GinOE) J the pairings of J with J
(not J^T) give the 1/N terms, which vanish for complex Ginibre J. The fluctuations of tr C and
tr C^2 across J are O(1), so they enter E[PR] only at O(1/N), not in p_0.

Linear-equivalent nonlinear network at zero frequency (science.md §3, §7), L = (1 - s0 J)^-1::

    phi = s0 x + eta,  x = J phi + xi   =>   C_phi = E_tot L L^T,   E_tot = s0^2 sigma2 + P
                                             C_x   = sigma2 L L^T + (P/s0^2) (L - 1)(L - 1)^T

so PR_phi depends on J only through s0 J: its 1/N series is the linear one at g_eff = g s0.

All functions are pure numpy / Python; nothing here imports the simulation code.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "finite_n_prediction",
    "fit_pr_offset",
    "linear_equivalent_covariances",
    "linear_equivalent_statistics",
    "linear_finite_n",
    "linear_finite_n_coefficients",
    "linear_pr_next_order",
    "linear_pr_small_gain_series",
    "montecarlo_linear_statistics",
    "nonlinear_finite_n_coefficients",
    "nonlinear_pr_correction",
    "single_site_shift",
    "variance_shift_spectrum",
]

# Matrices per batched LU solve: bounded so that a batch of N x N float64 stacks (J, M, C, ...)
# stays near 100 MB whatever N is.
_BATCH_ELEMENTS = 2**21


def _check_gain(g: float, name: str = "g") -> float:
    g = float(g)
    if not (math.isfinite(g) and 0 <= g < 1):
        raise ValueError(f"{name} must satisfy 0 <= {name} < 1 (stable linear network), got {g!r}")
    return g


def _check_size(N: int) -> int:
    if int(N) != N or N < 2:
        raise ValueError(f"N must be an integer >= 2, got {N!r}")
    return int(N)


def _check_scalars(s0: float, sigma2: float, residual_power: float) -> None:
    if not (math.isfinite(s0) and s0 > 0):
        raise ValueError(f"s0 must be a finite number > 0, got {s0!r}")
    if not (math.isfinite(sigma2) and sigma2 >= 0):
        raise ValueError(f"sigma2 must be a finite number >= 0, got {sigma2!r}")
    if not (math.isfinite(residual_power) and residual_power >= 0):
        raise ValueError(f"residual_power must be a finite number >= 0, got {residual_power!r}")
    if s0 * s0 * sigma2 + residual_power <= 0:
        raise ValueError("s0^2 sigma2 + residual_power must be > 0 (no drive, C = 0)")


# --------------------------------------------------------------------------------------------
# Word moments phi(w) = (1/N) E tr(w), w a word in M = (1 - J)^-1 and M^T, to O(1/N)
# --------------------------------------------------------------------------------------------


def _canonical(word: tuple[int, ...]) -> tuple[int, ...]:
    """Smallest rotation of the word or of its transpose (tr is invariant under both)."""
    transposed = tuple(1 - c for c in reversed(word))
    return min(v[r:] + v[:r] for v in (word, transposed) for r in range(max(len(v), 1)))


def _word_leading(word: tuple[int, ...], x: Any, memo: dict) -> Any:
    """Leading order phi0(w) = lim (1/N) E tr(w): the circular-element (free) recursion."""
    one = x**0  # 1 of the same numeric type as x (a Fraction stays exact)
    w = _canonical(tuple(word))
    if w in memo:
        return memo[w]
    n = len(w)
    if n == 0 or all(c == w[0] for c in w):
        # tau(f(c)) = f(0) for the circular element c and f analytic: phi0(M^n) = 1
        result = one
    else:
        v = next(w[r:] + w[:r] for r in range(n) if w[r] == 0 and w[r - 1] == 1)
        rest = _word_leading(v[1:], x, memo)
        for k in range(n - 1):
            if v[k] == 1:
                rest += (
                    x
                    * _word_leading(v[:k] + (1,), x, memo)
                    * _word_leading((1,) + v[k + 1 :], x, memo)
                )
        result = rest / (1 - x * one)  # self term x phi0(v) phi0(M^T), phi0(M^T) = 1
    memo[w] = result
    return result


def _word_moments(word: tuple[int, ...], x: Any, _memo: dict | None = None) -> tuple[Any, Any]:
    r"""Leading and 1/N coefficients of (1/N) E tr(w) for a word in M (0) and M^T (1).

    Schwinger-Dyson equations (Gaussian integration by parts, E[J_ij f] = (x/N) E[df/dJ_ij],
    x = g^2, dM_ab/dJ_ij = M_ai M_jb) for a word W made of M and M^T::

        (1/N) E tr(J W) = x sum_{W = P M^T Q} phi(P M^T) phi(M^T Q)          (J with J^T)
                        + (x/N) sum_{W = P M Q} phi0(M^T P^T M Q)             (J with J: GinOE)
                        + O(1/N^2)                         (covariances of traces, O(1/N^2))

    used with M = 1 + J M on an M that is followed (cyclically) by an M^T. Pure powers:
    phi(M^n) = phi(M^(n-1)) + (x/N) sum_{k=0}^{n-1} phi0((M^T)^(k+1) M^(n-k)).

    Parameters
    ----------
    word : tuple of int
        0 for M, 1 for M^T, read left to right.
    x : float or Fraction
        g^2 (< 1). A Fraction gives exact rational arithmetic.

    Returns
    -------
    (phi0, phi1)
        (1/N) E tr(w) = phi0 + phi1 / N + O(1/N^2).

    References
    ----------
    .. [1] docs/finite_size.md §2 (derivation); docs/science.md §7.
    """
    memo: dict = {"leading": {}} if _memo is None else _memo
    lead = memo["leading"]
    w = _canonical(tuple(word))
    if w in memo:
        return memo[w]
    n = len(w)
    w0 = _word_leading(w, x, lead)
    if n == 0:
        w1 = 0 * w0
    elif all(c == 1 for c in w):  # tr((M^T)^n) = tr(M^n)
        w1 = _word_moments(tuple(0 for _ in w), x, memo)[1]
    elif all(c == 0 for c in w):
        w1 = _word_moments(w[1:], x, memo)[1] + x * sum(
            _word_leading((1,) * (k + 1) + (0,) * (n - k), x, lead) for k in range(n)
        )
    else:
        # rotate so that the word starts with M and ends with M^T (always possible if mixed);
        # M = 1 + J M on the first letter, then the Schwinger-Dyson sum over the letters
        v = next(w[r:] + w[:r] for r in range(n) if w[r] == 0 and w[r - 1] == 1)
        m1 = _word_moments((1,), x, memo)[1]
        rest1 = _word_moments(v[1:], x, memo)[1]
        for k in range(n - 1):  # the self term k = n - 1 is solved for below
            p, q = v[:k], v[k + 1 :]
            if v[k] == 1:
                a = p + (1,)
                b = (1,) + q
                rest1 += x * (
                    _word_moments(a, x, memo)[1] * _word_leading(b, x, lead)
                    + _word_leading(a, x, lead) * _word_moments(b, x, memo)[1]
                )
            else:
                pt = tuple(1 - c for c in reversed(p))
                rest1 += x * _word_leading((1,) + pt + (0,) + q, x, lead)
        # self term x phi(v) phi(M^T) with phi0(M^T) = 1; the last letter is an M^T, so it
        # has no J-J term of its own
        w1 = (rest1 + x * w0 * m1) / (1 - x)
    memo[w] = (w0, w1)
    return memo[w]


# --------------------------------------------------------------------------------------------
# Linear network: closed forms
# --------------------------------------------------------------------------------------------


def linear_finite_n_coefficients(g: float) -> dict[str, float]:
    r"""Large-N values and 1/N coefficients of the zero-frequency linear-network statistics.

    With x = g^2, sigma2 = 1 and averages over real Gaussian J (GinOE)::

        a_inf   = 1/(1-x)                    a_1    = 2x/(1-x)^3
        b_inf   = 1/(1-x)^4                  b_1    = x(6 + 7x)/(1-x)^6      (b = tr C^2/N)
        v_1     = 2x(2-x)/(1-x)^4            (N Var C_ii, leading order)
        nc2_inf = x(2-x)/(1-x)^4             nc2_1  = x^2 (20 - 8x + x^2)/(1-x)^6
        p_inf   = (1-x)^2                    p_0    = -x (2 + 7x)

    so that E[a] = a_inf + a_1/N + O(1/N^2), E[Nc2] = nc2_inf + nc2_1/N + O(1/N^2) and
    E[PR] = N p_inf + p_0 + O(1/N), where nc2_1 = nc2_inf + b_1 - 2 a_inf a_1 - v_1 and
    p_0 = p_inf (2 a_1/a_inf - b_1/b_inf).

    Parameters
    ----------
    g : float
        Coupling gain, 0 <= g < 1.

    Returns
    -------
    dict
        Keys a_inf, a_1, b_inf, b_1, v_1, nc2_inf, nc2_1, p_inf, p_0 (floats).

    Notes
    -----
    The fluctuations of tr C and tr C^2 across J are O(1), so they change E[PR] only at O(1/N).
    Strictly, E[a] and E[Nc2] are infinite at every finite N (the smallest singular value of
    1 - J has a non-zero density at 0 for real J); the series is the asymptotic expansion that
    ignores events of probability ~ exp(-N c(g)), c(g) = (g^-2 - 1 + 2 ln g)/2 ~ (1-g)^2.
    PR <= N is bounded and its mean is finite. See docs/finite_size.md §4.

    References
    ----------
    .. [1] docs/finite_size.md (derivation, Monte Carlo check); docs/science.md §4, §7.

    Examples
    --------
    >>> c = linear_finite_n_coefficients(0.5)
    >>> round(c["a_inf"], 6), round(c["nc2_inf"], 6), c["p_inf"]   # science.md §11
    (1.333333, 1.382716, 0.5625)
    """
    g = _check_gain(g)
    x = g * g
    u = 1.0 / (1.0 - x)
    a_inf, a_1 = u, 2 * x * u**3
    b_inf, b_1 = u**4, x * (6 + 7 * x) * u**6
    v_1 = 2 * x * (2 - x) * u**4
    nc2_inf = x * (2 - x) * u**4
    p_inf = (1 - x) ** 2
    return {
        "a_inf": a_inf,
        "a_1": a_1,
        "b_inf": b_inf,
        "b_1": b_1,
        "v_1": v_1,
        "nc2_inf": nc2_inf,
        "nc2_1": x * x * (20 - 8 * x + x * x) * u**6,
        "p_inf": p_inf,
        "p_0": -x * (2 + 7 * x),
    }


#: Next coefficient of E[PR] (finite_size.md §4.1): p_m1(x) = n(x)/(1 - x)^4 with the numerator
#: n(x) = 4x + 30x^2 + 0x^3 - 56x^4 (exact: ``linear_pr_small_gain_series``) + c5 x^5 + c6 x^6;
#: c5, c6 and their covariance are the weighted fit to the Monte Carlo points of
#: benchmarks/finite_n_next_order.py with N (1 - x)^2 >= 20 (18 points, x = 0.09..0.64, chi2 =
#: 16.4 for 16 d.o.f.).
_P_M1_EXACT = (0.0, 4.0, 30.0, 0.0, -56.0)
_P_M1_C5, _P_M1_C6 = 217.37, -319.32
_P_M1_COV = ((598.93, -959.04), (-959.04, 1546.96))
#: largest x = g^2 of the fitted points; above it the numerator is frozen at its value there
_P_M1_X_MAX = 0.64
#: relative systematic error of the fitted form: the spread of its variants (a third fitted
#: coefficient; only N (1 - x)^2 >= 30) at x = 0.25..0.64 (finite_size.md §4.1)
_P_M1_SYSTEMATIC = 0.10


def _matchings(items: list[int]):
    if not items:
        yield []
        return
    first = items[0]
    for i in range(1, len(items)):
        for rest in _matchings(items[1:i] + items[i + 1 :]):
            yield [(first, items[i]), *rest]


def _find(parent: list[int], a: int) -> int:
    """Union-find root with path halving."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def _multitrace_moment(words: tuple[tuple[int, ...], ...]) -> dict[int, int]:
    """E[prod_w tr(w)] for J_ij iid N(0, 1/N), w words in J (0) and J^T (1), exactly.

    Wick: sum over pairings of the letters; a pairing fixes the entry indices (J_ab J_cd ->
    a = c, b = d; a transposed letter swaps its two indices) and, with the cyclic trace
    constraints, leaves N^loops free sums, weighted N^-pairs: returns {loops - pairs: count}.
    """
    letters = [(wi, pos, t) for wi, w in enumerate(words) for pos, t in enumerate(w)]
    n = len(letters)
    out: dict[int, int] = {}
    if n % 2:
        return out
    index = {(wi, pos): k for k, (wi, pos, _) in enumerate(letters)}
    # slot 2k: row index of letter k, 2k + 1: its column; in a trace the column of a letter is
    # the row of the next one
    cyclic = [
        (2 * k + 1, 2 * index[(wi, (pos + 1) % len(words[wi]))])
        for k, (wi, pos, _) in enumerate(letters)
    ]
    entry = [
        (2 * k, 2 * k + 1) if t == 0 else (2 * k + 1, 2 * k) for k, (_, _, t) in enumerate(letters)
    ]
    for pairing in _matchings(list(range(n))):
        parent = list(range(2 * n))
        for a, b in cyclic:
            parent[_find(parent, a)] = _find(parent, b)
        for i, j in pairing:
            parent[_find(parent, entry[i][0])] = _find(parent, entry[j][0])
            parent[_find(parent, entry[i][1])] = _find(parent, entry[j][1])
        power = len({_find(parent, a) for a in range(2 * n)}) - n // 2
        out[power] = out.get(power, 0) + 1
    return out


def linear_pr_small_gain_series(order: int) -> dict[int, dict[int, Fraction]]:
    r"""Exact expansion of the linear network's E[PR] in x = g^2 at finite N (finite_size.md §4.1).

        E[PR] = sum_k x^k sum_p e_{k,p} N^p       (real Gaussian J, every power of 1/N)

    PR = N (1 + alpha)^2/(1 + beta) with alpha = tr C/N - 1 and beta = tr C^2/N - 1, C = M M^T,
    M = sum_p J^p, expanded in J to degree 2 ``order``; each product of traces of words is
    averaged exactly by Wick's theorem (:func:`_multitrace_moment`). e_{k,1} and e_{k,0} are
    the coefficients of N p_inf = N (1 - x)^2 and p_0 = -x (2 + 7x) (a check), e_{k,-1} those
    of p_m1: 4, 46, 160, 324 for k = 1..4. Cost: 0.1 s for order 3, 1-2 s for order 4 (pure
    Python, (2k - 1)!! pairings per product of traces).

    Returns
    -------
    dict
        ``{k: {p: e_kp}}`` with exact fractions; zero coefficients omitted.
    """
    if int(order) != order or not 0 <= order <= 5:
        raise ValueError(f"order must be an integer in 0..5, got {order!r}")
    top = 2 * int(order)

    def canonical(w: tuple[int, ...]) -> tuple[int, ...]:
        return min(w[i:] + w[:i] for i in range(len(w)))

    # random polynomials in J: {(degree, sorted words): coefficient}; each trace carries 1/N
    alpha: dict = {}
    beta: dict = {}
    for d in range(1, top + 1):
        for p in range(d + 1):
            key = (d, (canonical((0,) * p + (1,) * (d - p)),))
            alpha[key] = alpha.get(key, 0) + 1
        for p1, q1, p2 in itertools.product(range(d + 1), repeat=3):
            q2 = d - p1 - q1 - p2
            if q2 >= 0:
                key = (d, (canonical((0,) * p1 + (1,) * q1 + (0,) * p2 + (1,) * q2),))
                beta[key] = beta.get(key, 0) + 1

    def mul(a: dict, b: dict) -> dict:
        out: dict = {}
        for (d1, w1), c1 in a.items():
            for (d2, w2), c2 in b.items():
                if d1 + d2 <= top:
                    key = (d1 + d2, tuple(sorted(w1 + w2)))
                    out[key] = out.get(key, 0) + c1 * c2
        return out

    def add(a: dict, b: dict) -> dict:
        out = dict(a)
        for key, c in b.items():
            out[key] = out.get(key, 0) + c
        return out

    one = {(0, ()): 1}
    numerator = mul(add(one, alpha), add(one, alpha))
    minus_beta = {key: -c for key, c in beta.items()}
    geometric, term = dict(one), dict(one)
    for _ in range(top):
        term = mul(term, minus_beta)
        geometric = add(geometric, term)
    series: dict[int, dict[int, Fraction]] = {}
    for (d, words), c in mul(numerator, geometric).items():
        if d % 2 or c == 0:
            continue
        row = series.setdefault(d // 2, {})
        for power, count in _multitrace_moment(words).items():
            p = 1 - len(words) + power  # E[PR] = N E[...], one 1/N per trace
            row[p] = row.get(p, Fraction(0)) + Fraction(c * count)
    return {
        k: {p: v for p, v in sorted(row.items(), reverse=True) if v}
        for k, row in sorted(series.items())
    }


def linear_pr_next_order(g: float) -> dict[str, float | bool]:
    r"""Next coefficient p_m1 of the linear network's E[PR] (finite_size.md §4.1).

        E[PR] = N (1-x)^2 - x (2 + 7x) + p_m1/N + O(1/N^2),
        p_m1(x) = n(x)/(1 - x)^4,  n(x) = 4x + 30x^2 + 0x^3 - 56x^4 + c5 x^5 + c6 x^6

    (x = g^2). The Taylor coefficients of p_m1 through x^4 (4, 46, 160, 324) are **exact**
    (:func:`linear_pr_small_gain_series`, Wick's theorem at finite N); c5 = 217 +- 24,
    c6 = -319 +- 39 (correlation -0.995) are a Monte Carlo **estimate**: the weighted fit to
    N (E[PR] - N p_inf - p_0) at N = 50..200, x = 0.09..0.64, N (1-x)^2 >= 20
    (``benchmarks/finite_n_next_order.py``; chi2 = 16.4 for 16 d.o.f.); ``p_m1_se`` adds a 10 %
    systematic (the spread of the fit variants, §4.1) to the fit's error. Above x = 0.64 the fit
    is not constrained; there the numerator is frozen at its x = 0.64 value (p_m1 = 6.9/(1 -
    x)^4) and ``extrapolated`` is True. The homogeneous linear-equivalent network has exactly
    this PR_phi at x = g_eff^2 (§5).

    Parameters
    ----------
    g : float
        Coupling gain (or g_eff), 0 <= g < 1.

    Returns
    -------
    dict
        ``{"p_m1", "p_m1_se", "extrapolated" (x > 0.64)}``.

    Examples
    --------
    >>> round(linear_pr_next_order(0.7)["p_m1"], 0)   # Monte Carlo: 109 +- 3 (N = 100)
    113.0
    """
    g = _check_gain(g)
    x = g * g
    xn = min(x, _P_M1_X_MAX)
    denominator = (1.0 - x) ** 4
    exact = sum(c * xn**k for k, c in enumerate(_P_M1_EXACT))
    grad = np.array([xn**5, xn**6]) / denominator  # d p_m1 / d (c5, c6)
    p_m1 = (exact + _P_M1_C5 * xn**5 + _P_M1_C6 * xn**6) / denominator
    # statistical (fit covariance) and systematic (fit variants, §4.1) parts in quadrature
    var = float(grad @ np.array(_P_M1_COV) @ grad) + (_P_M1_SYSTEMATIC * p_m1) ** 2
    return {
        "p_m1": p_m1,
        "p_m1_se": math.sqrt(max(var, 0.0)),
        "extrapolated": x > _P_M1_X_MAX + 1e-12,
    }


def linear_finite_n(g: float, N: int, sigma2: float = 1.0) -> dict[str, float]:
    r"""Predicted J-averaged zero-frequency statistics of the linear network at size N.

        E[a]   = sigma2   (a_inf + a_1/N)
        E[Nc2] = sigma2^2 (nc2_inf + nc2_1/N)
        E[PR]  = N p_inf + p_0                     (coefficients: linear_finite_n_coefficients)

    Parameters
    ----------
    g : float
        Coupling gain, 0 <= g < 1.
    N : int
        Network size, >= 2.
    sigma2 : float, optional
        White-noise intensity (C scales as sigma2); default 1.

    Returns
    -------
    dict
        Keys a, nc2, pr, pr_over_n; the error of each is O(1/N^2) (O(1/N) for pr).

    References
    ----------
    .. [1] docs/finite_size.md; docs/science.md §4, §7.
    """
    N = _check_size(N)
    if not (math.isfinite(sigma2) and sigma2 > 0):
        raise ValueError(f"sigma2 must be a finite number > 0, got {sigma2!r}")
    c = linear_finite_n_coefficients(g)
    pr = N * c["p_inf"] + c["p_0"]
    return {
        "a": sigma2 * (c["a_inf"] + c["a_1"] / N),
        "nc2": sigma2**2 * (c["nc2_inf"] + c["nc2_1"] / N),
        "pr": pr,
        "pr_over_n": pr / N,
    }


# --------------------------------------------------------------------------------------------
# Monte Carlo over J (no dynamics: LU solves)
# --------------------------------------------------------------------------------------------


def _batched_statistics(C: np.ndarray) -> dict[str, np.ndarray]:
    """a, b = tr C^2/N, nc2 and PR of each covariance in a stack (B, N, N)."""
    N = C.shape[-1]
    tr = np.trace(C, axis1=-2, axis2=-1)
    tr2 = np.einsum("bij,bij->b", C, C)  # C symmetric: tr C^2 = sum C_ij^2
    diag2 = np.sum(np.diagonal(C, axis1=-2, axis2=-1) ** 2, axis=-1)
    return {"a": tr / N, "b": tr2 / N, "nc2": (tr2 - diag2) / (N - 1), "pr": tr * tr / tr2}


def _batches(n_samples: int, N: int):
    size = max(1, min(n_samples, _BATCH_ELEMENTS // (N * N)))
    done = 0
    while done < n_samples:
        b = min(size, n_samples - done)
        yield b
        done += b


def _summarise(samples: dict[str, list[np.ndarray]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, chunks in samples.items():
        v = np.concatenate(chunks)
        out[key] = float(np.mean(v))
        out[key + "_se"] = float(np.std(v, ddof=1) / np.sqrt(v.size)) if v.size > 1 else math.nan
    return out


def montecarlo_linear_statistics(
    g: float,
    N: int,
    n_samples: int,
    seed: int,
    sigma2: float = 1.0,
    *,
    return_samples: bool = False,
) -> dict[str, Any]:
    r"""Monte Carlo over J of the zero-frequency statistics of the linear network.

        C = sigma2 (1 - J)^-1 (1 - J)^-T,   J_ij iid N(0, g^2/N)   (exact C for each J)
        a = tr C/N,  b = tr C^2/N,  Nc2 = (tr C^2 - sum_i C_ii^2)/(N - 1),  PR = (tr C)^2/tr C^2

    Parameters
    ----------
    g : float
        Coupling gain, 0 <= g < 1.
    N : int
        Network size, >= 2.
    n_samples : int
        Number of independent J, >= 2.
    seed : int
        Seed of ``numpy.random.default_rng``; J are drawn as consecutive (batch, N, N)
        standard-normal blocks scaled by g/sqrt(N).
    sigma2 : float, optional
        Noise intensity (C scales as sigma2).
    return_samples : bool, optional
        Also return the per-J values under key "samples" (dict of arrays).

    Returns
    -------
    dict
        Means a, b, nc2, pr, pr_over_n and their standard errors (<name>_se, std/sqrt(n) over
        J), plus g, N, n_samples, seed, and the largest a seen (a_max, heavy-tail diagnostic).

    Notes
    -----
    a, b and Nc2 have heavy tails at finite N (the smallest singular value of 1 - J has a
    non-zero density at 0), so their standard errors are reliable only where N (1-g)^2 >> 1;
    PR is bounded by N and always well behaved. See docs/finite_size.md §4.

    References
    ----------
    .. [1] docs/finite_size.md §3; docs/science.md §4, §7.
    """
    g = _check_gain(g)
    N = _check_size(N)
    if int(n_samples) != n_samples or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    if not (math.isfinite(sigma2) and sigma2 > 0):
        raise ValueError(f"sigma2 must be a finite number > 0, got {sigma2!r}")
    rng = np.random.default_rng(seed)
    scale = g / math.sqrt(N)
    samples: dict[str, list[np.ndarray]] = {"a": [], "b": [], "nc2": [], "pr": []}
    eye = np.eye(N)
    for b in _batches(int(n_samples), N):
        J = rng.standard_normal((b, N, N)) * scale
        M = np.linalg.solve(eye - J, np.broadcast_to(eye, J.shape))  # batched LU
        C = sigma2 * (M @ np.swapaxes(M, -1, -2))
        for key, value in _batched_statistics(C).items():
            samples[key].append(value)
    out: dict[str, Any] = _summarise(samples)
    out["pr_over_n"], out["pr_over_n_se"] = out["pr"] / N, out["pr_se"] / N
    out["a_max"] = float(max(np.max(v) for v in samples["a"]))
    out.update(g=g, N=N, n_samples=int(n_samples), seed=seed)
    if return_samples:
        out["samples"] = {k: np.concatenate(v) for k, v in samples.items()}
    return out


def fit_pr_offset(N: Any, pr: Any, pr_se: Any, p_inf: float, order: int = 1) -> dict[str, float]:
    r"""Weighted least-squares fit of E[PR] - N p_inf = p_0 + p_m1/N (+ p_m2/N^2).

    Parameters
    ----------
    N, pr, pr_se : array_like
        Sizes, Monte Carlo means of PR and their standard errors (independent runs).
    p_inf : float
        Large-N PR/N (taken as exact).
    order : int, optional
        Highest power of 1/N fitted (0, 1 or 2); needs more sizes than order + 1 for chi2.

    Returns
    -------
    dict
        p_0, p_0_se, and for order >= 1 p_m1, p_m1_se (order 2: p_m2, p_m2_se), chi2, dof.
        Standard errors come from the weighted normal equations (not rescaled by chi2/dof).

    References
    ----------
    .. [1] docs/finite_size.md §3.
    """
    n = np.asarray(N, dtype=float)
    y = np.asarray(pr, dtype=float) - n * p_inf
    s = np.asarray(pr_se, dtype=float)
    if not (n.shape == y.shape == s.shape and n.ndim == 1):
        raise ValueError("N, pr and pr_se must be 1-d arrays of the same length")
    if order not in (0, 1, 2) or n.size < order + 1:
        raise ValueError(f"order must be 0, 1 or 2 and below the number of sizes, got {order!r}")
    X = np.stack([n ** (-k) for k in range(order + 1)], axis=1)
    w = 1.0 / s
    cov = np.linalg.inv((X * w[:, None] ** 2).T @ X)
    beta = cov @ (X.T @ (w**2 * y))
    chi2 = float(np.sum(((y - X @ beta) * w) ** 2))
    out = {"p_0": float(beta[0]), "p_0_se": float(math.sqrt(cov[0, 0]))}
    for k, name in ((1, "p_m1"), (2, "p_m2")):
        if order >= k:
            out[name], out[name + "_se"] = float(beta[k]), float(math.sqrt(cov[k, k]))
    out.update(chi2=chi2, dof=int(n.size - order - 1))
    return out


# --------------------------------------------------------------------------------------------
# Linear-equivalent network for nonlinear noisy networks (zero frequency)
# --------------------------------------------------------------------------------------------


def linear_equivalent_covariances(
    J: np.ndarray, s0: float, sigma2: float, residual_power: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Zero-frequency covariances of x and phi in the linear-equivalent network, for one J.

    Linear equivalence at w = 0: phi = s0 x + eta, x = J phi + xi, with eta_i independent
    residuals of power P and xi_i the noise of power sigma2. With L = (1 - s0 J)^-1::

        phi = L (s0 xi + eta)              C_phi = (s0^2 sigma2 + P) L L^T
        x   = L xi + (L - 1) eta / s0      C_x   = sigma2 L L^T + (P/s0^2)(L - 1)(L - 1)^T
                                                 = sigma2 + J C_phi J^T + s0 sigma2 (J L + L^T J^T)

    (using s0 J L = L - 1). Stacks of J (..., N, N) give stacks of covariances.

    Parameters
    ----------
    J : ndarray, shape (..., N, N)
        Coupling matrix (or stack), J_ij ~ N(0, g^2/N) in the model.
    s0 : float
        <phi'(x)> of the large-N single site, > 0.
    sigma2 : float
        White-noise intensity, >= 0.
    residual_power : float
        P = a_phi (1 - g_eff^2) - s0^2 sigma2 >= 0 (0 for the linear network).

    Returns
    -------
    (C_x, C_phi) : tuple of ndarray
        Same shape as J.

    References
    ----------
    .. [1] docs/science.md §3 (R1, R2) and §7; docs/finite_size.md §5.
    """
    _check_scalars(s0, sigma2, residual_power)
    J = np.asarray(J, dtype=float)
    if J.ndim < 2 or J.shape[-1] != J.shape[-2]:
        raise ValueError(f"J must be square (..., N, N), got shape {J.shape}")
    eye = np.eye(J.shape[-1])
    L = np.linalg.solve(eye - s0 * J, np.broadcast_to(eye, J.shape))
    LLt = L @ np.swapaxes(L, -1, -2)
    C_phi = (s0 * s0 * sigma2 + residual_power) * LLt
    K = L - eye
    C_x = sigma2 * LLt + (residual_power / (s0 * s0)) * (K @ np.swapaxes(K, -1, -2))
    return C_x, C_phi


def linear_equivalent_statistics(
    J: np.ndarray, s0: float, sigma2: float, residual_power: float
) -> dict[str, dict[str, Any]]:
    r"""a, Nc2 and PR of C_x and C_phi of the linear-equivalent network for given J.

        a = tr C/N,  Nc2 = (tr C^2 - sum_i C_ii^2)/(N - 1),  PR = (tr C)^2/tr C^2

    with C_x, C_phi from ``linear_equivalent_covariances``.

    Parameters
    ----------
    J : ndarray, shape (N, N) or (B, N, N)
        Coupling matrix or stack of them.
    s0, sigma2, residual_power : float
        As in ``linear_equivalent_covariances``.

    Returns
    -------
    dict
        {"x": {"a", "nc2", "pr", "pr_over_n"}, "phi": {...}}: floats for one J, arrays of
        length B for a stack.

    References
    ----------
    .. [1] docs/finite_size.md §5.
    """
    J = np.asarray(J, dtype=float)
    single = J.ndim == 2
    C_x, C_phi = linear_equivalent_covariances(J[None] if single else J, s0, sigma2, residual_power)
    N = J.shape[-1]
    out: dict[str, dict[str, Any]] = {}
    for var, C in (("x", C_x), ("phi", C_phi)):
        st = _batched_statistics(C)
        st.pop("b")
        st["pr_over_n"] = st["pr"] / N
        out[var] = {k: (float(v[0]) if single else v) for k, v in st.items()}
    return out


def finite_n_prediction(
    g_eff: float,
    s0: float,
    sigma2: float,
    residual_power: float,
    N: int,
    n_samples: int,
    seed: int,
) -> dict[str, dict[str, float]]:
    r"""J-averaged finite-N zero-frequency statistics of the linear-equivalent network.

    Samples J_ij iid N(0, g^2/N) with g = g_eff/s0 and averages the statistics of
    ``linear_equivalent_covariances`` (one LU solve per J)::

        C_phi = (s0^2 sigma2 + P) L L^T,   C_x = sigma2 L L^T + (P/s0^2)(L-1)(L-1)^T,
        L = (1 - s0 J)^-1

    Parameters
    ----------
    g_eff : float
        g s0, 0 <= g_eff < 1.
    s0, sigma2, residual_power : float
        Large-N single-site scalars (e.g. from ``rnncorr.theory._noisy``); P >= 0.
    N : int
        Network size.
    n_samples : int
        Number of J, >= 2.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    dict
        {"x": {...}, "phi": {...}} with means a, nc2, pr, pr_over_n and their ``_se``.

    Notes
    -----
    Neglects what the linear-equivalent approximation neglects (docs/finite_size.md §6):
    finite-N shifts of delta0 and s0, non-Gaussian residual correlations.

    References
    ----------
    .. [1] docs/science.md §7; docs/finite_size.md §5-6.
    """
    g_eff = _check_gain(g_eff, "g_eff")
    _check_scalars(s0, sigma2, residual_power)
    N = _check_size(N)
    if int(n_samples) != n_samples or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    rng = np.random.default_rng(seed)
    scale = g_eff / s0 / math.sqrt(N)
    acc: dict[str, dict[str, list[np.ndarray]]] = {"x": {}, "phi": {}}
    for b in _batches(int(n_samples), N):
        J = rng.standard_normal((b, N, N)) * scale
        st = linear_equivalent_statistics(J, s0, sigma2, residual_power)
        for var in acc:
            for k, v in st[var].items():
                acc[var].setdefault(k, []).append(v)
    return {var: _summarise(acc[var]) for var in acc}


def nonlinear_finite_n_coefficients(
    g_eff: float, s0: float, sigma2: float, residual_power: float
) -> dict[str, dict[str, float]]:
    r"""1/N coefficients of the zero-frequency statistics of the linear-equivalent network.

    With k = g_eff, x = k^2, u = 1/(1-x), E = s0^2 sigma2 + P and the word moments
    (1/N) E tr(.) of L = (1 - s0 J)^-1 (linear network at gain g_eff)::

        l  = tr L/N       = 1 + x u/N                    q = tr L^2/N      = 1 + x(3-x) u^2/N
        A  = tr L L^T/N   = u + 2x u^3/N                 T = tr L L^T L^T/N = u^2 + 2x(2+x) u^4/N
        B  = tr (L L^T)^2/N = u^4 + x(6+7x) u^6/N

    phi:  a = E A,   tr C^2/N = E^2 B,   Nc2 = E^2 (nc2_inf + nc2_1/N),   PR = linear PR at k
    x:    s0^2 a_x      = E A - P (2 l - 1)
          s0^4 tr C_x^2/N = E^2 B - 2 E P (2T - A) + P^2 (2q + 2A - 4l + 1)
          PR_x = N p_inf_x + p_0_x,  p_0_x = p_inf_x (2 a_x,1/a_x,inf - b_x,1/b_x,inf)

    At N = inf these reduce to (R1), (R2) of science.md §3.

    Parameters
    ----------
    g_eff : float
        g s0, 0 <= g_eff < 1.
    s0 : float
        <phi'(x)>, > 0.
    sigma2 : float
        White-noise intensity, >= 0.
    residual_power : float
        P = a_phi (1 - g_eff^2) - s0^2 sigma2 >= 0.

    Returns
    -------
    dict
        {"phi": {a_inf, a_1, b_inf, b_1, nc2_inf, nc2_1, p_inf, p_0},
         "x": {a_inf, a_1, b_inf, b_1, p_inf, p_0}}.

    Notes
    -----
    Nc2_x at O(1/N) needs Var (C_x)_ii, not derived here (``finite_n_prediction`` gives it
    numerically). What the linear-equivalent approximation neglects: docs/finite_size.md §6.

    References
    ----------
    .. [1] docs/finite_size.md §5; docs/science.md §3 (R1, R2), §7.
    """
    k = _check_gain(g_eff, "g_eff")
    _check_scalars(s0, sigma2, residual_power)
    lin = linear_finite_n_coefficients(k)
    x = k * k
    u = 1.0 / (1.0 - x)
    E, P = s0 * s0 * sigma2 + residual_power, residual_power
    A0, A1 = u, 2 * x * u**3
    l1 = x * u
    q1 = x * (3 - x) * u**2
    T0, T1 = u**2, 2 * x * (2 + x) * u**4
    B0, B1 = u**4, x * (6 + 7 * x) * u**6
    phi = {
        "a_inf": E * lin["a_inf"],
        "a_1": E * lin["a_1"],
        "b_inf": E * E * lin["b_inf"],
        "b_1": E * E * lin["b_1"],
        "nc2_inf": E * E * lin["nc2_inf"],
        "nc2_1": E * E * lin["nc2_1"],
        "p_inf": lin["p_inf"],
        "p_0": lin["p_0"],
    }
    s2, s4 = s0**2, s0**4
    ax0, ax1 = (E * A0 - P) / s2, (E * A1 - 2 * P * l1) / s2
    bx0 = (E * E * B0 - 2 * E * P * (2 * T0 - A0) + P * P * (2 * A0 - 1)) / s4
    bx1 = (E * E * B1 - 2 * E * P * (2 * T1 - A1) + P * P * (2 * q1 + 2 * A1 - 4 * l1)) / s4
    p_inf_x = ax0 * ax0 / bx0
    xs = {
        "a_inf": ax0,
        "a_1": ax1,
        "b_inf": bx0,
        "b_1": bx1,
        "p_inf": p_inf_x,
        "p_0": p_inf_x * (2 * ax1 / ax0 - bx1 / bx0),
    }
    return {"phi": phi, "x": xs}


def nonlinear_pr_correction(
    g_eff: float,
    s0: float = 1.0,
    sigma2: float = 1.0,
    residual_power: float = 0.0,
    *,
    delta0_1: float = 0.0,
    ds0_ddelta0: float = 0.0,
) -> dict[str, float]:
    r"""O(1) correction p_0 to E[PR] = N p_inf + p_0 for phi and x, linear-equivalent network.

        p_0_phi = -g_eff^2 (2 + 7 g_eff^2)             (PR_phi depends on J only through s0 J)
        p_0_x   = p_inf_x (2 a_x,1/a_x,inf - b_x,1/b_x,inf)   (nonlinear_finite_n_coefficients)

    and, separately, the leading term the linear-equivalent network leaves out for phi: if the
    single-site variance is delta0 + delta0_1/N at size N, then s0 -> s0 + ds0_ddelta0 delta0_1/N,
    g_eff -> g_eff (1 + ds0_ddelta0 delta0_1 / (s0 N)), and N p_inf = N (1 - g_eff^2)^2 moves by::

        p_0_phi_shift = -4 g_eff^2 (1 - g_eff^2) ds0_ddelta0 delta0_1 / s0

    with ds0_ddelta0 = <phi'''(x)>/2, x ~ N(0, delta0).

    Parameters
    ----------
    g_eff : float
        g s0, 0 <= g_eff < 1.
    s0, sigma2, residual_power : float, optional
        Single-site scalars; only p_0_x depends on sigma2 and P. Defaults: the linear network.
    delta0_1 : float, optional
        1/N coefficient of the J- and site-averaged variance of x (not derived here: e.g. a fit
        to simulations at several N). Default 0.
    ds0_ddelta0 : float, optional
        dS0/dDelta0 = <phi'''>/2 at the large-N delta0. Default 0.

    Returns
    -------
    dict
        p_inf_phi, p_0_phi, p_0_phi_shift, p_inf_x, p_0_x.

    Notes
    -----
    Also neglected (docs/finite_size.md §6): the finite-N shift of the residual power P (it
    enters PR_x), non-Gaussian residual correlations at O(1/N). Zero frequency only.

    References
    ----------
    .. [1] docs/finite_size.md §5-6; docs/science.md §7.

    Examples
    --------
    >>> c = nonlinear_pr_correction(0.5)          # linear network: s0 = 1, P = 0
    >>> round(c["p_inf_phi"], 6), round(c["p_inf_x"], 6)   # (1 - g^2)^2, science.md §11
    (0.5625, 0.5625)
    """
    c = nonlinear_finite_n_coefficients(g_eff, s0, sigma2, residual_power)
    k = g_eff
    return {
        "p_inf_phi": c["phi"]["p_inf"],
        "p_0_phi": c["phi"]["p_0"],
        "p_0_phi_shift": -4 * k * k * (1 - k * k) * ds0_ddelta0 * delta0_1 / s0,
        "p_inf_x": c["x"]["p_inf"],
        "p_0_x": c["x"]["p_0"],
    }


# --------------------------------------------------------------------------------------------
# Finite-N shift of the single site (Delta0 -> Delta0 + Delta_1/N) for nonlinear noisy networks
# --------------------------------------------------------------------------------------------


def variance_shift_spectrum(
    w: Any, g: float, s0: float, sigma2: float, residual_power: Any
) -> tuple[np.ndarray, np.ndarray]:
    r"""1/N coefficient D_1(w) of (1/N) E tr C_x(w) in the linear-equivalent network, and L(w).

    With S = s0/(1 + i w), t = g^2 S^2 (J-J pairing, GinOE), z = g^2 |S|^2 (J-J^T pairing),
    L = 1/(1 - z), alpha = sigma2/(1 + w^2), beta = P(w)/s0^2 and A = (1 - S J)^-1::

        (1/N) E tr A        = 1 + (1/N) t/(1 - t)
        (1/N) E tr A A^H    = L + (1/N) 2 Re[t/(1 - t)] L^2
        (1/N) E tr C_x(w)   = alpha L + beta (L - 1) + D_1(w)/N,
        D_1(w) = 2 Re[t/(1 - t)] (alpha L^2 + beta (L^2 - 1))

    (word recursion of docs/finite_size.md §2 with complex gains; at w = 0 it is a_1 of x in
    ``nonlinear_finite_n_coefficients``).

    Parameters
    ----------
    w : array_like
        Angular frequencies.
    g, s0, sigma2 : float
        Gain, <phi'>, white-noise intensity.
    residual_power : array_like
        P(w) = C_phi(w) - s0^2 Delta(w) (broadcast against w).

    Returns
    -------
    (D_1, L) : tuple of ndarray

    References
    ----------
    .. [1] docs/finite_size.md §7.
    """
    w = np.asarray(w, dtype=float)
    S = s0 / (1.0 + 1j * w)
    t = g * g * S * S
    L = 1.0 / (1.0 - g * g * np.abs(S) ** 2)
    alpha = sigma2 / (1.0 + w * w)
    beta = np.asarray(residual_power, dtype=float) / (s0 * s0)
    return 2.0 * np.real(t / (1.0 - t)) * (alpha * L * L + beta * (L * L - 1.0)), L


def _p_inf_x(s: float, g: float, sigma2: float, P: float) -> float:
    """Large-N zero-frequency PR_x/N (R2) as a function of s0 (g_eff = g s0) and P."""
    k2 = (g * s) ** 2
    one = 1.0 - k2
    e = s * s * sigma2 + P
    a_x = (e / one - P) / (s * s)
    tr2 = (e * e / one**4 - 4.0 * P * e / one**2 + 2.0 * P * (e + P) / one - P * P) / s**4
    return a_x * a_x / tr2


def variance_response(
    activation: Any,
    g: float,
    d0: float,
    u: np.ndarray,
    delta: np.ndarray,
    wq: np.ndarray,
    src_w: np.ndarray,
    *,
    n_nodes: int | None = None,
    rtol: float = 1e-11,
    restart: int = 100,
    maxiter: int = 1000,
) -> dict[str, Any]:
    r"""Linear response of the lag autocorrelation to the 1/N source (docs/finite_size.md §7.2).

    Solves, on the lag grid u, for the shift dDelta(u) driven by the source
    s(u) = sum_q cos(u w_q) src_w[q]::

        dDelta - G * (g^2 F'(Delta) dDelta + g^2 dF/dDelta0 dDelta(0)) = s,

    with G the Green function of (1 - d^2/du^2) (``_periodic_green``, DCT convolution) and the
    pair average F(c; Delta0) tabulated at Delta0 + j h, j = 0, 1, 2 (forward differences,
    O(h^2), h = 1e-3 Delta0). Shared by the white-noise shift (``single_site_shift``) and the
    chaotic one (``_chaos_finite_n.chaos_single_site_shift``).

    Returns
    -------
    dict
        ``dd`` (dDelta on u), ``f_c`` (F'(Delta(u))), ``f_d`` (dF/dDelta0 on u), ``h``,
        ``info`` (gmres' flag, 0 when converged).
    """
    from scipy import fft as sfft
    from scipy.sparse.linalg import LinearOperator, gmres

    from rnncorr.theory._dmft import _periodic_green, pair_table

    source = np.empty(u.size)
    step = max(1, 2_000_000 // wq.size)  # bounds the (step, n_freq) cosine block in memory
    for start in range(0, u.size, step):
        source[start : start + step] = np.cos(np.outer(u[start : start + step], wq)) @ src_w
    h = 1e-3 * d0
    extra = {} if n_nodes is None else {"n_nodes": n_nodes}
    tables = [pair_table(activation, d0 + j * h, **extra) for j in range(3)]
    f_c = tables[0].df(delta)
    f_d = (-3.0 * tables[0].f(delta) + 4.0 * tables[1].f(delta) - tables[2].f(delta)) / (2 * h)
    du = float(u[1] - u[0])
    green_hat = du * sfft.dct(_periodic_green(u), type=1)

    def conv(v: np.ndarray) -> np.ndarray:
        return sfft.idct(green_hat * sfft.dct(v, type=1), type=1)

    g2 = g * g
    g_fd = conv(g2 * f_d)
    n = u.size
    op = LinearOperator((n, n), matvec=lambda v: v - conv(g2 * f_c * v) - g_fd * v[0])
    dd, info = gmres(op, source, atol=1e-12, rtol=rtol, restart=restart, maxiter=maxiter)
    return {"dd": dd, "f_c": f_c, "f_d": f_d, "h": h, "info": int(info)}


def single_site_shift(
    activation: Any,
    g: float,
    sigma2: float,
    *,
    du: float = 0.02,
    n_freq: int = 6000,
) -> dict[str, float]:
    r"""Finite-N shift of the single-site statistics, white-noise network, linear-equivalent level.

    The J- and site-averaged spectrum of x at size N is Delta(w) + delta Delta(w), delta = O(1/N).
    Source: the 1/N term D_1(w) of the linear-equivalent diagonal (``variance_shift_spectrum``)
    at fixed s0, P(w). Self-consistency: D_1 is equivalent to an extra input spectrum
    K_1(w)/N = (1 + w^2) D_1(w)/(N L(w)) in the DMFT, (1 + w^2) Delta = g^2 C_phi + sigma2 + K_1/N,
    whose linear response in the lag domain (G(u) = e^-|u|/2) is::

        dDelta(u) = G * [g^2 (F_c(Delta(u)) dDelta(u) + F_D(Delta(u)) dDelta(0))] + s(u),
        s(u) = int dw/2pi cos(w u) D_1(w)/L(w),
        F_c = <phi'(x) phi'(y)>_c,   F_D = d<phi(x) phi(y)>_c / dDelta0 at fixed c,
        dC_phi(u) = F_c dDelta(u) + F_D dDelta(0)

    Then Delta_1 = N dDelta(0), S0 -> S0 + S0' Delta_1/N (S0' = dS0/dDelta0), and the O(1) shifts
    of N p_inf (PR = N p_inf + p_0)::

        p_0_phi_shift = -4 g_eff^2 (1 - g_eff^2) S0' Delta_1 / S0
        p_0_x_shift   = N [d p_inf_x/d s0 . dS0 + d p_inf_x/d P . dP(0)],
        dP(0) = dC_phi(w=0) - 2 S0 dS0 Delta(w=0) - S0^2 dDelta(w=0)

    Parameters
    ----------
    activation : Activation
        Odd activation.
    g, sigma2 : float
        Gain and white-noise intensity (> 0).
    du : float, optional
        Lag step of the DMFT grid.
    n_freq : int, optional
        Nodes of the w quadrature (w = 2 tan(theta), midpoint rule).

    Returns
    -------
    dict
        delta0, s0, g_eff, ds0_ddelta0, residual_power (P(0)),
        delta1_source (int D_1 dw/2pi, no self-consistency), delta1 (Delta_1, self-consistent),
        a_phi_eq_1 (equal-time <phi^2>: d<phi^2>/dDelta0 Delta_1),
        a_x_1, a_phi_1 (zero-frequency a at O(1/N), self-consistent: replace the
        linear-equivalent a_1), p_0_phi_shift, p_0_x_shift.

    Notes
    -----
    Neglected (docs/finite_size.md §7.4): the nonlinear response of the single site to its
    self-coupling J_ii and to the reciprocal loops J_ij J_ji (the linear-equivalent network
    treats them with the gain S0), the heterogeneity of S0_i and P_i across sites, correlations
    of the residuals with the fields. Simulations (tanh, g = 1) show Delta_1 and p_0 differ
    from this prediction: it is *not* the complete O(1/N) theory. The heterogeneity of the
    gains is the main missing piece: ``rnncorr.theory._heterogeneous`` (finite_size.md §8).

    References
    ----------
    .. [1] docs/finite_size.md §7; docs/science.md §3, §7.
    """
    from rnncorr.theory._dmft import solve_white_noise, spectrum
    from rnncorr.theory._gauss import gauss_average
    from rnncorr.theory._noisy import single_site

    site = single_site(activation, g, sigma2)
    if not site.valid:
        raise ValueError(f"no stationary single-site solution: {site.reason}")
    s0, d0 = site.s0, site.delta0
    sol = solve_white_noise(activation, g, sigma2, site, du=du)
    if not sol.converged:
        raise ValueError(f"DMFT lag equation did not converge: {sol.flag}")
    u = sol.u
    delta = np.minimum(sol.delta, d0)
    cphi = sol.cphi
    du = float(u[1] - u[0])
    # frequency quadrature on (0, inf): w = 2 tan(theta), midpoint rule in theta
    theta = (np.arange(n_freq) + 0.5) * (0.5 * math.pi / n_freq)
    wq = 2.0 * np.tan(theta)
    wt = 2.0 / np.cos(theta) ** 2 * (0.5 * math.pi / n_freq) / math.pi  # dw/pi (even integrand)
    p_w = spectrum(cphi, u, wq) - s0 * s0 * spectrum(sol.delta, u, wq)
    d1, lw = variance_shift_spectrum(wq, g, s0, sigma2, p_w)
    delta1_source = float(np.sum(wt * d1))
    src_w = wt * d1 / lw
    response = variance_response(activation, g, d0, u, delta, wq, src_w)
    if response["info"] != 0:
        raise ValueError(f"linear response did not converge (gmres info {response['info']})")
    dd, f_c, f_d, h = response["dd"], response["f_c"], response["f_d"], response["h"]
    dc = f_c * dd + f_d * dd[0]

    def integral(v: np.ndarray) -> float:  # int over the real line of an even function
        return float(du * (2.0 * np.sum(v) - v[0]))

    def deriv(q: str) -> float:
        return float(
            (gauss_average(activation, q, d0 + h) - gauss_average(activation, q, d0 - h)) / (2 * h)
        )

    ds0 = deriv("dphi")
    delta1 = float(dd[0])
    a_x_1, a_phi_1 = integral(dd), integral(dc)
    delta_w0, cphi_w0 = integral(sol.delta), integral(cphi)
    p0 = cphi_w0 - s0 * s0 * delta_w0
    k2 = (g * s0) ** 2
    ds = ds0 * delta1
    dp = a_phi_1 - 2.0 * s0 * ds * delta_w0 - s0 * s0 * a_x_1
    eps = 1e-6
    dpx_ds = (_p_inf_x(s0 + eps, g, sigma2, p0) - _p_inf_x(s0 - eps, g, sigma2, p0)) / (2 * eps)
    ep = 1e-6 * max(p0, 1e-3)
    dpx_dp = (_p_inf_x(s0, g, sigma2, p0 + ep) - _p_inf_x(s0, g, sigma2, max(p0 - ep, 0.0))) / (
        p0 + ep - max(p0 - ep, 0.0)
    )
    return {
        "delta0": d0,
        "s0": s0,
        "g_eff": g * s0,
        "ds0_ddelta0": ds0,
        "residual_power": p0,
        "delta1_source": delta1_source,
        "delta1": delta1,
        "a_phi_eq_1": deriv("phi2") * delta1,
        "a_x_1": a_x_1,
        "a_phi_1": a_phi_1,
        "p_0_phi_shift": -4.0 * k2 * (1.0 - k2) * ds0 * delta1 / s0,
        "p_0_x_shift": dpx_ds * ds + dpx_dp * dp,
    }
