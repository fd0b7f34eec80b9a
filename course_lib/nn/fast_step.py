"""The training step of :func:`course_lib.nn.train.sgd`, written for speed.

The maths is the step in :mod:`course_lib.nn.train`'s docstring, in the batch form of
:mod:`course_lib.nn.network`:

    forward    z_l = a_(l-1) W_l^T + b_l,   a_l = f(z_l)
    output     delta_L = (eta / m) (a_L - y)           [times f'(z_L) for the quadratic cost]
    backward   delta_(l-1) = (delta_l W_l) * f'(z_(l-1))
    update     W_l <- decay W_l - delta_l^T a_(l-1),    b_l <- b_l - sum_rows delta_l

Folding eta / m into the output error once (a (m, n_L) array) scales every
delta_l, so the products delta_l^T a_(l-1) already are the steps eta dC/dW_l:
no division by m and no multiplication by eta on the (n_l, n_(l-1)) arrays.

At minibatch 10 the matrices are tiny and the time goes to numpy's per-call
overhead (about 1 us a call), so the step makes as few calls as it can: every
array it writes is allocated once per training run (``out=`` everywhere), the
minibatch is gathered straight from the unshuffled data (no copy of the whole
training set per epoch), and common activations are applied in place.
Each in-place activation computes what course_lib.nn.activations computes, with the
same operations in the same order except the sigmoid (see _sigmoid_into), so the
result differs from the plain formulas only by rounding (where eta / m is
applied, how sigma is evaluated): about 1e-16 relative per step.

tests/nn/test_fast_step.py checks that this step equals the plain one (written
out in the test, line by line) to 1e-12, and each in-place kernel against
course_lib.nn.activations.
"""
from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS, SOFTMAX
from .losses import cross_entropy, log_likelihood


def _sigmoid_into(z, a):
    # sigma(z) = 1 / (1 + e^-z). numpy's exp is vectorized and its float64 tanh is
    # not, so this is ~3x faster than the library's 0.5 (1 + tanh(z / 2)) and agrees
    # with it to rounding. For z < -709, e^-z overflows to inf and 1 / inf = 0, the
    # right limit (the caller has silenced the overflow warning).
    np.negative(z, out=a)
    np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)


def _sigmoid_prime_times(z, a, delta, tmp):
    # delta *= sigma'(z) = a (1 - a)
    np.subtract(1.0, a, out=tmp)
    tmp *= a
    delta *= tmp


def _tanh_into(z, a):
    np.tanh(z, out=a)


def _tanh_prime_times(z, a, delta, tmp):
    # delta *= 1 - a^2
    np.multiply(a, a, out=tmp)
    np.subtract(1.0, tmp, out=tmp)
    delta *= tmp


def _relu_into(z, a):
    np.maximum(z, 0.0, out=a)


def _relu_prime_times(z, a, delta, tmp):
    # delta *= [z > 0]
    np.greater(z, 0.0, out=tmp)
    delta *= tmp


def _identity_into(z, a):
    np.copyto(a, z)


def _identity_prime_times(z, a, delta, tmp):
    pass  # f' = 1


def _softmax_into(z, a):
    np.subtract(z, np.maximum.reduce(z, axis=1, keepdims=True), out=a)
    np.exp(a, out=a)
    a /= np.add.reduce(a, axis=1, keepdims=True)


_IN_PLACE = {
    "sigmoid": (_sigmoid_into, _sigmoid_prime_times),
    "tanh": (_tanh_into, _tanh_prime_times),
    "relu": (_relu_into, _relu_prime_times),
    "identity": (_identity_into, _identity_prime_times),
}


def _in_place(activation):
    """(f_into(z, a), prime_times(z, a, delta, tmp)) for an activation.

    Library activations get in-place kernels; any other Activation (e.g. one a
    student wrote) is applied through its own ``fn`` and ``prime``.
    """
    if activation is SOFTMAX:
        return _softmax_into, None
    name = activation.name
    if name in _IN_PLACE and ACTIVATIONS.get(name) is activation:
        return _IN_PLACE[name]

    def f_into(z, a):
        np.copyto(a, activation.fn(z))

    def prime_times(z, a, delta, tmp):
        delta *= activation.prime(z, a)

    return f_into, prime_times


class _Minibatch:
    """Buffers and kernels for SGD steps on minibatches of exactly ``size`` rows."""

    def __init__(self, net, size):
        dtype, sizes, L = net.dtype, net.sizes, net.depth
        self.size = size
        self.z = [np.empty((size, width), dtype) for width in sizes[1:]]
        self.a = [None] + [np.empty((size, width), dtype) for width in sizes[1:]]
        self.delta = [np.empty((size, width), dtype) for width in sizes[1:]]
        self.tmp = [np.empty((size, width), dtype) for width in sizes[1:]]
        self.gW = [np.empty((n_out, n_in), dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.gb = [np.empty(width, dtype) for width in sizes[1:]]
        hidden_into, self.hidden_prime = _in_place(net.activation)
        output_into, _ = _in_place(net.output)
        self.f_into = [hidden_into] * (L - 1) + [output_into]
        # delta_L = a_L - y for the matching costs; anything else through the Loss itself.
        self.simple_output_error = net.cost is cross_entropy or net.cost is log_likelihood
        self.cost, self.output = net.cost, net.output

    def run(self, net, X, Y, rows, eta, decay):
        """One step per ``size`` entries of ``rows`` (row indices into X, Y), in place on net."""
        Ws, bs = net.weights, net.biases
        L = len(Ws)
        zs, acts, deltas, tmps, gWs, gbs = self.z, self.a, self.delta, self.tmp, self.gW, self.gb
        scale = eta / self.size
        decayed = decay != 1.0
        # Everything a step touches, bound once. Per layer l (0-based): W_l^T as a view,
        # b_l, z, the output a_(l+1) and the activation kernel; the first layer's input
        # is the gathered minibatch, the others' the previous layer's output.
        forward = [(Ws[l].T, bs[l], zs[l], acts[l + 1], self.f_into[l]) for l in range(L)]
        backward = [
            (deltas[l], deltas[l].T, acts[l], gWs[l], Ws[l], gbs[l], bs[l],
             (deltas[l - 1], zs[l - 1], acts[l], tmps[l - 1]) if l else None)
            for l in range(L - 1, -1, -1)
        ]
        first = backward[-1]
        prime = self.hidden_prime
        a_out, z_out, d_out = acts[-1], zs[-1], deltas[-1]
        simple_output_error, cost, output = self.simple_output_error, self.cost, self.output
        matmul, subtract, add_reduce = np.matmul, np.subtract, np.add.reduce
        for k in range(0, len(rows), self.size):
            batch = rows[k:k + self.size]
            # Fancy indexing gathers the minibatch rows (faster than np.take(out=) here).
            a = x = X[batch]
            y = Y[batch]
            for WT, b, z, a_next, f_into in forward:
                matmul(a, WT, out=z)
                z += b
                f_into(z, a_next)
                a = a_next
            if simple_output_error:
                subtract(a_out, y, out=d_out)
            else:
                np.copyto(d_out, cost.delta(z_out, a_out, y, output))
            d_out *= scale
            for layer in backward:
                delta, delta_T, a_in, gW, W, gb, b, below = layer
                matmul(delta_T, x if layer is first else a_in, out=gW)
                if below is not None:
                    d_below, z_below, a_below, tmp = below
                    matmul(delta, W, out=d_below)  # uses W before its update
                    prime(z_below, a_below, d_below, tmp)
                if decayed:
                    W *= decay
                W -= gW
                add_reduce(delta, axis=0, out=gb)
                b -= gb
