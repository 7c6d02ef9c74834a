r"""Which term does the heterogeneous network miss at tanh g = 1? (docs/finite_size.md §10.7)

Paired simulations (the same J for the simulation and every network below). Each simulated J
records, besides rnncorr's own statistics (reproduced exactly: asserted), the joint block
covariances of z = (x, phi) at zero frequency (window integrals, Richardson-extrapolated exactly
as the engine does) and at equal time, and the fourth moments of x_i. From them, per J:

* s_i^zf = C_phi,x,ii / C_x,ii (zero-frequency regression gain), s_i^et (equal time), the
  measured variance Delta_i^sim and the Gaussian gain S(Delta_i^sim);
* the exact zero-frequency decomposition, for any diagonal S (here S = diag(s^zf)):

      phi = S x + eta,   x = J phi + xi',   xi' := x - J phi (window integrals),
      u := (1 - S J) phi = S xi' + eta,     C_phi = L C_u L^T,   L = (1 - S J)^-1,
      C_u = S C_xi' S + R,                  R = S C_xi',eta + C_eta,xi' S + C_eta

  R is the residual the heterogeneous network models as P 1 (white, site-independent,
  uncorrelated across units and with the noise).

Networks, one measured ingredient inserted at a time (zero frequency, statistics of phi):

    het    : L_het (sigma2 S_het^2 + P) L_het^T,  S_het = S(Delta_i) self-consistent (§8.2)
    het_dt : the same with the zero-frequency noise of the simulated scheme,
             sigma2_zf = sigma2 dt (1 + e)/(2 (1 - e)), e = exp(-dt)  (1.00333 at dt = 0.2)
    G      : S = S(Delta_i^sim)  (Gaussian gain at the measured variance), P   [from here on
             sigma2_zf]
    Gm     : G + the mean over units of s^zf - S(Delta^sim)
    Gp     : G + the predicted first-order loop correction (rnncorr.theory._loop_gain)
    het_p  : het_dt + the same correction (no simulated ingredient)
    H1     : S = diag(s^zf)      (measured gain), P
    H2     : S = diag(s^zf), diag(R)  (+ measured residual power per unit)
    H3     : S = diag(s^zf), R        (+ measured off-diagonal residual)
    sim    : the simulation itself  (= L (S C_xi' S + R) L^T: H3 plus the sampling noise of xi')

het_dt - het, G - het_dt (variance error of het), H1 - G (non-Gaussian gain), H2 - H1 (site
residual power), H3 - H2 (off-diagonal residual), sim - H3 (noise of xi') add up to sim - het.
R and C_xi' are taken per block (pooled S), so PR uses the cross-block estimator of tr C^2 for
every network that carries measured covariances. The noise of the measured gains enters H1-H3
at second order; its bias is estimated by split-half (S from blocks 1-4 and 5-8: bias of the
full-sample value ~ mean(f(S_A), f(S_B)) - f(S)): ``split_bias_*``.

Diagnostics: the equal-time off-diagonal residual R^et_ij = C^et_phi,ij - s_i s_j C^et_x,ij
against the Price/Hermite term (S3_i S3_j / 6) (C^et_x,ij)^3, S3 = <phi^(3)> (alone, cross-half,
and jointly with a term linear in C); the equal-time non-Gaussian gain s^et - S(Delta^sim)
against Gram-Charlier kappa4/24 (4 S3/Delta + S5); per-unit gains and kurtoses against J_ii and
against the loop prediction.

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python benchmarks/finite_size_missing_term.py \
        --n 100 --realizations 32 --seed 16

Cost (2 busy cores): 2-3 s per J at N = 100, 5.4 s at N = 200 (16 x 2000 each); the runs of
§10.7 (N = 100, 32 J, seed 16; N = 200, 24 J, seed 22) took 1.5 and 2.2 minutes.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from rnncorr import get_activation
from rnncorr.config import Cell, SimulationSettings
from rnncorr.estimators import moments_of, scalar_mean_and_standard_error
from rnncorr.paired import paired_settings
from rnncorr.simulate import _Engine, realization_coupling, realization_seed
from rnncorr.theory._gauss import gauss_average
from rnncorr.theory._heterogeneous import _statistics, self_consistent_gains, site_scalars
from rnncorr.theory._loop_gain import (
    loop_gain_coefficients,
    loop_gain_corrections,
    loop_strengths,
)
from rnncorr.threads import blas_threads

TANH = get_activation("tanh")
NETWORKS = ("het", "het_dt", "het_p", "G", "Gm", "Gp", "H1", "H2", "H3", "sim")
#: diagnostics printed times N (O(1/N) quantities)
SCALED = (
    "gain_zf",
    "gain_gauss",
    "gain_et",
    "gram",
    "split_bias_a",
    "residual_diag_minus",
    "residual_offdiag",
    "offdiag",
    "xi_",
)


class JointEngine(_Engine):
    """The numpy engine, also keeping the joint (x, phi) block covariances of one realization.

    Same streams and steps as :func:`rnncorr.simulate.simulate_realization`; the extra
    accumulation only reads the window integrals and equal-time samples the engine records.
    """

    def _start_block(self) -> None:
        super()._start_block()
        if not hasattr(self, "joint_zf"):
            self.joint_zf: list[np.ndarray] = []
            self.joint_et: list[np.ndarray] = []
            self.fourth: list[np.ndarray] = []
        self._windows: list[np.ndarray] = []
        n = self.n
        self._et_outer = np.zeros((2 * n, 2 * n))
        self._et_sum = np.zeros(2 * n)
        self._et_fourth = np.zeros(n)
        self._et_count = 0

    def _flush_samples(self) -> None:
        columns = self.filled * self.batch
        if columns:
            z = np.concatenate([self.samples[0, :columns], self.samples[1, :columns]], axis=1)
            self._et_outer += z.T @ z
            self._et_sum += z.sum(axis=0)
            self._et_fourth += np.sum(self.samples[0, :columns] ** 4, axis=0)
            self._et_count += columns
        super()._flush_samples()

    def _fold_window(self) -> None:
        super()._fold_window()
        # integral: (2, B, N) window integrals of x and phi -> (B, 2N) joint rows
        self._windows.append(np.concatenate([self.integral[0], self.integral[1]], axis=1))

    def end_block(self) -> None:
        self._flush_samples()
        window = self.settings.steps_per_window * self.settings.dt
        singles = np.concatenate(self._windows[: len(self._windows) // 2 * 2], axis=0)
        pairs = np.concatenate(
            [self._windows[k] + self._windows[k + 1] for k in range(0, len(self._windows) - 1, 2)],
            axis=0,
        )
        # Richardson: 2 C(2W) - C(W) = [Cov(pairs) - Cov(singles)] / W (as _block_coefficients)
        self.joint_zf.append((np.cov(pairs.T) - np.cov(singles.T)) / window)
        n_et = self._et_count
        mean = self._et_sum / n_et
        self.joint_et.append((self._et_outer - n_et * np.outer(mean, mean)) / (n_et - 1))
        self.fourth.append(self._et_fourth / n_et)
        super().end_block()


def simulate_joint(n: int, g: float, settings: SimulationSettings, seed_sequence) -> JointEngine:
    engine = JointEngine(TANH, n, g, 1.0, settings, seed_sequence)
    engine.burn_in(settings.burn_in_steps)
    for _ in range(settings.blocks):
        for _ in range(settings.windows_per_block):
            engine.record_window()
        engine.end_block()
    if engine.runaway():
        raise RuntimeError("diverged")
    return engine


def tanh_derivative_average(order: int, var: np.ndarray) -> np.ndarray:
    """<phi^(order)(x)>, x ~ N(0, var), tanh: phi^(k) as a polynomial in t = tanh x (d/dx t =
    1 - t^2), averaged with 200-point Gauss-Hermite quadrature (var <~ 1: converged)."""
    poly = np.polynomial.Polynomial([0.0, 1.0])
    one_minus_t2 = np.polynomial.Polynomial([1.0, 0.0, -1.0])
    for _ in range(order):
        poly = poly.deriv() * one_minus_t2
    nodes, weights = np.polynomial.hermite_e.hermegauss(200)
    weights = weights / weights.sum()
    var = np.asarray(var, dtype=float)
    return poly(np.tanh(np.sqrt(var)[..., None] * nodes)) @ weights


def network_covariance(J: np.ndarray, gains: np.ndarray, source: np.ndarray) -> np.ndarray:
    """L source L^T, L = (1 - S J)^-1: C_phi of the linear-equivalent network with input
    covariance ``source`` of u = (1 - S J) phi."""
    L = np.linalg.inv(np.eye(len(gains)) - gains[:, None] * J)
    return L @ source @ L.T


def block_statistics(blocks: list[np.ndarray]) -> dict[str, float]:
    st = moments_of(blocks).statistics()
    return {"a": st["a"], "pr": st["pr_over_n"] * blocks[0].shape[0], "nc2": st["nc2"]}


def plain_statistics(C: np.ndarray) -> dict[str, float]:
    st = _statistics(C)
    return {"a": st["a"], "pr": st["pr"], "nc2": st["nc2"]}


def zero_frequency_noise(sigma2: float, dt: float) -> float:
    """Zero-frequency noise intensity of the simulated (exponential-Euler / Heun) dynamics.

    x_{k+1} = e x_k + (1 - e) J pbar_k + sd n_k, e = exp(-dt), sd^2 = sigma2 (1 - e^2)/2: summed
    over a window, (1 - e) sum x = (1 - e) J sum pbar + sum sd n, so the window integrals obey
    x = J phi + xi with Var xi / time = dt sd^2 / (1 - e)^2 = sigma2 dt (1 + e) / (2 (1 - e))
    = sigma2 (1 + dt^2/12 + O(dt^4)): 1.00333 sigma2 at dt = 0.2.
    """
    e = math.exp(-dt)
    return sigma2 * dt * (1.0 + e) / (2.0 * (1.0 - e))


def analyse(J: np.ndarray, engine: JointEngine, scalars, loops: dict, sigma2: float = 1.0) -> dict:
    """All networks and diagnostics of one simulated J (module docstring); ``loops`` from
    ``rnncorr.theory._loop_gain.loop_gain_coefficients``."""
    n = J.shape[0]
    strengths = loop_strengths(J, loops["s0"], len(loops["gain"]) - 1)
    gain_pred = loop_gain_corrections(J, loops)  # predicted s^zf_i - S(Delta_i), first order
    kurtosis_pred = loops["kurtosis"] @ strengths
    sigma2_zf = zero_frequency_noise(sigma2, engine.settings.dt)
    P = scalars.residual_power
    zf = engine.joint_zf
    pooled = sum(zf) / len(zf)
    et = sum(engine.joint_et) / len(engine.joint_et)
    c_x, c_px = pooled[:n, :n], pooled[n:, :n]
    s_zf = np.diag(c_px) / np.diag(c_x)
    # equal time: remove the block-mean bias E[a_hat] = a - (a_zf - a)/m (m samples per block)
    m = engine.settings.trajectories * engine.settings.samples_per_block
    delta = np.diag(et[:n, :n]) + (np.diag(c_x) - np.diag(et[:n, :n])) / m
    s_et = np.diag(et[n:, :n]) / np.diag(et[:n, :n])
    s_gauss = gauss_average(TANH, "dphi", delta)
    het = self_consistent_gains(J, TANH, scalars)
    s_het = het["gains"]

    out: dict[str, dict[str, float]] = {}
    out["het"] = plain_statistics(network_covariance(J, s_het, np.diag(sigma2 * s_het**2 + P)))
    out["het_dt"] = plain_statistics(
        network_covariance(J, s_het, np.diag(sigma2_zf * s_het**2 + P))
    )
    out["G"] = plain_statistics(network_covariance(J, s_gauss, np.diag(sigma2_zf * s_gauss**2 + P)))
    # G plus only the mean of the non-Gaussian gain shift (uniform over units)
    s_mean = s_gauss + np.mean(s_zf - s_gauss)
    out["Gm"] = plain_statistics(network_covariance(J, s_mean, np.diag(sigma2_zf * s_mean**2 + P)))
    out["H1"] = plain_statistics(network_covariance(J, s_zf, np.diag(sigma2_zf * s_zf**2 + P)))
    # G plus the predicted first-order loop correction of each unit's gain
    s_pred = s_gauss + gain_pred
    out["Gp"] = plain_statistics(network_covariance(J, s_pred, np.diag(sigma2_zf * s_pred**2 + P)))
    # the same correction on the heterogeneous network (no simulated ingredient)
    s_hetp = s_het + gain_pred
    out["het_p"] = plain_statistics(
        network_covariance(J, s_hetp, np.diag(sigma2_zf * s_hetp**2 + P))
    )

    # per-block residual R_k = C_u,k - S C_xi',k S with the pooled S
    S = np.diag(s_zf)
    to_u = np.concatenate([np.zeros((n, n)), np.eye(n) - S @ J], axis=1)  # u = (1 - S J) phi
    to_xi = np.concatenate([np.eye(n), -J], axis=1)  # xi' = x - J phi
    L = np.linalg.inv(np.eye(n) - S @ J)
    h2, h3, sim, residuals = [], [], [], []
    for block in zf:
        c_u = to_u @ block @ to_u.T
        c_xi = to_xi @ block @ to_xi.T
        R = c_u - S @ c_xi @ S
        residuals.append(R)
        base = sigma2_zf * S @ S
        h2.append(L @ (base + np.diag(np.diag(R))) @ L.T)
        h3.append(L @ (base + R) @ L.T)
        sim.append(block[n:, n:])
    out["H2"], out["H3"], out["sim"] = map(block_statistics, (h2, h3, sim))

    # split-half bias of the measured gain (second order in its noise), on H1
    half = len(zf) // 2
    halves = []
    for part in (zf[:half], zf[half:]):
        p = sum(part) / len(part)
        s_half = np.diag(p[n:, :n]) / np.diag(p[:n, :n])
        halves.append(
            plain_statistics(network_covariance(J, s_half, np.diag(sigma2_zf * s_half**2 + P)))
        )
    split_bias = {k: 0.5 * (halves[0][k] + halves[1][k]) - out["H1"][k] for k in ("a", "pr")}

    R = sum(residuals) / len(residuals)
    off = ~np.eye(n, dtype=bool)
    # equal-time off-diagonal residual against Price/Hermite (cubic term)
    c_x_et, c_p_et = et[:n, :n], et[n:, n:]
    r_et = c_p_et - np.outer(s_et, s_et) * c_x_et
    s3 = tanh_derivative_average(3, delta)
    price = np.outer(s3, s3) * c_x_et**3 / 6.0
    price_slope = float(np.sum(r_et[off] * price[off]) / np.sum(price[off] ** 2))
    # the same slope with R from one half of the blocks and C_x from the other: the sampling
    # noise of the two factors is then independent (no noise-times-noise bias)
    cross = []
    for first, second in ((slice(0, half), slice(half, None)), (slice(half, None), slice(0, half))):
        ea = sum(engine.joint_et[first]) / half
        eb = sum(engine.joint_et[second]) / (len(engine.joint_et) - half)
        sa = np.diag(ea[n:, :n]) / np.diag(ea[:n, :n])
        ra = ea[n:, n:] - np.outer(sa, sa) * ea[:n, :n]
        pb = np.outer(s3, s3) * eb[:n, :n] ** 3 / 6.0
        cross.append((np.sum(ra[off] * pb[off]), np.sum(pb[off] ** 2)))
    price_slope_cross = float(sum(c[0] for c in cross) / sum(c[1] for c in cross))
    # joint fit r = alpha C + beta Price: a linear-in-C part (pair gain != product of the
    # units' own gains) would otherwise load on C^3, which is correlated with C
    design = np.stack([c_x_et[off], price[off]], axis=1)
    (price_linear, price_joint), *_ = np.linalg.lstsq(design, r_et[off], rcond=None)
    # zero frequency: what the off-diagonal residual is made of (off-diagonal sums weighted by
    # (L^T L)_ij, as they enter N a_phi = tr C_phi): C_eta and the eta-xi' cross terms
    eta_map = np.concatenate([-S, np.eye(n)], axis=1)
    c_eta = eta_map @ pooled @ eta_map.T
    c_eta_xi = eta_map @ pooled @ to_xi.T
    cross_part = S @ c_eta_xi.T + c_eta_xi @ S
    c_xi_pooled = to_xi @ pooled @ to_xi.T
    weight = (L.T @ L)[off]
    jdiag = np.diag(J)
    gain_dev = s_zf - s_gauss
    # equal-time kurtosis and the Gram-Charlier gain correction (kappa4/24) <phi^(5)>
    var_et = np.diag(c_x_et)
    fourth = sum(engine.fourth) / len(engine.fourth)
    kappa4 = fourth - 3.0 * var_et**2  # (x has zero mean to O(1/sqrt(samples)); odd phi)
    # regression gain Cov(phi, x)/Var x of a density with fourth cumulant kappa4 (Gram-Charlier:
    # E h = E_g h + kappa4/24 E_g h^(4), h = x phi):  <phi'> + kappa4/24 (4 S3/Delta + S5)
    gram_charlier = (
        kappa4
        / 24.0
        * (4.0 * tanh_derivative_average(3, var_et) / var_et + tanh_derivative_average(5, var_et))
    )
    diag = {
        "gain_zf_minus_het": float(np.mean(s_zf - s_het)),
        "gain_gauss_minus_het": float(np.mean(s_gauss - s_het)),
        "gain_zf_minus_gauss": float(np.mean(s_zf - s_gauss)),
        "gain_et_minus_gauss": float(np.mean(s_et - gauss_average(TANH, "dphi", var_et))),
        "gram_charlier": float(np.mean(gram_charlier)),
        "kurtosis": float(np.mean(kappa4 / var_et**2)),
        "gain_sd_het": float(np.std(s_het)),
        "corr_zf_het": float(np.corrcoef(s_zf, s_het)[0, 1]),
        "gain_dev_slope": float(
            np.polyfit(s_het - s_het.mean(), s_zf - s_zf.mean(), 1)[0]
        ),  # per-unit deviations: measured vs het (1 = het's spread right)
        "residual_diag_minus_p": float(np.mean(np.diag(R)) - P),
        "residual_diag_sd": float(np.std(np.diag(R))),
        "residual_offdiag_tr": float(np.sum((L.T @ L)[off] * R[off]) / n),
        "price_slope": price_slope,
        "price_slope_cross_half": price_slope_cross,
        "price_joint_fit_linear_coefficient_x1000": 1000.0 * float(price_linear),
        "price_joint_fit_cubic_slope": float(price_joint),
        "offdiag_tr_eta_eta": float(np.sum(weight * c_eta[off]) / n),
        "offdiag_tr_eta_xi": float(np.sum(weight * cross_part[off]) / n),
        "xi_diag_minus_sigma2": float(np.mean(np.diag(c_xi_pooled)) - sigma2),
        "xi_diag_minus_sigma2_zf": float(np.mean(np.diag(c_xi_pooled)) - sigma2_zf),
        "gain_dev_per_jii": float(np.polyfit(jdiag, gain_dev, 1)[0]),
        "gain_et_dev_per_jii": float(
            np.polyfit(jdiag, s_et - gauss_average(TANH, "dphi", var_et), 1)[0]
        ),
        "kurtosis_per_jii": float(np.polyfit(jdiag, kappa4 / var_et**2, 1)[0]),
        "gain_dev_on_loop_prediction": float(np.polyfit(gain_pred, gain_dev, 1)[0]),
        "kurtosis_on_loop_prediction": float(np.polyfit(kurtosis_pred, kappa4 / var_et**2, 1)[0]),
        "gain_dev_explained_variance": float(
            1.0 - np.var(gain_dev - gain_pred - np.mean(gain_dev - gain_pred)) / np.var(gain_dev)
        ),
        "gauss_dev_slope": float(np.polyfit(s_het - s_het.mean(), s_gauss - s_gauss.mean(), 1)[0]),
        "split_bias_a": split_bias["a"],
        "split_bias_pr": split_bias["pr"],
    }
    return {"networks": out, "diag": diag, "engine": engine.result()[0]}


def run(n: int, g: float, n_j: int, duration: float, seed: int) -> None:
    settings = paired_settings(n_j, duration)
    scalars = site_scalars(TANH, g, 1.0)
    loops = loop_gain_coefficients(TANH, g, 1.0)
    cell = Cell(TANH, n, g, 1.0)
    rows = []
    started = time.perf_counter()
    with blas_threads(1):
        for r in range(n_j):
            seq = realization_seed(seed, cell, r)
            J = realization_coupling(seq, n, g)
            engine = simulate_joint(n, g, settings, seq)
            row = analyse(J, engine, scalars, loops)
            eng = row["engine"]["zero_frequency"]["phi"]
            # the joint accumulation reproduces the engine's own statistics
            assert abs(eng["a"] - row["networks"]["sim"]["a"]) < 1e-9 * eng["a"]
            assert abs(eng["pr_over_n"] * n - row["networks"]["sim"]["pr"]) < 1e-7 * n
            rows.append(row)
    elapsed = time.perf_counter() - started
    print(
        f"\n## tanh g = {g}, sigma2 = 1, N = {n}: {len(rows)} J x 16 x {duration:g}, Heun dt = "
        f"0.2, W = 25, 8 blocks, seed {seed} ({elapsed:.0f} s, {elapsed / len(rows):.1f} s/J)"
    )

    def stat(values) -> str:
        mean, se = scalar_mean_and_standard_error(np.asarray(values))
        digits = 3 if se >= 0.001 else 4
        return f"{mean:+.{digits}f} +- {se:.{digits}f}"

    steps = [
        ("het_dt - het (zero-frequency noise of the dt = 0.2 scheme)", "het_dt", "het"),
        ("G - het_dt (variance error of het)", "G", "het_dt"),
        ("H1 - G (non-Gaussian gain)", "H1", "G"),
        ("  of which Gm - G (its mean over units)", "Gm", "G"),
        ("  of which H1 - Gm (its unit-to-unit part)", "H1", "Gm"),
        ("Gp - G (predicted first-order loop gain, theory._loop_gain)", "Gp", "G"),
        ("het_p - het_dt (the same on the het network, theory only)", "het_p", "het_dt"),
        ("H2 - H1 (site residual power)", "H2", "H1"),
        ("H3 - H2 (off-diagonal residual)", "H3", "H2"),
        ("sim - H3 (noise of xi', window)", "sim", "H3"),
        ("**sim - het (total)**", "sim", "het"),
        ("H1 - het_dt (measured gain)", "H1", "het_dt"),
        ("H3 - het_dt (all measured ingredients)", "H3", "het_dt"),
        ("sim - H1 (all residual terms)", "sim", "H1"),
        ("sim - het_dt", "sim", "het_dt"),
    ]
    print("| paired difference | N da_phi | dPR_phi | N dNc2_phi / N |")
    print("|---|---|---|---|")
    for label, hi, lo in steps:
        cells = []
        for key, scale in (("a", n), ("pr", 1.0), ("nc2", 1.0)):
            diff = [scale * (r["networks"][hi][key] - r["networks"][lo][key]) for r in rows]
            cells.append(stat(diff))
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\n| diagnostic (mean over J) | value |")
    print("|---|---|")
    for key in rows[0]["diag"]:
        values = [r["diag"][key] for r in rows]
        scale = n if key.startswith(SCALED) and "per_jii" not in key else 1
        label = f"N x {key}" if scale != 1 else key
        print(f"| {label} | {stat(np.asarray(values) * scale)} |")
    print(
        f"\nloop_gain_coefficients, n = 0 (J_ii): kurtosis_per_jii {loops['kurtosis'][0]:+.3f}, "
        f"gain_dev_per_jii {loops['gain'][0]:+.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--g", type=float, default=1.0)
    parser.add_argument("--realizations", type=int, default=32)
    parser.add_argument("--duration", type=float, default=2000.0)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    run(args.n, args.g, args.realizations, args.duration, args.seed)


if __name__ == "__main__":
    main()
