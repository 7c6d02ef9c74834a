"""Command line: every bad argument exits with status 2 and one line naming the flag and the
allowed values (no traceback, no NaN file); defaults that change a result are said and stored;
--version, help texts and the text format."""

import json

import pytest
import xarray as xr

from rnncorr import __version__
from rnncorr.cli import main
from rnncorr.plots import FIGURES

# a valid, tiny simulate call (about 0.1 s): each case below changes one flag
SIMULATE = [
    "simulate",
    "--activation",
    "tanh",
    "--g",
    "0.5",
    "--sigma2",
    "1",
    "--N",
    "12",
    "--duration",
    "40",
    "--realizations",
    "2",
    "--trajectories",
    "2",
    "--blocks",
    "2",
    "--window",
    "4",
    "--dt",
    "0.2",
    "--burn-in",
    "5",
]


def _with(args, flag, value):
    args = list(args)
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    return args


# (flag, value, text of the allowed values): issue 17, items 1 and 2
SIMULATE_CASES = [
    ("--blocks", "1", "an integer >= 2"),
    ("--g", "nan", "a finite number >= 0"),
    ("--g", "-0.5", "a finite number >= 0"),
    ("--sigma2", "inf", "a finite number >= 0"),
    ("--sigma2", "-1", "a finite number >= 0"),
    ("--burn-in", "-5", "0 <= burn_in < duration"),
    ("--burn-in", "40", "0 <= burn_in < duration"),
    ("--sample-interval", "0", "dt <= sample_interval"),
    ("--sample-interval", "0.1", "dt <= sample_interval"),  # dt = 0.2
    ("--N", "1", "an integer >= 2"),
    ("--N", "0", "an integer >= 2"),
    ("--N", "-5", "an integer >= 2"),
    ("--N", "1000000", "N up to about"),
    ("--dt", "0", "0 < dt < 1"),
    ("--dt", "nan", "a finite number"),
    ("--trajectories", "0", "an integer >= 1"),
    ("--realizations", "0", "an integer >= 1"),
    ("--window", "0.3", "a multiple of dt, at least 2 dt"),  # window < 2 dt
    ("--window", "4.1", "a multiple of dt"),
    ("--window", "30", "window <= duration / (2 blocks)"),
    ("--duration", "inf", "a finite number"),
    ("--threads", "0", "an integer >= 1"),
    ("--alpha", "0.5", "does not take parameter(s) alpha"),  # tanh has no alpha
]


def _fails_with_one_line(capsys, argv, flag, allowed, tmp_path):
    out = tmp_path / "out.nc"
    with pytest.raises(SystemExit) as excinfo:
        main([*argv, "--out", str(out)] if argv[0] == "simulate" else argv)
    assert excinfo.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert flag in err[0] and allowed in err[0], err[0]
    assert "Traceback" not in err[0]
    assert not out.exists()  # nothing written


@pytest.mark.parametrize(("flag", "value", "allowed"), SIMULATE_CASES)
def test_simulate_bad_argument_exits_2_naming_the_flag(capsys, tmp_path, flag, value, allowed):
    argv = _with(SIMULATE, flag, value)
    _fails_with_one_line(
        capsys, argv, flag if flag != "--alpha" else "--activation", allowed, tmp_path
    )


def test_window_versus_dt_of_the_issue(capsys, tmp_path):
    """dt 0.5 with window 0.3 used to run with a window of 0.5 while the file said 0.3."""
    argv = _with(_with(SIMULATE, "--dt", "0.5"), "--window", "0.3")
    _fails_with_one_line(capsys, argv, "--window", "at least 2 dt, e.g. 1 or 1.5", tmp_path)


THEORY = ["theory", "--activation", "tanh", "--g", "0.5", "--sigma2", "1"]


@pytest.mark.parametrize(
    ("flag", "value", "allowed"),
    [
        ("--g", "nan", "a finite number >= 0"),
        ("--sigma2", "-1", "a finite number >= 0"),
        ("--sigma2", "inf", "a finite number >= 0"),
        ("--N", "1", "an integer >= 2"),
        ("--noise-tau", "-1", "a finite number >= 0"),
        ("--alpha", "2", "0 < alpha < 1"),
    ],
)
def test_theory_bad_argument_exits_2_naming_the_flag(capsys, tmp_path, flag, value, allowed):
    argv = _with(THEORY, flag, value)
    if flag == "--alpha":
        argv = _with(argv, "--activation", "power")
        flag = "--activation"
    _fails_with_one_line(capsys, argv, flag, allowed, tmp_path)


def test_trained_bad_target_exits_2(capsys, tmp_path):
    argv = ["trained", "--activation", "tanh", "--g", "0.5", "--targets", "nan"]
    _fails_with_one_line(capsys, argv, "--targets", "finite non-zero", tmp_path)


def test_plot_outside_the_repository_says_which_file_and_how(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["plot", "pr_vs_g", "--out", "x.png"]
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "results/simulations.nc not found" in line and "--simulations PATH" in line
    with pytest.raises(SystemExit):
        main([*argv, "--simulations", "elsewhere.nc"])
    assert "elsewhere.nc not found" in capsys.readouterr().err


def test_default_activation_parameters_are_said_and_recorded(capsys, tmp_path):
    out = tmp_path / "power.nc"
    argv = _with(SIMULATE, "--activation", "power")
    assert main([*argv, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "--alpha 0.5" in captured.err and "default" in captured.err
    assert "standard error" in captured.out and "R = 2" in captured.out
    with xr.open_dataset(out) as ds:
        assert json.loads(ds.attrs["activation_defaults"]) == {"alpha": 0.5}
        assert json.loads(ds.attrs["cell"])["activation_params"] == {"alpha": 0.5}
    # stated parameters: no note, no attribute
    out2 = tmp_path / "pade.nc"
    argv = _with(
        _with(_with(SIMULATE, "--activation", "pade"), "--pade-a", "0.1"), "--pade-b", "0.4"
    )
    assert main([*argv, "--out", str(out2)]) == 0
    assert "default" not in capsys.readouterr().err
    with xr.open_dataset(out2) as ds:
        assert "activation_defaults" not in ds.attrs


def test_theory_pade_with_a_but_no_b_says_so(capsys):
    assert main([*_with(THEORY, "--activation", "pade"), "--pade-a", "0.1"]) == 0
    assert "--pade-b 0.4" in capsys.readouterr().err


def test_version_and_top_level_help(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert capsys.readouterr().out.strip() == f"rnncorr {__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("simulate", "theory", "trained", "plot"):
        assert command in text


def test_plot_help_lists_every_figure(capsys):
    with pytest.raises(SystemExit):
        main(["plot", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in FIGURES:
        assert name in text


def test_theory_text_format_is_a_table_not_a_dict(capsys):
    assert main([*THEORY, "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "{" not in text and "}" not in text
    lines = text.splitlines()
    header = next(line for line in lines if "pr_over_n" in line)
    assert header.split() == ["a", "cbar", "nc2", "pr_over_n"]
    row = next(line for line in lines if line.startswith("zero_frequency") and " phi " in line)
    assert len(row.split()) == 6  # kind, variable, four numbers
    assert main([*THEORY, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert float(row.split()[-1]) == pytest.approx(
        data["zero_frequency"]["phi"]["pr_over_n"], rel=1e-5
    )


def test_sample_interval_is_rounded_to_whole_steps_and_the_used_value_recorded(capsys, tmp_path):
    """0.5 at dt = 0.2 is 2.5 steps: the engine samples every 2 steps (0.4), and says so."""
    out = tmp_path / "cell.nc"
    assert main([*_with(SIMULATE, "--sample-interval", "0.5"), "--out", str(out)]) == 0
    with xr.open_dataset(out) as ds:
        assert ds.attrs["equal_time_sample_interval_used"] == "0.4"
        assert ds.attrs["zero_frequency_window_used"] == "4"
        assert json.loads(ds.attrs["settings"])["sample_interval"] == 0.5
