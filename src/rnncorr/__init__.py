"""rnncorr: statistics of correlations in random nonlinear recurrent neural networks.

Simulation (``rnncorr.simulate``), estimators (``rnncorr.estimators``), large-N theory
(``rnncorr.theory``), netCDF data model (``rnncorr.io``) and figures (``rnncorr.plots``).
See docs/science.md for the model and every statistic.
"""

from importlib.metadata import PackageNotFoundError, version

from rnncorr.activations import ACTIVATION_NAMES, Activation, get_activation

try:
    __version__ = version("rnncorr")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["ACTIVATION_NAMES", "Activation", "__version__", "get_activation"]
