"""Activations: derivatives and primitives agree with finite differences; validation messages."""

import numpy as np
import pytest

from rnncorr.activations import ACTIVATION_NAMES, get_activation

ALL = [get_activation(name) for name in ACTIVATION_NAMES] + [
    get_activation("power", alpha=0.3),
    get_activation("pade", a=0.0, b=1.0),
]
# grid avoiding x = 0 (power's derivative diverges there) and relu's kink
X = np.concatenate([np.linspace(-4, -0.05, 40), np.linspace(0.05, 4, 40)])
H = 1e-5


@pytest.mark.parametrize("act", ALL, ids=lambda a: a.label)
def test_dphi_is_the_derivative_of_phi(act):
    numeric = (act.phi(X + H) - act.phi(X - H)) / (2 * H)
    # central difference error ~ h^2 phi''' / 6 < 1e-8 away from 0; rounding ~ 1e-11
    np.testing.assert_allclose(act.dphi(X), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("act", ALL, ids=lambda a: a.label)
def test_d2phi_is_the_derivative_of_dphi(act):
    numeric = (act.dphi(X + H) - act.dphi(X - H)) / (2 * H)
    np.testing.assert_allclose(act.d2phi(X), numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("act", ALL, ids=lambda a: a.label)
def test_primitive_is_the_antiderivative_of_phi(act):
    numeric = (act.primitive(X + H) - act.primitive(X - H)) / (2 * H)
    np.testing.assert_allclose(act.phi(X), numeric, rtol=1e-6, atol=1e-8)
    assert act.primitive(np.array(0.0)) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("act", [a for a in ALL if a.name != "relu"], ids=lambda a: a.label)
def test_odd_activations_have_unit_slope_or_are_odd(act):
    np.testing.assert_allclose(act.phi(-X), -act.phi(X), atol=1e-15)
    assert act.is_odd
    if act.name != "power":
        assert act.dphi(np.array(0.0)) == pytest.approx(1.0)


def test_relu_is_not_odd():
    assert not get_activation("relu").is_odd


def test_tanh_primitive_does_not_overflow():
    assert np.isfinite(get_activation("tanh").primitive(np.array([1e4, -1e4]))).all()


def test_float32_stays_float32():
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    for act in ALL:
        assert act.phi(x).dtype == np.float32, act.label
        assert act.dphi(x).dtype == np.float32, act.label


def test_labels_are_stable_and_file_safe():
    assert get_activation("tanh").label == "tanh"
    assert get_activation("power", alpha=0.5).label == "power-alpha0.5"
    assert get_activation("pade").label == "pade-a0.0666667-b0.4"
    for act in ALL:
        assert "/" not in act.label and " " not in act.label


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("tnah", {}, "unknown activation 'tnah'; allowed: linear, tanh, erf, power, pade, relu"),
        ("power", {"alpha": 1.5}, "alpha must satisfy 0 < alpha < 1"),
        ("power", {"alpha": 0.0}, "alpha must satisfy 0 < alpha < 1"),
        ("pade", {"b": -1.0}, "b must be > 0"),
        ("pade", {"a": -0.1}, "a must be >= 0"),
        ("tanh", {"alpha": 0.5}, "does not take parameter.*allowed: none"),
    ],
)
def test_bad_activation_raises_with_the_allowed_values(name, params, message):
    with pytest.raises(ValueError, match=message):
        get_activation(name, **params)
