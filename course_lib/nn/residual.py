"""A deep MLP with the two tools of modern networks: batch normalization and residual connections.

:class:`course_lib.nn.network.Network` is the plain stack of the course. This
model adds, as options, what keeps much deeper stacks trainable, so a notebook
can switch each on and off on the same data:

    input layer:     h_0 = f(N(x W_0^T + b_0))                       (n_in -> width)
    plain block:     h_l = f(N(h_(l-1) W_l^T + b_l))
    residual block:  h_l = h_(l-1) + alpha (f(N(h_(l-1) W_l^T + b_l)) V_l^T + c_l)
    output:          logits = h_D W_out^T + b_out,  softmax + log-likelihood

N is batch normalization (:mod:`course_lib.nn.batchnorm`, with a learned scale
gamma and shift beta per unit) or nothing. A residual block adds a branch to an
identity path: the identity carries the signal and the gradient through any
number of blocks, since dh_l/dh_(l-1) = I + alpha dF/dh.

Why the scalings. Each branch adds a term uncorrelated with h (E[h F(h)] = 0 for
zero-mean weights), so without normalization the second moment grows at every
block. For ReLU branches with He weights, E[F(h)^2] = 2 E[h^2], hence

    E[h_l^2] = (1 + 2 alpha^2) E[h_(l-1)^2],    E[h_D^2] = (1 + 2 alpha^2)^D E[h_0^2]:

3^50 = 7e23 with alpha = 1 and D = 50 (Hanin & Rolnick 2018; Zhang et al. 2019,
"Fixup"). Two common remedies, both options here:

- ``residual_scale="1/sqrt(depth)"``: alpha = 1/sqrt(D), so the growth is
  (1 + 2/D)^D <= e^2 = 7.4 at any depth;
- ``zero_init_residual=True``: V_l = 0 at initialization (Goyal et al. 2017 zero the
  last batch-norm gamma of each block; Fixup and SkipInit zero the last layer), so
  every block starts as the identity and the network as a shallow one. The
  gradient still reaches V_l (dC/dV_l = alpha dH^T a), so the blocks wake up.

Backprop through a block (rows are examples; dH = dC/dh_l):

    residual:  dV = alpha dH^T a,  dc = alpha sum_rows dH,  da = alpha dH V
    both:      du' = da * f'(u'),  du = batchnorm_backward(du') (or du'),
               dW = du^T h_(l-1),  db = sum_rows du,
               dh_(l-1) = du W  (+ dH through the identity for residual blocks)

Every gradient is checked against centred differences in tests/nn/test_residual.py.
"""
from __future__ import annotations

import math

import numpy as np

from ..checks import check_int, check_rng
from .activations import get_activation, softmax
from .batchnorm import batchnorm_backward, batchnorm_forward
from .initializers import get_initializer
from .network import as_targets, check_inputs

__all__ = ["DeepMLP", "train_deep", "RESIDUAL_SCALES"]

#: Names accepted by ``residual_scale`` besides a positive number.
RESIDUAL_SCALES = ("1", "1/sqrt(depth)")


def _residual_alpha(scale, depth):
    if isinstance(scale, str):
        if scale == "1":
            return 1.0
        if scale == "1/sqrt(depth)":
            return 1.0 / math.sqrt(depth)
        raise ValueError(f"residual_scale must be a number > 0 or one of {RESIDUAL_SCALES}, got {scale!r}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"residual_scale must be a number > 0 or one of {RESIDUAL_SCALES}, got {scale!r}")
    return float(scale)


class DeepMLP:
    """A deep MLP with optional batch normalization and residual blocks (see the module docstring).

    Args:
      n_in, width, n_out:  input, hidden and output widths; depth: number of blocks D (>= 1).
      activation:          hidden activation name (e.g. 'relu', 'tanh').
      init:                weight initializer (a name from INITIALIZERS, an Initializer or a std).
      batchnorm:           normalize every hidden pre-activation over the batch.
      residual:            blocks add a branch to an identity path instead of replacing h.
      residual_scale:      alpha: a number, '1' or '1/sqrt(depth)'.
      zero_init_residual:  start every branch's last layer V at 0 (blocks start as identities).
      rng:                 numpy Generator, the only source of randomness.
    Biases start at 0, gamma at 1 and beta at 0.
    """

    def __init__(self, n_in, width, depth, n_out, *, activation="relu", init="he_normal", batchnorm=False,
                 residual=False, residual_scale="1", zero_init_residual=False, rng, dtype=np.float64):
        check_rng(rng)
        self.n_in = check_int(n_in, "n_in", 1)
        self.width = check_int(width, "width", 1)
        self.depth = check_int(depth, "depth", 1)
        self.n_out = check_int(n_out, "n_out", 2)
        self.activation = get_activation(activation)
        self.init = get_initializer(init, argument="init")
        self.batchnorm = bool(batchnorm)
        self.residual = bool(residual)
        self.alpha = _residual_alpha(residual_scale, self.depth) if self.residual else 1.0
        if zero_init_residual and not self.residual:
            raise ValueError("zero_init_residual needs residual=True (a plain block has no branch to zero)")
        self.zero_init_residual = bool(zero_init_residual)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.sizes = [self.n_in] + [self.width] * (self.depth + 1) + [self.n_out]
        p = {}
        for l in range(self.depth + 1):                      # l = 0: input layer; 1..D: blocks
            fan_in = self.n_in if l == 0 else self.width
            p[f"W{l}"] = self.init((self.width, fan_in), rng, dtype=self.dtype)
            p[f"b{l}"] = np.zeros(self.width, dtype=self.dtype)
            if self.batchnorm:
                p[f"gamma{l}"] = np.ones(self.width, dtype=self.dtype)
                p[f"beta{l}"] = np.zeros(self.width, dtype=self.dtype)
            if self.residual and l > 0:
                p[f"V{l}"] = (np.zeros((self.width, self.width), dtype=self.dtype) if self.zero_init_residual
                              else self.init((self.width, self.width), rng, dtype=self.dtype))
                p[f"c{l}"] = np.zeros(self.width, dtype=self.dtype)
        p["W_out"] = self.init((self.n_out, self.width), rng, dtype=self.dtype)
        p["b_out"] = np.zeros(self.n_out, dtype=self.dtype)
        self.params = p
        self.running = [dict(mean=np.zeros(self.width), var=np.ones(self.width)) for _ in range(self.depth + 1)]

    def __repr__(self):
        parts = [f"depth={self.depth}", f"width={self.width}", repr(self.activation.name), repr(self.init.name)]
        if self.batchnorm:
            parts.append("batchnorm")
        if self.residual:
            parts.append(f"residual(alpha={self.alpha:.3g}{', zero-init' if self.zero_init_residual else ''})")
        return f"DeepMLP({', '.join(parts)})"

    def parameters(self):
        """[(name, array), ...]: the live arrays (a gradient checker perturbs them in place)."""
        return list(self.params.items())

    # ------------------------------------------------------------------ forward
    def _layer(self, l, h, train):
        """u = h W^T + b, batch-normalized if asked, then a = f(u): (a, cache (h, u, bn_cache, a))."""
        p = self.params
        u = h @ p[f"W{l}"].T + p[f"b{l}"]
        bn_cache = None
        if self.batchnorm:
            u, bn_cache = batchnorm_forward(u, p[f"gamma{l}"], p[f"beta{l}"], mode="train" if train else "test",
                                            running=self.running[l])
        a = self.activation.fn(u)
        return a, (h, u, bn_cache, a)

    def forward(self, X, *, train=True):
        """Logits for X (batch statistics when ``train``, running ones otherwise) and the caches.

        Returns (logits, caches, hiddens): hiddens[l] is h_l, the output of layer/block l.
        """
        X = check_inputs(X, self.n_in, dtype=self.dtype)
        p = self.params
        h, cache0 = self._layer(0, X, train)
        caches, hiddens = [cache0], [h]
        for l in range(1, self.depth + 1):
            a, cache = self._layer(l, h, train)
            if self.residual:
                h = h + self.alpha * (a @ p[f"V{l}"].T + p[f"c{l}"])
            else:
                h = a
            caches.append(cache)
            hiddens.append(h)
        logits = h @ p["W_out"].T + p["b_out"]
        return logits, caches, hiddens

    def loss(self, X, y, *, train=False):
        """Mean log-likelihood (softmax cross-entropy) on (X, y), running statistics by default."""
        logits, _, _ = self.forward(X, train=train)
        Y = as_targets(y, logits.shape[0], self.n_out, dtype=self.dtype)
        return float(self._nll(logits, Y))

    @staticmethod
    def _nll(logits, Y):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -np.sum(Y * log_p) / logits.shape[0]

    def predict(self, X):
        logits, _, _ = self.forward(X, train=False)
        return np.argmax(logits, axis=1)

    def accuracy(self, X, y):
        y = np.asarray(y)
        return float(np.mean(self.predict(X) == y))

    # ----------------------------------------------------------------- backward
    def gradients(self, X, y):
        """(loss, {name: dC/dparam}) on one batch, with batch statistics (as in training).

        The running statistics are left as they were: computing a gradient is not a
        training step (:meth:`step` is).
        """
        return self._backprop(X, y, update_running=False)

    def _backprop(self, X, y, update_running):
        saved = [dict(r) for r in self.running]
        logits, caches, hiddens = self.forward(X, train=True)
        if not update_running:
            self.running = saved
        Y = as_targets(y, logits.shape[0], self.n_out, dtype=self.dtype)
        m = logits.shape[0]
        loss = self._nll(logits, Y)
        p = self.params
        g = {}
        dlogits = (softmax(logits) - Y) / m
        g["W_out"] = dlogits.T @ hiddens[-1]
        g["b_out"] = dlogits.sum(axis=0)
        dH = dlogits @ p["W_out"]                       # dC/dh_D
        for l in range(self.depth, -1, -1):
            h_prev, u, bn_cache, a = caches[l]
            if self.residual and l > 0:
                g[f"V{l}"] = self.alpha * dH.T @ a
                g[f"c{l}"] = self.alpha * dH.sum(axis=0)
                da = self.alpha * dH @ p[f"V{l}"]
            else:
                da = dH
            du = da * self.activation.prime(u, a)
            if self.batchnorm:
                du, g[f"gamma{l}"], g[f"beta{l}"] = batchnorm_backward(du, bn_cache)
            g[f"W{l}"] = du.T @ h_prev
            g[f"b{l}"] = du.sum(axis=0)
            if l > 0:
                dh = du @ p[f"W{l}"]
                dH = dH + dh if self.residual else dh
        return float(loss), g

    def step(self, X, y, eta):
        """One gradient-descent step on the batch (X, y); returns the batch loss before it."""
        loss, g = self._backprop(X, y, update_running=True)
        for name, grad in g.items():
            self.params[name] -= eta * grad
        return loss


def train_deep(model, X, y, *, epochs, batch_size, eta, rng, record=("train_loss",)):
    """Minibatch SGD on a :class:`DeepMLP`; returns the training loss before and after each epoch.

    The loss is measured on all of (X, y) with the running statistics (as at test
    time). Training stops early, with NaN appended, if the loss becomes inf/NaN.
    """
    check_rng(rng)
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 2 if model.batchnorm else 1)
    if isinstance(eta, bool) or not isinstance(eta, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    X = check_inputs(X, model.n_in, dtype=model.dtype)
    y = np.asarray(y)
    n = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        losses = [model.loss(X, y)]
        for _ in range(epochs):
            order = rng.permutation(n)
            for start in range(0, n - (1 if model.batchnorm else 0), batch_size):
                idx = order[start:start + batch_size]
                if model.batchnorm and len(idx) < 2:
                    continue
                model.step(X[idx], y[idx], eta)
            losses.append(model.loss(X, y))
            if not np.isfinite(losses[-1]):
                break
    return np.array(losses)
