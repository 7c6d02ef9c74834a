"""The README's Python API quickstart runs as written (the first ```python block after the
"## Python API" heading), in a fresh folder, and prints simulation and theory that agree."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _quickstart() -> str:
    text = README.read_text()
    section = text[text.index("## Python API") :]
    match = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert match, "no ```python block in the README's Python API section"
    return match.group(1)


@pytest.mark.slow
def test_readme_quickstart_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(_quickstart(), "README.md quickstart", "exec"), {"__name__": "__main__"})
    import matplotlib.pyplot as plt

    plt.close("all")
    assert (tmp_path / "results/quickstart.nc").stat().st_size > 0
    assert (tmp_path / "results/quickstart.png").stat().st_size > 0
    printed = capsys.readouterr().out
    numbers = re.search(r"simulation ([0-9.]+) \+- ([0-9.]+), theory ([0-9.]+)", printed)
    assert numbers, printed
    mean, se, large_n = (float(x) for x in numbers.groups())
    # the README quotes this line: it must be what the code prints (fixed seed)
    assert f"simulation {mean:.3f} +- {se:.3f}, theory {large_n:.3f}" in README.read_text()
    # docs/science.md §11: tanh, g = 0.5, sigma2 = 1, zero-frequency PR_phi/N = 0.76079
    assert large_n == pytest.approx(0.76079, abs=5e-4)
    # N = 100 and 3 realizations: the finite-N offset p_0/N (~ -0.01) is below 3 s.e.
    assert abs(mean - large_n) < 3 * se + 0.02
