"""course_lib: the small neural-network library behind "Why Initialization Matters".

Where to start reading: ``course_lib/nn/`` (its README.md gives the order). The
folders are the layers of the package; each imports only from the ones above it
in this list:

    checks.py, blas.py  argument checks and the one-BLAS-thread switch, shared by all
    data/               MNIST (verified, cached, offline-capable) and synthetic sets
    nn/                 the network: activations, initializers, losses, network,
                        train (sgd), fast_step (the tuned kernel sgd runs), gradcheck
    diagnostics/        measuring a network: layer statistics, gradient flow,
                        Jacobians, mean-field theory (chi1, critical_gain)
    lessons/            the experiments of each notebook, one module per notebook
    viz/                figures and widgets that draw what the lessons return

The instructors' tools (releasing and grading assignments) are apart from these.
The names below are the public API (``from course_lib import Network, sgd, ...``).
Importing it seeds nothing and changes no matplotlib settings.
"""
from .data import MNIST, LabeledData, circles, flower, load_mnist, one_hot, prepare_mnist, saturation_input, spiral
from .diagnostics import LayerStats, format_layer_statistics, gradient_norms, layer_statistics
from .nn.activations import ACTIVATIONS, Activation, get_activation, sigmoid, sigmoid_prime, softmax
from .nn.gradcheck import GradCheckReport, check_gradients, numerical_gradient, relative_error, verdict
from .nn.initializers import INITIALIZERS, Initializer, get_initializer
from .nn.losses import LOSSES, Loss, get_loss
from .nn.network import Cache, Network
from .nn.train import History, sgd

__version__ = "0.1.0"

_DATA_NAMES = ("load_mnist", "prepare_mnist", "MNIST", "LabeledData", "one_hot")

__all__ = [
    "ACTIVATIONS", "Activation", "get_activation", "sigmoid", "sigmoid_prime", "softmax",
    "INITIALIZERS", "Initializer", "get_initializer",
    "LOSSES", "Loss", "get_loss",
    "Network", "Cache",
    "sgd", "History",
    "numerical_gradient", "relative_error", "check_gradients", "GradCheckReport", "verdict",
    "layer_statistics", "gradient_norms", "format_layer_statistics", "LayerStats",
    "saturation_input", "spiral", "circles", "flower",
    *_DATA_NAMES,
]
