"""course_lib: the small neural-network library behind "Why Initialization Matters".

One module per concern (see each module's docstring for the math):

    activations   sigmoid, tanh, relu, ... and their derivatives; ACTIVATIONS by name
    initializers  zeros, normal(std), nielsen_large, xavier_normal, he_normal, ...; INITIALIZERS
    losses        quadratic, cross_entropy, log_likelihood: value and output error, stable
    network       Network(sizes, activation=..., init=..., rng=...): forward, backward
    train         sgd(...) -> History
    gradcheck     numerical_gradient, relative_error, check_gradients
    diagnostics   layer_statistics, gradient_norms
    data          load_mnist (verified, cached, offline-capable)
    synthetic     spiral, circles, saturation_input

Importing it seeds nothing and changes no matplotlib settings.
"""
from .activations import ACTIVATIONS, Activation, get_activation, sigmoid, sigmoid_prime, softmax
from .diagnostics import LayerStats, format_layer_statistics, gradient_norms, layer_statistics
from .gradcheck import GradCheckReport, check_gradients, numerical_gradient, relative_error, verdict
from .initializers import INITIALIZERS, Initializer, get_initializer
from .losses import LOSSES, Loss, get_loss
from .network import Cache, Network
from .synthetic import circles, saturation_input, spiral
from .train import History, sgd

__version__ = "0.1.0"

# The data names are imported on first use, so that `python -m course_lib.data` does not find
# course_lib.data already imported (runpy would warn about it).
_DATA_NAMES = ("load_mnist", "prepare_mnist", "MNIST", "LabeledData", "one_hot")


def __getattr__(name):
    if name in _DATA_NAMES:
        from . import data

        return getattr(data, name)
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")

__all__ = [
    "ACTIVATIONS", "Activation", "get_activation", "sigmoid", "sigmoid_prime", "softmax",
    "INITIALIZERS", "Initializer", "get_initializer",
    "LOSSES", "Loss", "get_loss",
    "Network", "Cache",
    "sgd", "History",
    "numerical_gradient", "relative_error", "check_gradients", "GradCheckReport", "verdict",
    "layer_statistics", "gradient_norms", "format_layer_statistics", "LayerStats",
    "saturation_input", "spiral", "circles",
    *_DATA_NAMES,
]
