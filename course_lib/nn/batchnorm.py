"""Batch normalization (Ioffe & Szegedy, 2015): a layer that fixes each unit's scale.

For a minibatch of m rows z (shape (m, n)), each column (unit) j is normalized
with the statistics of the batch, then scaled and shifted by two learned
vectors gamma and beta:

    mu_j     = (1/m) sum_i z_ij
    var_j    = (1/m) sum_i (z_ij - mu_j)^2
    zhat_ij  = (z_ij - mu_j) / sqrt(var_j + eps)
    out_ij   = gamma_j zhat_ij + beta_j

Whatever the scale of the weights that produced z, zhat has mean 0 and variance
var / (var + eps), about 1, in every unit: batch normalization takes the forward
scale out of the initializer's hands. (It does not make the scale of W
irrelevant to the *gradient*: dC/dW scales as 1/|W|, see :func:`batchnorm_backward`.)

The backward pass. With dzhat = dout * gamma, the chain rule through mu and var
(each depends on every row of the column) gives, per column,

    dz = (1 / (m sqrt(var + eps))) (m dzhat - sum_i dzhat_i - zhat sum_i dzhat_i zhat_i)
    dgamma = sum_i dout_i zhat_i,      dbeta = sum_i dout_i

The two sums remove from dzhat its mean and its component along zhat: a change
of z that only shifts or rescales a column does not change zhat. Hence dz sums
to 0 over the batch and is orthogonal to zhat, and scaling z by c scales dz by
1/c.

At test time a network uses running averages of mu and var instead of the batch's
(``mode="test"``), so that a prediction does not depend on the other examples.

Like CS231n's layers, :func:`batchnorm_forward` returns ``(out, cache)`` and
:func:`batchnorm_backward` takes ``(dout, cache)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BatchNormCache", "batchnorm_forward", "batchnorm_backward", "BN_EPS"]

#: The eps of PyTorch's and Keras' defaults (1e-5 and 1e-3 respectively); ours is PyTorch's.
BN_EPS = 1e-5


@dataclass
class BatchNormCache:
    """What the backward pass needs: the normalized input, 1/sqrt(var + eps), gamma."""

    zhat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray


def batchnorm_forward(z, gamma, beta, *, eps=BN_EPS, mode="train", running=None, momentum=0.9):
    """Normalize each column of z over the batch, then scale by gamma and shift by beta.

    Inputs:
      z:           (m, n) pre-activations of a minibatch, m >= 2 in "train" mode.
      gamma, beta: (n,) learned scale and shift.
      eps:         added to the variance (> 0).
      mode:        "train": use the batch's mean and variance (and update ``running``);
                   "test": use ``running`` (a dict with "mean" and "var").
      running:     dict of running statistics, updated in place in train mode as
                   running = momentum * running + (1 - momentum) * batch; may be None.
    Returns:
      (out, cache): out of shape (m, n); cache a :class:`BatchNormCache` (None in test mode).
    """
    z = np.asarray(z)
    if z.ndim != 2:
        raise ValueError(f"z must be a 2-D array (batch, units), got shape {z.shape}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    if mode == "test":
        if running is None:
            raise ValueError("mode 'test' needs running statistics (running={'mean': ..., 'var': ...})")
        inv_std = 1.0 / np.sqrt(running["var"] + eps)
        return gamma * (z - running["mean"]) * inv_std + beta, None
    if mode != "train":
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    if z.shape[0] < 2:
        raise ValueError(f"batch normalization needs a batch of at least 2 rows in train mode, got {z.shape[0]}")
    mu = z.mean(axis=0)
    centred = z - mu
    var = np.mean(centred * centred, axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    zhat = centred * inv_std
    if running is not None:
        running["mean"] = momentum * running.get("mean", mu) + (1 - momentum) * mu
        running["var"] = momentum * running.get("var", var) + (1 - momentum) * var
    return gamma * zhat + beta, BatchNormCache(zhat, inv_std, gamma)


def batchnorm_backward(dout, cache):
    """Gradients (dz, dgamma, dbeta) of the cost, given dout = dC/dout (m, n); see the module docstring."""
    zhat, inv_std, gamma = cache.zhat, cache.inv_std, cache.gamma
    m = dout.shape[0]
    dgamma = np.sum(dout * zhat, axis=0)
    dbeta = np.sum(dout, axis=0)
    dzhat = dout * gamma
    dz = (inv_std / m) * (m * dzhat - dzhat.sum(axis=0) - zhat * np.sum(dzhat * zhat, axis=0))
    return dz, dgamma, dbeta
