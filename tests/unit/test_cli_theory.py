"""``rnncorr theory --N``: the JSON contract of the finite-N predictions."""

import json

import pytest

from rnncorr.cli import main

BASE = ["theory", "--activation", "tanh", "--g", "1.0", "--sigma2", "1", "--N", "40"]


def test_finite_n_series_keys(capsys):
    assert main(BASE) == 0
    out = json.loads(capsys.readouterr().out)
    finite = out["finite_n"]
    assert {"pr", "a", "nc2", "valid", "reason", "terms", "equal_time"} <= set(finite)
    # N (1 - g_eff^2)^2 = 12 < 20 at N = 40: outside the series' range, flagged, no bare number
    assert finite["valid"] is False and finite["reason"].startswith("series_out_of_range")
    assert finite["pr"] is None
    # the homogeneous series is still there: p_0 = -g_eff^2 (2 + 7 g_eff^2)
    k2 = out["g_eff"] ** 2
    hom = finite["terms"]["homogeneous"]["phi"]
    assert hom["pr"] == pytest.approx(40 * (1 - k2) ** 2 - k2 * (2 + 7 * k2), rel=1e-9)
    unvalidated = finite["zero_frequency_unvalidated"]["phi"]
    assert unvalidated["p_0"] == pytest.approx(
        finite["terms"]["phi"]["p_0_le"] + finite["terms"]["phi"]["p_0_site"]
    )
    assert "finite_n_montecarlo" not in out


def test_finite_n_montecarlo_is_reproducible(capsys):
    args = [*BASE, "--finite-n-samples", "4", "--seed", "3"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)["finite_n_montecarlo"]
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)["finite_n_montecarlo"]
    assert first == second
    assert {"pr", "a", "nc2", "pr_se", "site_pr", "n_samples", "x"} <= set(first)
    assert first["n_samples"] + first["excluded"] == 4


def test_finite_n_samples_needs_n(capsys):
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "theory",
                "--activation",
                "tanh",
                "--g",
                "1.0",
                "--sigma2",
                "1",
                "--finite-n-samples",
                "4",
            ]
        )
    assert exc.value.code == 2
    assert "--finite-n-samples needs --N" in capsys.readouterr().err
