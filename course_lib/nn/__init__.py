"""course_lib.nn: the neural network itself, the part of the course a student reads.

Read it top to bottom in this order (README.md in this folder says why):

    activations   f(z) and f'(z) of sigmoid, tanh, relu, ...; softmax
    initializers  how W and b are drawn: normal(std), xavier_normal, he_normal, ...
    losses        quadratic, cross_entropy, log_likelihood: value and output error delta_L
    network       Network: forward (z_l = a_(l-1) W_l^T + b_l) and backprop
    train         sgd: minibatch SGD with L2 weight decay, one History per run
    optimizers    momentum, Nesterov, RMSProp, Adam: what sgd(optimizer=...) does with g
    dropout       inverted dropout on the hidden layers: sgd(dropout=p)
    gradcheck     numerical gradients that check backprop

fast_step holds the speed-tuned training step sgd runs (the same maths as the
plain step, with preallocated buffers); nothing here imports widgets or notebook code.
"""
from .activations import ACTIVATIONS, Activation, get_activation, sigmoid, sigmoid_prime, softmax
from .gradcheck import GradCheckReport, check_gradients, numerical_gradient, relative_error, verdict
from .initializers import INITIALIZERS, Initializer, get_initializer
from .losses import LOSSES, Loss, get_loss
from .network import Cache, Network
from .optimizers import OPTIMIZERS, Adam, Momentum, Optimizer, RMSProp, get_optimizer
from .train import History, sgd

__all__ = [
    "ACTIVATIONS", "Activation", "get_activation", "sigmoid", "sigmoid_prime", "softmax",
    "INITIALIZERS", "Initializer", "get_initializer",
    "LOSSES", "Loss", "get_loss",
    "Network", "Cache",
    "sgd", "History",
    "OPTIMIZERS", "Optimizer", "Momentum", "RMSProp", "Adam", "get_optimizer",
    "numerical_gradient", "relative_error", "check_gradients", "GradCheckReport", "verdict",
]
