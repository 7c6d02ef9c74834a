r"""Activation functions phi, their derivatives and primitives.

The model (docs/science.md §1) is ``dx/dt = -x + J phi(x) + xi``. Every activation here comes with

* ``phi(x)``, ``dphi(x)`` = phi'(x), ``d2phi(x)`` = phi''(x) (for the trained-attractor theory),
* ``primitive(x)`` = Phi(x) with Phi' = phi and Phi(0) = 0 (the potential in (E1) and the Newton
  particle of the dynamic mean-field theory),
* ``label``: a short string that is stable across runs and safe in file names,
* ``is_odd``: whether the odd-phi mean-field theory applies (everything except relu).

| name   | phi(x)                          | parameters                  |
|--------|---------------------------------|-----------------------------|
| linear | x                               | -                           |
| tanh   | tanh x                          | -                           |
| erf    | erf(sqrt(pi) x / 2)             | -                           |
| power  | sign(x) |x|^alpha               | 0 < alpha < 1               |
| pade   | x (1 + a x^2) / (1 + b x^2)     | a >= 0, b > 0 ([3/2] of tanh: 1/15, 6/15) |
| relu   | max(x, 0)                       | -                           |

All functions are numpy ufunc-style: they accept arrays and return arrays of the same shape and
float dtype (float32 in, float32 out).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import special

__all__ = [
    "ACTIVATION_NAMES",
    "DEFAULT_PARAMS",
    "Activation",
    "activation_from_label",
    "display_name",
    "get_activation",
]

ArrayFn = Callable[..., np.ndarray]

_SQRT_PI_HALF = math.sqrt(math.pi) / 2.0  # erf(k x) with k = sqrt(pi)/2 has slope 1 at 0


# ---------------------------------------------------------------------------------------------
# phi, phi', phi'' and Phi for every activation. Parameters arrive as keyword arguments.
# ---------------------------------------------------------------------------------------------
def _linear(x):
    return np.asarray(x) * 1


def _float_dtype(x) -> np.dtype:
    """float32 stays float32; everything else becomes float64."""
    return np.result_type(np.asarray(x).dtype, np.float32)


def _linear_d(x):
    return np.ones(np.shape(x), dtype=_float_dtype(x))


def _zeros(x, **_):
    return np.zeros(np.shape(x), dtype=_float_dtype(x))


def _linear_prim(x):
    return 0.5 * np.square(x)


def _tanh_d(x):
    return 1.0 / np.square(np.cosh(x))


def _tanh_d2(x):
    t = np.tanh(x)
    return -2.0 * t * (1.0 - t * t)


def _tanh_prim(x):
    # log cosh x, written so that it does not overflow for |x| > 710
    ax = np.abs(x)
    return ax + np.log1p(np.exp(-2.0 * ax)) - math.log(2.0)


def _erf(x):
    return special.erf(_SQRT_PI_HALF * x)


def _erf_d(x):
    return np.exp(-((_SQRT_PI_HALF * x) ** 2))


def _erf_d2(x):
    return -2.0 * _SQRT_PI_HALF**2 * x * np.exp(-((_SQRT_PI_HALF * x) ** 2))


def _erf_prim(x):
    k = _SQRT_PI_HALF
    return x * special.erf(k * x) + np.expm1(-((k * x) ** 2)) / (k * math.sqrt(math.pi))


def _power(x, alpha):
    return np.sign(x) * np.abs(x) ** alpha


def _power_d(x, alpha):
    # diverges at x = 0 for alpha < 1; numpy returns inf there, which is the true limit
    with np.errstate(divide="ignore"):
        return alpha * np.abs(x) ** (alpha - 1.0)


def _power_d2(x, alpha):
    with np.errstate(divide="ignore", invalid="ignore"):
        return alpha * (alpha - 1.0) * np.sign(x) * np.abs(x) ** (alpha - 2.0)


def _power_prim(x, alpha):
    return np.abs(x) ** (alpha + 1.0) / (alpha + 1.0)


def _pade(x, a, b):
    x2 = x * x
    return x * (1.0 + a * x2) / (1.0 + b * x2)


def _pade_d(x, a, b):
    # phi = (a/b) x + (1 - a/b) x / (1 + b x^2)
    x2 = x * x
    return a / b + (1.0 - a / b) * (1.0 - b * x2) / (1.0 + b * x2) ** 2


def _pade_d2(x, a, b):
    x2 = x * x
    return (1.0 - a / b) * 2.0 * b * x * (b * x2 - 3.0) / (1.0 + b * x2) ** 3


def _pade_prim(x, a, b):
    return 0.5 * (a / b) * x * x + (1.0 - a / b) * np.log1p(b * x * x) / (2.0 * b)


def _relu(x):
    return np.maximum(x, 0)


def _relu_d(x):
    return (np.asarray(x) > 0).astype(_float_dtype(x))


def _relu_prim(x):
    return 0.5 * np.square(np.maximum(x, 0))


@dataclass(frozen=True)
class _Spec:
    phi: ArrayFn
    dphi: ArrayFn
    d2phi: ArrayFn
    primitive: ArrayFn
    params: tuple[str, ...] = ()
    is_odd: bool = True


_SPECS: dict[str, _Spec] = {
    "linear": _Spec(_linear, _linear_d, _zeros, _linear_prim),
    "tanh": _Spec(np.tanh, _tanh_d, _tanh_d2, _tanh_prim),
    "erf": _Spec(_erf, _erf_d, _erf_d2, _erf_prim),
    "power": _Spec(_power, _power_d, _power_d2, _power_prim, params=("alpha",)),
    "pade": _Spec(_pade, _pade_d, _pade_d2, _pade_prim, params=("a", "b")),
    "relu": _Spec(_relu, _relu_d, _zeros, _relu_prim, is_odd=False),
}

ACTIVATION_NAMES: tuple[str, ...] = tuple(_SPECS)

#: Parameters used when a parametrised activation is named without them.
DEFAULT_PARAMS: dict[str, dict[str, float]] = {
    "power": {"alpha": 0.5},
    "pade": {"a": 1.0 / 15.0, "b": 6.0 / 15.0},  # the [3/2] Padé approximant of tanh
}


def _check_params(name: str, params: Mapping[str, float]) -> None:
    """Raise ValueError, naming the parameter and its allowed range, if out of range."""
    if name == "power":
        alpha = params["alpha"]
        if not (0.0 < alpha < 1.0):
            raise ValueError(f"power activation: alpha must satisfy 0 < alpha < 1, got {alpha!r}")
    if name == "pade":
        if not params["b"] > 0.0:
            raise ValueError(f"pade activation: b must be > 0, got {params['b']!r}")
        if not params["a"] >= 0.0:
            raise ValueError(f"pade activation: a must be >= 0, got {params['a']!r}")


@dataclass(frozen=True)
class Activation:
    """One activation function with its parameters.

    Build it with :func:`get_activation`; instances are immutable and hashable.
    """

    name: str
    params: tuple[tuple[str, float], ...] = field(default=())

    @property
    def _spec(self) -> _Spec:
        return _SPECS[self.name]

    @property
    def kwargs(self) -> dict[str, float]:
        """The parameters as a dict (``{"alpha": 0.5}`` for power)."""
        return dict(self.params)

    @property
    def is_odd(self) -> bool:
        """True when phi is odd, the assumption of the mean-field theory (not relu)."""
        return self._spec.is_odd

    @property
    def label(self) -> str:
        """Stable, file-name-safe label: ``tanh``, ``power-alpha0.5``, ``pade-a0.0666667-b0.4``."""
        parts = [self.name] + [f"{key}{value:.6g}" for key, value in self.params]
        return "-".join(parts)

    @property
    def display_name(self) -> str:
        """Name a paper would print, for every figure legend and title: ``tanh``, ``linear``,
        ``erf``, ``ReLU``, ``power, α = 0.5``, ``Padé [3/2] of tanh`` (the default a = 1/15,
        b = 6/15) or ``Padé, a = 0.1, b = 0.5`` for other coefficients. See
        :func:`display_name` for the same name from a stored ``label``."""
        if self.name == "power":
            return f"power, α = {self.kwargs['alpha']:.3g}"
        if self.name == "pade":
            a, b = self.kwargs["a"], self.kwargs["b"]
            default = DEFAULT_PARAMS["pade"]
            if math.isclose(a, default["a"], rel_tol=1e-5) and math.isclose(
                b, default["b"], rel_tol=1e-5
            ):
                return "Padé [3/2] of tanh"
            return f"Padé, a = {a:.3g}, b = {b:.3g}"
        return _DISPLAY_NAMES.get(self.name, self.name)

    def phi(self, x: np.ndarray) -> np.ndarray:
        """phi(x)."""
        return self._spec.phi(x, **self.kwargs)

    def dphi(self, x: np.ndarray) -> np.ndarray:
        """phi'(x)."""
        return self._spec.dphi(x, **self.kwargs)

    def d2phi(self, x: np.ndarray) -> np.ndarray:
        """phi''(x)."""
        return self._spec.d2phi(x, **self.kwargs)

    def primitive(self, x: np.ndarray) -> np.ndarray:
        """Phi(x) = int_0^x phi(y) dy."""
        return self._spec.primitive(x, **self.kwargs)

    def __str__(self) -> str:
        return self.label


#: printed names of the activations without parameters (see Activation.display_name)
_DISPLAY_NAMES = {"linear": "linear", "tanh": "tanh", "erf": "erf", "relu": "ReLU"}


def activation_from_label(label: str) -> Activation:
    """Inverse of :attr:`Activation.label`: ``"power-alpha0.5"`` -> power with alpha = 0.5.

    Parameters are parsed as ``<key><value>`` after each ``-`` (the label's format); labels
    round to 6 significant digits, so the parameters are those of the label, not more.
    """
    name, *parts = str(label).split("-")
    if name not in _SPECS:
        raise ValueError(f"unknown activation label {label!r}; allowed names: {ACTIVATION_NAMES}")
    params = {}
    for part in parts:
        key = next((k for k in _SPECS[name].params if part.startswith(k)), None)
        if key is None:
            raise ValueError(f"activation label {label!r}: cannot parse parameter {part!r}")
        params[key] = float(part[len(key) :])
    return get_activation(name, **params)


def display_name(label: str | Activation) -> str:
    """The printed name of an activation or of its stored label (``"pade-a0.0666667-b0.4"`` ->
    ``"Padé [3/2] of tanh"``), for figures; an unparseable label is returned unchanged."""
    if isinstance(label, Activation):
        return label.display_name
    try:
        return activation_from_label(label).display_name
    except ValueError:
        return str(label)


def get_activation(name: str, **params: float) -> Activation:
    """Return the activation called ``name`` with the given parameters.

    Parameters
    ----------
    name : str
        One of ``linear, tanh, erf, power, pade, relu``.
    **params : float
        ``alpha`` for power (0 < alpha < 1, default 0.5); ``a`` and ``b`` for pade
        (a >= 0, b > 0, default the [3/2] Padé of tanh). Other activations take none.

    Raises
    ------
    ValueError
        For an unknown name, an unknown parameter, or a parameter out of range; the message
        lists what is allowed.

    Examples
    --------
    >>> get_activation("power", alpha=0.5).label
    'power-alpha0.5'
    """
    if name not in _SPECS:
        raise ValueError(f"unknown activation {name!r}; allowed: {', '.join(ACTIVATION_NAMES)}")
    spec = _SPECS[name]
    unknown = sorted(set(params) - set(spec.params))
    if unknown:
        allowed = ", ".join(spec.params) if spec.params else "none"
        raise ValueError(
            f"activation {name!r} does not take parameter(s) {', '.join(unknown)}; "
            f"allowed: {allowed}"
        )
    full = {**DEFAULT_PARAMS.get(name, {}), **{k: v for k, v in params.items() if v is not None}}
    full = {key: float(full[key]) for key in spec.params}
    _check_params(name, full)
    return Activation(name, tuple((key, full[key]) for key in spec.params))
