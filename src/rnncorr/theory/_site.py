r"""Analytic site-heterogeneity term p_0^site of the 1/N series (docs/finite_size.md §10).

The heterogeneous linear-equivalent network (``_heterogeneous``, finite_size.md §8) gives unit i
the gain s_i = S(Delta_i) of its own equal-time variance. This module computes, without any
sampling of J, the O(1) (PR) and O(1/N) (a) difference between that network and the homogeneous
one (all gains s0), J-averaged, to leading order in 1/N::

    p_0^site = lim_N E[PR_het - PR_hom],     a_1^site = lim_N N E[a_het - a_hom]

Route (finite_size.md §10). Write s_i = s0 (1 + eps_i), eps_i = O(N^-1/2). To O(1/N):

    eps_i = ebar + (S'/s0) dDelta_i,  dDelta_i = Delta_i - E Delta_i (hom. network, O(N^-1/2))
    E[F_het - F_hom] = ebar dF/d(uniform eps) + N Cov(eps_0, f_0) + N E[eps_0^2] f_00 / 2

with f_0 = dF/deps_0 (a diagonal entry, (X)_00, of a matrix X built from L = (1 - s0 J)^-1)
and f_00 the mean of d^2F/deps_0^2 (products of normalised traces). The one non-trivial
ingredient is the covariance of two diagonal entries at the same site, which for real Gaussian J
is exact at leading order because J -> O J O^T (O orthogonal) leaves the law of J unchanged
(finite_size.md §10.2)::

    N Cov(X_00, Y_00) = tau(X Y) + tau(X Y^T) - 2 tau(X) tau(Y) + O(1/N)

with tau the large-N normalised trace (the circular-element, planar, value). Every tau needed is a
word in resolvents (1 - a K)^-1, (1 - b K^T)^-1 (complex gains a, b from the frequency integral
of the equal-time variance), K and K^T, evaluated by the planar Schwinger-Dyson recursion
:func:`planar_trace`. The equal-time covariance of the (homogeneous) network is

    Sigma = int dw/2pi |z|^2 R_z (sigma2 + q K K^T) R_z^H,   R_z = (1 - z K)^-1,  z = 1/(1 + i w)

(K = s0 J, q = Q/s0^2, Q the white residual of ``_heterogeneous``), and its 1/N mean shift uses
the GinOE ("twisted") terms of finite_size.md §7.1. All of it is zero frequency for PR, a, and
uses only the large-N single-site scalars.
"""

from __future__ import annotations

import math
import operator
from functools import lru_cache, reduce
from typing import Any

import numpy as np

from rnncorr.activations import Activation
from rnncorr.theory._gauss import gauss_average

__all__ = [
    "MAX_GAIN_SPREAD",
    "NEXT_ORDER_MAX_RATIO",
    "diagonal_covariance",
    "finite_n_coefficients",
    "finite_n_statistics",
    "planar_trace",
    "site_coefficients",
]

# Letters of a word: (type, gain). Types: resolvent (1 - a K)^-1, its transpose (1 - a K^T)^-1,
# bare K, bare K^T, and the site marker P = e_0 e_0^T (only in the expansion engine).
_R, _T, _K, _KT, _P = 0, 1, 2, 3, 4
_SWAP = {_R: _T, _T: _R, _K: _KT, _KT: _K, _P: _P}

#: Gauss-Legendre nodes of the frequency integrals (in phi, w = tan phi). The integrands are
#: smooth Lorentzian-like functions of w; 24 nodes reproduce 48 to 1e-15 (tanh g = 1), 16 to 1e-10
FREQUENCY_NODES: int = 24


def _transpose(word: tuple) -> tuple:
    return tuple((_SWAP[t], a) for t, a in reversed(word))


def _canonical(word: tuple) -> tuple:
    """Smallest rotation of the word or of its transpose (tau is invariant under both)."""
    n = len(word)
    if n == 0:
        return word
    cands = []
    for v in (word, _transpose(word)):
        for r in range(n):
            cands.append(v[r:] + v[:r])
    return min(cands, key=lambda w: tuple((t, a.real, a.imag) for t, a in w))


def planar_trace(word: tuple, k2: float) -> complex:
    r"""Large-N normalised trace tau(w) of a word in resolvents of a real Gaussian matrix K.

    K_ij iid N(0, k2/N); letters (0, a) = (1 - a K)^-1, (1, a) = (1 - a K^T)^-1, (2, 0) = K,
    (3, 0) = K^T (a complex). Planar Schwinger-Dyson rules (only K - K^T pairings survive at
    N = infinity; the K - K "twisted" pairings of GinOE are O(1/N), finite_size.md §2)::

        tau(R_a V) = tau(V) + a tau(K R_a V)
        tau(K X)   = k2 sum_{X = P K^T Q} tau(P) tau(Q)
                   + k2 sum_{X = P R^T_b Q} b tau(P R^T_b) tau(R^T_b Q)

    and tau(f(K)) = f(0) for a word without transposed letters (circular element). The term in
    which the split letter is the last letter of X reproduces tau(R_a V) itself and is solved for.
    Checks: tau(R_a R^T_b) = 1/(1 - a b k2); tau((L L^T)^2) = 1/(1-k2)^4 (finite_size.md §0).
    """
    return _tau(_canonical(tuple((int(t), complex(a)) for t, a in word)), float(k2))


@lru_cache(maxsize=200_000)
def _tau(w: tuple, k2: float) -> complex:
    return _planar_step(w, k2, lambda v: _tau(_canonical(v), k2), lambda a: a)


def _planar_step(w: tuple, k2: float, tau: Any, gain: Any) -> Any:
    """One Schwinger-Dyson step of :func:`planar_trace` for the canonical word w.

    ``tau(v)`` evaluates a sub-word (any rotation), ``gain(a)`` the value of a letter's gain: the
    identity for numeric gains, a table of node arrays for the symbolic gains of
    :class:`_GridTrace` (the recursion depends on the letter types only, so one pass serves a
    whole grid of frequency nodes).
    """
    n = len(w)
    if n == 0:
        return 1.0 + 0j
    types = [t for t, _ in w]
    if not any(t in (_T, _KT) for t in types) or not any(t in (_R, _K) for t in types):
        # only K (or only K^T) letters: the value at K = 0
        return 0j if any(t in (_K, _KT) for t in types) else 1.0 + 0j
    if _R in types:
        # rotate to a resolvent preceded (cyclically) by a transposed resolvent if possible,
        # so that the self term sits on the last letter
        cands = [r for r in range(n) if w[r][0] == _R]
        pref = [r for r in cands if w[r - 1][0] == _T]
        r = (pref or cands)[0]
        v = w[r:] + w[:r]
        a = gain(v[0][1])
        rest = tau(v[1:])
        acc, self_coef = 0j, 0j
        x = v  # tau(K x), x = R_a V
        for j in range(n):
            t, b = x[j]
            if t == _KT:
                acc = acc + tau(x[:j]) * tau(x[j + 1 :])
            elif t == _T:
                if j == n - 1:
                    self_coef = self_coef + gain(b)  # b tau(x) tau(R^T_b), tau(R^T_b) = 1
                else:
                    acc = acc + gain(b) * tau(x[:j] + ((t, b),)) * tau(((t, b),) + x[j + 1 :])
        return (rest + a * k2 * acc) / (1.0 - a * k2 * self_coef)
    # no resolvent R but a bare K: tau(K V) directly
    r = next(r for r in range(n) if w[r][0] == _K)
    v = w[r:] + w[:r]
    x = v[1:]
    acc = 0j
    for j in range(len(x)):
        t, b = x[j]
        if t == _KT:
            acc = acc + tau(x[:j]) * tau(x[j + 1 :])
        elif t == _T:
            acc = acc + gain(b) * tau(x[:j] + ((t, b),)) * tau(((t, b),) + x[j + 1 :])
    return k2 * acc


class _GridTrace:
    r"""Planar traces tau(word) on a product grid of frequency nodes, one recursion per word.

    A letter's gain may be a *symbol*, a Python int: symbol 1 + 2 m is z = 1/(1 + i w) and
    2 + 2 m its conjugate on node axis m (``z_axes[m]``, 1-D arrays); tau(word) is then an array
    broadcast over the axes its letters use (shape (1, .., n_m, .., 1)). Numeric (complex) gains
    pass through unchanged. The Schwinger-Dyson recursion (:func:`_planar_step`) depends only on
    the letter types, so one evaluation per symbolic word covers the whole grid -- the reason
    this exists: the equal-time site term (``_site_equal_time``) needs traces of words with
    three independent frequency integrals (two symbolic axes; the third as an outer loop with
    numeric gains). Words with numeric resolvent gains are cached until :meth:`reset` (they
    change from node to node of the outer loop), the others for good.
    """

    def __init__(self, k2: float, z_axes: list[np.ndarray]):
        self.k2 = float(k2)
        n_ax = len(z_axes)
        self.gains: dict[int, np.ndarray] = {}
        for m, z in enumerate(z_axes):
            shape = [1] * n_ax
            shape[m] = len(z)
            self.gains[1 + 2 * m] = np.asarray(z, dtype=complex).reshape(shape)
            self.gains[2 + 2 * m] = np.conj(np.asarray(z, dtype=complex)).reshape(shape)
        self.memo: dict = {}
        self.volatile: dict = {}

    @staticmethod
    def symbol(axis: int, conjugate: bool = False) -> int:
        return 1 + 2 * axis + int(conjugate)

    def _gain(self, a: Any) -> Any:
        return self.gains[a] if isinstance(a, int) else a

    def reset(self) -> None:
        """Forget the words with numeric resolvent gains."""
        self.volatile = {}

    def __call__(self, word: tuple, k2: float | None = None) -> Any:
        w = _canonical(word)
        numeric = any(t in (_R, _T) and not isinstance(a, int) for t, a in w)
        memo = self.volatile if numeric else self.memo
        if w not in memo:
            memo[w] = _planar_step(w, self.k2, self, self._gain)
        return memo[w]


# --------------------------------------------------------------------------------------------
# Expansion engine: matrix expressions = {word: coefficient}, word = tuple of letters
# --------------------------------------------------------------------------------------------

Expr = dict


def _mul(*exprs: Expr) -> Expr:
    out: Expr = {(): 1.0}
    for e in exprs:
        nxt: Expr = {}
        for w1, c1 in out.items():
            for w2, c2 in e.items():
                w = w1 + w2
                nxt[w] = nxt.get(w, 0.0) + c1 * c2
        out = nxt
    return out


def _add(*exprs: Expr, coefs: Any = None) -> Expr:
    out: Expr = {}
    coefs = coefs or [1.0] * len(exprs)
    for e, c in zip(exprs, coefs, strict=True):
        for w, v in e.items():
            out[w] = out.get(w, 0.0) + c * v
    return out


def _T_(e: Expr) -> Expr:
    return {_transpose(w): c for w, c in e.items()}


class _Series:
    """Polynomial in the site perturbation e (marker P) up to second order: [order0, 1, 2]."""

    def __init__(self, terms: list[Expr]):
        self.t = terms

    def __mul__(self, other: _Series) -> _Series:
        out = [{}, {}, {}]
        for i in range(3):
            for j in range(3 - i):
                out[i + j] = _add(out[i + j], _mul(self.t[i], other.t[j]))
        return _Series(out)

    def T(self) -> _Series:
        return _Series([_T_(e) for e in self.t])

    def scale(self, c: float) -> _Series:
        return _Series([{w: c * v for w, v in e.items()} for e in self.t])

    def __add__(self, other: _Series) -> _Series:
        return _Series([_add(a, b) for a, b in zip(self.t, other.t, strict=True)])


def _letter(t: int, a: complex = 0.0) -> Expr:
    return {((t, complex(a)),): 1.0}


_ONE: Expr = {(): 1.0}


def _split_marked(word: tuple) -> list[tuple]:
    """Cyclic segments of a word between its markers (the word must contain a marker)."""
    idx = [i for i, (t, _) in enumerate(word) if t == _P]
    r = idx[-1] + 1
    v = word[r:] + word[:r]  # now ends with a marker
    segs, cur = [], []
    for let in v:
        if let[0] == _P:
            segs.append(tuple(cur))
            cur = []
        else:
            cur.append(let)
    return segs


def _trace_expr(e: Expr, k2: float, tau: Any = None) -> Any:
    """Leading-order mean of (1/N) tr for unmarked words, of tr for marked words (product of
    the taus of the segments between markers: tr(P X P Y) = X_00 Y_00 -> tau(X) tau(Y)).
    ``tau``: the trace evaluator (default :func:`planar_trace`; a :class:`_GridTrace` for
    symbolic gains, then the result is an array over its node grid)."""
    tau = tau or planar_trace
    total = 0j
    for w, c in e.items():
        if any(t == _P for t, _ in w):
            total = total + c * reduce(operator.mul, [tau(s, k2) for s in _split_marked(w)])
        else:
            total = total + c * tau(w, k2)
    return total


def _first_order_matrix(e: Expr) -> Expr:
    """Words with one marker -> the matrix X with tr(e) = X_00 (rotate the marker to the end)."""
    out: Expr = {}
    for w, c in e.items():
        segs = _split_marked(w)
        if len(segs) != 1:
            raise ValueError("first-order term with != 1 marker")
        out[segs[0]] = out.get(segs[0], 0.0) + c
    return out


def _tau_expr(e: Expr, k2: float, tau: Any = None) -> Any:
    tau = tau or planar_trace
    return sum(c * tau(w, k2) for w, c in e.items())


# --------------------------------------------------------------------------------------------
# Equal-time covariance Sigma of the homogeneous network (as a frequency integral)
# --------------------------------------------------------------------------------------------


def _frequency_nodes(n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nodes z = 1/(1 + i w), weights of int_-inf^inf dw/2pi f(w) = 2 Re int_0^inf, w = tan phi."""
    x, wt = np.polynomial.legendre.leggauss(FREQUENCY_NODES if n is None else n)
    phi = (x + 1) * math.pi / 4  # (0, pi/2)
    w = np.tan(phi)
    weight = wt * (math.pi / 4) / np.cos(phi) ** 2 / (2 * math.pi)
    return 1.0 / (1.0 + 1j * w), weight


def _sigma_integrand(z: complex, q: float, sigma2: float) -> Expr:
    """|z|^2 R_z (sigma2 + q K K^T) R_z^H as an expression (R_z^H = (1 - conj(z) K^T)^-1)."""
    R, Rh = _letter(_R, z), _letter(_T, z.conjugate())
    noise = _add(_ONE, _mul(_letter(_K), _letter(_KT)), coefs=[sigma2, q])
    return {w: abs(z) ** 2 * c for w, c in _mul(R, noise, Rh).items()}


def _tau_sigma_times(X: Expr, k2: float, q: float, sigma2: float) -> float:
    """tau(Sigma X) for a real-gain expression X (frequency integral, w and -w combined)."""
    zs, ws = _frequency_nodes()
    total = 0.0
    for z, wt in zip(zs, ws, strict=True):
        total += 2 * wt * _tau_expr(_mul(_sigma_integrand(z, q, sigma2), X), k2).real
    return total


def diagonal_covariance(X: Expr, Y: Expr, k2: float, tau: Any = None) -> Any:
    r"""N Cov(X_00, Y_00) = tau(X Y) + tau(X Y^T) - 2 tau(X) tau(Y) (orthogonal invariance).

    ``tau``: as in :func:`_trace_expr`; with a :class:`_GridTrace` X and Y must use disjoint
    node axes (they are independent frequency integrals)."""
    return (
        _tau_expr(_mul(X, Y), k2, tau)
        + _tau_expr(_mul(X, _T_(Y)), k2, tau)
        - 2 * _tau_expr(X, k2, tau) * _tau_expr(Y, k2, tau)
    )


# --------------------------------------------------------------------------------------------
# Statistics of the zero-frequency covariances as series in the site perturbation
# --------------------------------------------------------------------------------------------


def _covariances(d: float, w: float, sigma2: float, resid_over_s02: float) -> dict[str, _Series]:
    r"""C_phi and C_x (zero frequency) of the network with gain s0 (1 + e P), to O(e^2).

    phi: L_e = (1 - (1 + eP) K)^-1 = L + e L P K L + e^2 L P K L P K L,
         D_e = d (1 + w (2 e + e^2) P),  C_phi = L_e D_e L_e^T          (d = sigma2 s0^2 + P)
    x:   M_e = (1 - K (1 + eP))^-1 = L + e L K P L + e^2 L K P L K P L,
         C_x = sigma2 M_e M_e^T + (P/s0^2) M_e K K^T M_e^T
    """
    L, K, Kt, Pm = _letter(_R, 1.0), _letter(_K), _letter(_KT), _letter(_P)
    Le = _Series([L, _mul(L, Pm, K, L), _mul(L, Pm, K, L, Pm, K, L)])
    De = _Series([{(): d}, {w2: 2 * d * w for w2 in Pm}, {w2: d * w for w2 in Pm}])
    c_phi = Le * De * Le.T()
    Me = _Series([L, _mul(L, K, Pm, L), _mul(L, K, Pm, L, K, Pm, L)])
    KK = _Series([_mul(K, Kt), {}, {}])
    c_x = (Me * Me.T()).scale(sigma2) + (Me * KK * Me.T()).scale(resid_over_s02)
    return {"phi": c_phi, "x": c_x}


def _stat_series(C: _Series, k2: float) -> dict[str, Any]:
    """tr C and tr C^2: N tau (order 0), first-order matrix X (tr = X_00), second-order mean."""
    C2 = C * C
    out = {}
    for name, S in (("tr", C), ("tr2", C2)):
        out[name] = {
            "tau0": _tau_expr(S.t[0], k2).real,
            "first": _first_order_matrix(S.t[1]),
            "second": _trace_expr(S.t[2], k2).real,
        }
    return out


def _derivatives(activation: Activation, delta0: float) -> tuple[float, float]:
    """S'(Delta0), S''(Delta0) of S(D) = <phi'(x)>_{x ~ N(0, D)} (central differences)."""
    h = 1e-3 * delta0
    d = np.array([delta0 - 2 * h, delta0 - h, delta0, delta0 + h, delta0 + 2 * h])
    s = np.asarray(gauss_average(activation, "dphi", d), dtype=float)
    s1 = (-s[4] + 8 * s[3] - 8 * s[1] + s[0]) / (12 * h)
    s2 = (-s[4] + 16 * s[3] - 30 * s[2] + 16 * s[1] - s[0]) / (12 * h * h)
    return float(s1), float(s2)


def site_coefficients(
    activation: Activation, g: float, sigma2: float, *, mean_gain_shift: str = "self_consistent"
) -> dict[str, Any]:
    r"""Analytic site-heterogeneity coefficients (finite_size.md §10), no sampling of J.

        p_0^site = p_inf [N ebar tau(X) + N Cov(eps_0, X_00) + N Var(eps) F2]
                   (mean channel)  (correlated channel)   (spread channel)

    with X, F2 the first- and second-order terms of ln PR in the gain of one unit (§10.1), the
    covariance from orthogonal invariance (§10.2), eps_0 from the equal-time variance (§10.3),
    ebar from §10.4; a_1^site, b_1^site likewise; nc2_1^site from §10.5. Zero frequency.

    The mean gain shift N ebar is, by default (``mean_gain_shift="self_consistent"``), the one
    solved with the equal-time a_x^site (docs/finite_size_equal_time.md §6.3,
    ``_site_equal_time``): E Delta_i^het = E a_x^het includes how unit 0's gain moves the other
    units' variances and the second-order effect of the gain spread. ``"own_loops"`` is the
    approximation of §10.4 (only the unit's own loops), kept for that module, which needs the
    other ingredients of this function, and for comparison. tanh g = 1, sigma2 = 1: N ebar =
    +0.087 (self-consistent) against -0.012 (own loops); Monte Carlo of the heterogeneous
    network +0.08 +- 0.03 (docs/finite_size_equal_time.md §6.5); p_0^site(phi) = 1.831 against
    1.930, Monte Carlo 1.859 +- 0.064 (N = 200).

    Parameters
    ----------
    activation : Activation
        Odd phi (the caller checks; ``finite_n_coefficients`` does).
    g, sigma2 : float
        Coupling and white-noise intensity (> 0).

    mean_gain_shift : {"self_consistent", "own_loops"}
        How N ebar is computed (see above).

    Returns
    -------
    dict
        ``{"phi": {"p_inf", "a_inf", "b_inf", "nc2_inf", "v_1" (N Var C_ii, homogeneous),
        "p_0_site", "a_1_site", "b_1_site", "nc2_1_site", "p_0_channels": {"mean",
        "correlated", "spread"}, "a_1_channels": {...}}, "x": {...}, "n_var_eps": N Var eps_i,
        "n_ebar": N E[eps_i], "n_ebar_own_loops" (§10.4), "delta_1_het": N (E Delta_i -
        Delta0), "delta_1_hom", "ds", "d2s"
        (S', S'' at Delta0), "scalars": SiteScalars}``.

    Raises
    ------
    ValueError
        No stationary noise-driven solution (from ``site_scalars``).
    """
    from rnncorr.theory._heterogeneous import site_scalars

    sc = site_scalars(activation, g, sigma2)
    s0, k = sc.s0, sc.g_eff
    k2 = k * k
    if not k2 < 1:
        raise ValueError(f"g_eff = {k} >= 1: no stationary linear-equivalent network")
    P = sc.residual_power
    d = sigma2 * s0 * s0 + P
    w = sigma2 * s0 * s0 / d
    q = sc.white_residual / (s0 * s0)
    ds, d2s = _derivatives(activation, sc.delta0)
    u = 1.0 / (1.0 - k2)

    # --- the equal-time variance: Var Delta_0 (planar), mean shift (twisted), self term ---
    zs, ws = _frequency_nodes()
    sig = [(_sigma_integrand(z, q, sigma2), wt) for z, wt in zip(zs, ws, strict=True)]
    tau_sigma = sum(2 * wt * _tau_expr(e, k2).real for e, wt in sig)
    tau_sigma2 = 0.0
    for e1, w1 in sig:
        for e2, w2 in sig:
            # Sigma = int (e + e^T), e^T = conj e: tau(Sigma^2) = 2 Re[tau(e1 e2) + tau(e1 e2^T)]
            tau_sigma2 += (
                2 * w1 * w2 * (_tau_expr(_mul(e1, e2), k2) + _tau_expr(_mul(e1, _T_(e2)), k2)).real
            )
    n_var_delta = 2 * (tau_sigma2 - tau_sigma**2)
    # 1/N shift of E tau(Sigma) of the homogeneous network: GinOE terms (finite_size.md §7.1)
    delta_1_hom = 0.0
    for z, wt in zip(zs, ws, strict=True):
        t = k2 * z * z
        ell = 1.0 / (1.0 - k2 * abs(z) ** 2)
        tw = 2 * (t / (1 - t)).real
        delta_1_hom += 2 * wt * tw * (sigma2 * abs(z) ** 2 * ell**2 + q * (ell**2 - 1))
    # self term: E[eps_0 dDelta_0/deps_0], dDelta_0/deps_0 = int |z|^2 2 Re[z (R K)_00 (R N R^H)_00]
    self_term = 0.0
    for (e, wt), z in zip(sig, zs, strict=True):
        RK = _mul(_letter(_R, z), _letter(_K))
        cov = 0.0
        for e2, w2 in sig:  # N Cov(Delta_0, (R K)_00), Delta_0 = int (e2 + e2^T)
            cov += w2 * (diagonal_covariance(_add(e2, _T_(e2)), RK, k2))
        self_term += 2 * wt * 2 * (z * cov * _tau_expr(e, k2)).real
    # self_term = N E[dDelta_0 * d Delta_0/d eps_0]; times S'/s0 for eps_0
    n_self = (ds / s0) * self_term
    # N ebar: s0 ebar = S' (E Delta^het - Delta0) + S''/2 Var Delta, with
    # E Delta^het - Delta0 = [delta_1_hom + n_self]/N + Delta0 k2 u ebar (uniform gain shift)
    n_ebar_own_loops = (ds * (delta_1_hom + n_self) + 0.5 * d2s * n_var_delta) / (
        s0 - ds * sc.delta0 * k2 * u
    )
    if mean_gain_shift == "own_loops":
        n_ebar = n_ebar_own_loops
    elif mean_gain_shift == "self_consistent":
        from rnncorr.theory._site_equal_time import equal_time_site_coefficients

        n_ebar = equal_time_site_coefficients(activation, g, sigma2)["n_ebar"]
    else:
        raise ValueError(
            f"mean_gain_shift must be 'self_consistent' or 'own_loops', not {mean_gain_shift!r}"
        )
    n_var_eps = (ds / s0) ** 2 * n_var_delta
    delta_1_het = delta_1_hom + n_self + sc.delta0 * k2 * u * n_ebar

    out: dict[str, Any] = {
        "n_var_eps": n_var_eps,
        "n_ebar": n_ebar,
        "n_ebar_own_loops": n_ebar_own_loops,
        "delta_1_het": delta_1_het,
        "delta_1_hom": delta_1_hom,
        "ds": ds,
        "d2s": d2s,
        "scalars": sc,
    }
    covs = _covariances(d, w, sigma2, P / (s0 * s0))
    marker = _letter(_P)

    def n_cov_delta(X: Expr) -> float:  # N Cov(Delta_0, X_00), Delta_0 = sum_w w (e + e^T)_00
        return sum(w2 * diagonal_covariance(_add(e2, _T_(e2)), X, k2).real for e2, w2 in sig)

    for var, C in covs.items():
        st = _stat_series(C, k2)
        a0, b0 = st["tr"]["tau0"], st["tr2"]["tau0"]
        res = {}
        for name, coefs in (
            ("a", {"tr": 1.0}),
            ("b", {"tr2": 1.0}),
            ("lnpr", {"tr": 2.0 / a0, "tr2": -1.0 / b0}),
        ):
            # F_het - F_hom per site: eps_0 X_00 + eps_0^2 F2, X = sum_n c_n first_n
            X = _add(*[st[n]["first"] for n in coefs], coefs=list(coefs.values()))
            mean_first = _tau_expr(X, k2).real  # dF/d(uniform eps), per site
            second_mean = sum(c * st[n]["second"] for n, c in coefs.items())
            res[name] = {
                "mean": n_ebar * mean_first,  # N ebar tau(X)
                "correlated": (ds / s0) * n_cov_delta(X),  # N Cov(eps_0, X_00)
                "spread": n_var_eps * second_mean,  # N E[eps_0^2] F2
            }
        # Nc2 = N/(N-1) [b - (1/N) sum_i C_ii^2]; E C_ii^2 = a^2 + Var C_ii, and the gain of
        # unit i moves C_ii by eps_i dC_ii/deps_i (mean tau_dc): N dVar C_ii =
        # 2 tau_dc N Cov(C_00, eps_0) + tau_dc^2 N Var eps
        tau_dc = _trace_expr(_mul(marker, C.t[1]), k2).real
        n_dvar = 2 * tau_dc * (ds / s0) * n_cov_delta(C.t[0]) + tau_dc**2 * n_var_eps
        v_1 = 2 * (_tau_expr(_mul(C.t[0], C.t[0]), k2).real - a0 * a0)  # N Var C_ii (hom)
        p_inf = a0 * a0 / b0
        pr = {c: p_inf * v for c, v in res["lnpr"].items()}
        a_site, b_site = sum(res["a"].values()), sum(res["b"].values())
        out[var] = {
            "p_inf": p_inf,
            "a_inf": a0,
            "b_inf": b0,
            "nc2_inf": b0 - a0 * a0,
            "v_1": v_1,
            "p_0_site": sum(pr.values()),
            "a_1_site": a_site,
            "b_1_site": b_site,
            "nc2_1_site": b_site - 2 * a0 * a_site - n_dvar,
            "p_0_channels": pr,
            "a_1_channels": res["a"],
        }
    return out


# --------------------------------------------------------------------------------------------
# The complete zero-frequency finite-N prediction (what `rnncorr theory --N` reports)
# --------------------------------------------------------------------------------------------

#: largest rms relative gain spread sd(s_i)/s0 = sqrt(N Var eps / N) for the site term, which is
#: an expansion to second order in eps (4 % at tanh g = 1.2, N = 100)
MAX_GAIN_SPREAD: float = 0.1
#: the two-term series is reported (``valid``) while its estimated next term |p_m1^LE|/N is at most
#: this fraction of the O(1) term |p_0^LE| of the same (homogeneous) series (finite_size.md §10.6:
#: the fitted p_0 of §3 agrees for ratios <= 0.6-0.7 and fails at 0.84-0.98). It replaces the
#: former rule N (1 - g_eff^2)^2 >= 20 (§4); at tanh g = 1 both give N >= 67.
NEXT_ORDER_MAX_RATIO: float = 0.5
#: O(1/N) remainder of the site term, p_m1^site ~ -c p_0^site/(1 - g_eff^2)^2 with this c: Monte
#: Carlo of the heterogeneous network at N = 100 (finite_size.md §10.5): c = 3.7 +- 1.4, 4.2 +-
#: 1.3, 4.7 +- 0.8 at tanh g = 0.5, power g = 0.5, tanh g = 1 (an estimate, for the error bar)
_SITE_REMAINDER_CONSTANT: float = 4.0


def finite_n_coefficients(activation: Activation, g: float, sigma2: float) -> dict[str, Any]:
    r"""N-independent coefficients of the complete zero-frequency 1/N series (finite_size.md §10).

        p_0 = p_0^LE + p_0^site,  a_1 = a_1^LE + a_1^site,  nc2_1 = nc2_1^LE + nc2_1^site

    for phi and x, with ``n_min``, the smallest N at which :func:`finite_n_statistics` reports
    the series: max(|p_m1^LE|/(NEXT_ORDER_MAX_RATIO |p_0^LE|), N Var eps / MAX_GAIN_SPREAD^2),
    where p_m1^LE is the estimated next coefficient of the homogeneous series
    (:func:`rnncorr.theory._finite_n.linear_pr_next_order` at g_eff, §4.1). ``terms`` also
    carries ``p_m1_le``, ``p_m1_le_se``, ``p_m1_extrapolated`` and, per variable,
    ``p_m1_site`` = -4 p_0^site/(1 - g_eff^2)^2 (the measured O(1/N) remainder of the site term,
    §10.5): the inputs of the truncation error of :func:`finite_n_statistics`.

    Returns
    -------
    dict
        ``{"reason": None or why there is no series, "n_min", "phi": {p_inf, p_0, a_inf, a_1,
        nc2_inf, nc2_1, pr_truncation_coefficient}, "x": {...}, "terms": {"phi": {p_0_le,
        p_0_site, p_0_site_mean, p_0_site_correlated, p_0_site_spread, a_1_le, a_1_site,
        nc2_1_le, nc2_1_site, p_m1_site}, "x": {...}, "n_var_eps", "n_ebar", "delta_1_het",
        "g_eff", "p_m1_le", "p_m1_le_se", "p_m1_extrapolated"}}``; NaN numbers with a reason
        (``odd_phi_required``, ``noise_driven_only``, ``no_stationary_state``) where the
        linear-equivalent network does not exist.
    """
    from rnncorr.theory._finite_n import linear_pr_next_order, nonlinear_finite_n_coefficients

    names = ("p_inf", "p_0", "a_inf", "a_1", "nc2_inf", "nc2_1", "pr_truncation_coefficient")
    out: dict[str, Any] = {
        "reason": None,
        "n_min": math.nan,
        **{var: dict.fromkeys(names, math.nan) for var in ("phi", "x")},
        "terms": {},
    }
    if not activation.is_odd:
        out["reason"] = "odd_phi_required: the linear-equivalent network assumes an odd phi"
        return out
    if not (math.isfinite(sigma2) and sigma2 > 0):
        out["reason"] = "noise_driven_only: the finite-N series needs sigma2 > 0 (not chaos)"
        return out
    try:
        site = site_coefficients(activation, g, sigma2)
    except ValueError as exc:
        message = str(exc).replace("no stationary single-site solution: ", "")
        if not message.startswith("no_stationary_state"):
            message = f"no_stationary_state: {message}"
        out["reason"] = message
        return out
    sc = site["scalars"]
    k2 = sc.g_eff**2
    le = nonlinear_finite_n_coefficients(sc.g_eff, sc.s0, sigma2, sc.residual_power)
    # next order of the homogeneous part: PR_phi of the LE network is the linear PR at g_eff (§5)
    nxt = linear_pr_next_order(sc.g_eff)
    terms: dict[str, Any] = {
        "n_var_eps": site["n_var_eps"],
        "n_ebar": site["n_ebar"],
        "delta_1_het": site["delta_1_het"],
        "g_eff": sc.g_eff,
        "p_m1_le": nxt["p_m1"],
        "p_m1_le_se": nxt["p_m1_se"],
        "p_m1_extrapolated": nxt["extrapolated"],
    }
    for var in ("phi", "x"):
        c, lv = site[var], le[var]
        # nc2_1 of the homogeneous network from N Var C_ii (§10.5; closed form for phi)
        nc2_1_le = c["nc2_inf"] + lv["b_1"] - 2 * c["a_inf"] * lv["a_1"] - c["v_1"]
        ch = c["p_0_channels"]
        terms[var] = {
            "p_0_le": lv["p_0"],
            "p_0_site": c["p_0_site"],
            "p_0_site_mean": ch["mean"],
            "p_0_site_correlated": ch["correlated"],
            "p_0_site_spread": ch["spread"],
            "a_1_le": lv["a_1"],
            "a_1_site": c["a_1_site"],
            "nc2_1_le": nc2_1_le,
            "nc2_1_site": c["nc2_1_site"],
            "p_m1_site": -_SITE_REMAINDER_CONSTANT * c["p_0_site"] / (1 - k2) ** 2,
        }
        out[var] = {
            "p_inf": c["p_inf"],
            "p_0": lv["p_0"] + c["p_0_site"],
            "a_inf": c["a_inf"],
            "a_1": lv["a_1"] + c["a_1_site"],
            "nc2_inf": c["nc2_inf"],
            "nc2_1": nc2_1_le + c["nc2_1_site"],
            # truncation error of PR times N (§10.6): sqrt(p_m1^LE^2 + p_m1^site^2)
            "pr_truncation_coefficient": math.hypot(nxt["p_m1"], terms[var]["p_m1_site"]),
        }
    out["terms"] = terms
    p_0_le = abs(le["phi"]["p_0"])
    n_series = abs(nxt["p_m1"]) / (NEXT_ORDER_MAX_RATIO * p_0_le) if p_0_le > 0 else 2.0
    out["n_min"] = max(n_series, site["n_var_eps"] / MAX_GAIN_SPREAD**2)
    return out


def finite_n_statistics(activation: Activation, g: float, sigma2: float, N: int) -> dict[str, Any]:
    r"""Complete analytic zero-frequency finite-N prediction of a noise-driven network.

    For phi and x (docs/finite_size.md §5, §10)::

        E[PR]  = N p_inf + p_0 + O(1/N),      p_0   = p_0^LE + p_0^site
        E[a]   = a_inf + a_1/N + O(1/N^2),     a_1   = a_1^LE + a_1^site
        E[Nc2] = nc2_inf + nc2_1/N + ...,      nc2_1 = nc2_1^LE + nc2_1^site

    p_0^LE, a_1^LE, nc2_1^LE: homogeneous linear-equivalent network at g_eff (closed forms of
    ``nonlinear_finite_n_coefficients``; nc2_1^LE of x from N Var (C_x)_ii, §10.4); the site terms
    from :func:`site_coefficients` (no sampling of J). The series is reported only where it
    holds: ``valid`` is False (statistics NaN, ``reason`` says why) when the estimated next
    term of the homogeneous series is larger than NEXT_ORDER_MAX_RATIO times its O(1) term,
    |p_m1^LE|/N > 0.5 |p_0^LE| ("series_out_of_range"; §10.6), or the gain spread exceeds
    MAX_GAIN_SPREAD ("gain_spread_too_large"), or when there is no stationary noise-driven state.

    Every prediction carries its **truncation error** (§10.6), the estimated size of the
    neglected O(1/N) term of PR::

        truncation_error.pr = sqrt(p_m1^LE^2 + p_m1^site^2) / N,   pr_over_n: the same / N

    p_m1^LE: next coefficient of the linear network's PR at g_eff (exact for PR_phi of the LE
    network, §5; a Monte Carlo fit, §4.1, used for x as well); p_m1^site = -4 p_0^site/(1 -
    g_eff^2)^2 (measured remainder of the site term, §10.5). It is an estimate of the size, not
    of the sign (the two parts have opposite signs, so it errs on the large side), and it does
    not include what the heterogeneous network itself misses (§10.7). ``pr_truncation`` is
    truncation_error.phi.pr (older key).

    Equal-time statistics are not part of this function: ``equal_time`` is a hook with
    ``valid=False, reason="not_derived"`` that the equal-time 1/N theory fills.

    Parameters
    ----------
    activation : Activation
    g, sigma2 : float
        Coupling and white-noise intensity (sigma2 > 0).
    N : int
        Network size, >= 2.

    Returns
    -------
    dict
        ``{"N", "valid", "reason", "n_gap" (N (1-g_eff^2)^2), "n_gap_min" (its value at the
        smallest valid N), "n_min", "next_order_ratio" (|p_m1^LE|/(N |p_0^LE|)),
        "next_order_ratio_max", "gain_spread", "pr_truncation", "truncation_error": {"phi":
        {"pr", "pr_over_n"}, "x": {...}}, "zero_frequency": {"phi": {pr, pr_over_n, a, nc2,
        p_inf, p_0, a_inf, a_1, nc2_inf, nc2_1, pr_truncation_error,
        pr_over_n_truncation_error}, "x": {...}}, "equal_time": {..., "valid": False, "reason":
        "not_derived"}, "terms": {"phi": {p_0_le, p_0_site, p_0_site_mean, p_0_site_correlated,
        p_0_site_spread, a_1_le, a_1_site, nc2_1_le, nc2_1_site}, "x": {...}, "n_var_eps",
        "n_ebar", "delta_1_het"}, "method"}``.
    """
    if int(N) != N or N < 2:
        raise ValueError(f"N must be an integer >= 2, got {N!r}")
    N = int(N)
    stats = ("pr", "pr_over_n", "a", "nc2", "p_inf", "p_0", "a_inf", "a_1", "nc2_inf", "nc2_1")
    nan_block = {var: dict.fromkeys(stats, math.nan) for var in ("phi", "x")}
    out: dict[str, Any] = {
        "N": N,
        "kind": "zero_frequency",
        "valid": False,
        "reason": None,
        "n_gap_min": math.nan,
        "next_order_ratio_max": NEXT_ORDER_MAX_RATIO,
        "gain_spread_max": MAX_GAIN_SPREAD,
        "zero_frequency": nan_block,
        "equal_time": {
            "phi": None,
            "x": None,
            "valid": False,
            "reason": "not_derived",
        },
        "terms": {},
        "method": "N p_inf + p_0^LE + p_0^site: homogeneous linear-equivalent series plus the "
        "analytic site-heterogeneity term (docs/finite_size.md sections 5, 10)",
    }
    coefficients = finite_n_coefficients(activation, g, sigma2)
    if coefficients["reason"] is not None:
        out["reason"] = coefficients["reason"]
        return out
    terms = coefficients["terms"]
    k2 = terms["g_eff"] ** 2
    site = {"n_var_eps": terms["n_var_eps"]}
    block, truncation = {}, {}
    for var in ("phi", "x"):
        c = coefficients[var]
        pr = N * c["p_inf"] + c["p_0"]
        trunc = c["pr_truncation_coefficient"] / N
        truncation[var] = {"pr": trunc, "pr_over_n": trunc / N}
        block[var] = {
            "pr": pr,
            "pr_over_n": pr / N,
            "a": c["a_inf"] + c["a_1"] / N,
            "nc2": c["nc2_inf"] + c["nc2_1"] / N,
            **c,
            "pr_truncation_error": trunc,
            "pr_over_n_truncation_error": trunc / N,
        }
    out["terms"] = terms
    n_gap = N * (1 - k2) ** 2
    spread = math.sqrt(max(site["n_var_eps"], 0.0) / N)
    p_0_le = abs(terms["phi"]["p_0_le"])
    ratio = abs(terms["p_m1_le"]) / (N * p_0_le) if p_0_le > 0 else 0.0
    n_series = N * ratio / NEXT_ORDER_MAX_RATIO
    out.update(
        n_gap=n_gap,
        n_gap_min=n_series * (1 - k2) ** 2,
        n_min=coefficients["n_min"],
        next_order_ratio=ratio,
        gain_spread=spread,
        pr_truncation=truncation["phi"]["pr"],
        truncation_error=truncation,
    )
    if ratio > NEXT_ORDER_MAX_RATIO:
        out["reason"] = (
            f"series_out_of_range: next term |p_m1^LE|/N = {abs(terms['p_m1_le']) / N:.3g} > "
            f"{NEXT_ORDER_MAX_RATIO:g} |p_0^LE| = {NEXT_ORDER_MAX_RATIO * p_0_le:.3g} "
            f"(N (1 - g_eff^2)^2 = {n_gap:.3g}; the series needs N >= {math.ceil(n_series)}; "
            "compare with the heterogeneous network's Monte Carlo, --finite-n-samples, which "
            "has no 1/N expansion)"
        )
    elif spread > MAX_GAIN_SPREAD:
        out["reason"] = f"gain_spread_too_large: sd(s_i)/s0 = {spread:.3g} > {MAX_GAIN_SPREAD:g}"
    else:
        out["valid"] = True
        out["zero_frequency"] = block
    if not out["valid"]:
        # the numbers stay available, under a key that says they are outside the series' range
        out["zero_frequency_unvalidated"] = block
    return out
