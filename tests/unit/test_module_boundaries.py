"""Imports go one way (docs/style.md §5.1): the theory never needs the simulator and the
simulator never needs the theory, so each can be checked against the other independently."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "rnncorr"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted((SRC / "theory").glob("*.py")), ids=lambda p: p.name)
def test_theory_does_not_import_the_simulator(path):
    assert not {n for n in _imports(path) if n.startswith("rnncorr.simulate")}


@pytest.mark.parametrize("name", ["simulate.py", "simulate_torch.py"])
def test_simulator_does_not_import_the_theory(name):
    assert not {n for n in _imports(SRC / name) if n.startswith("rnncorr.theory")}


def test_estimators_are_numpy_only():
    assert {n.split(".")[0] for n in _imports(SRC / "estimators.py")} <= {
        "__future__",
        "collections",
        "dataclasses",
        "numpy",
        "warnings",
    }
