"""BLAS threads: one context manager, used wherever the course multiplies small matrices.

numpy hands matrix products to a BLAS library (OpenBLAS here) that may run several
threads. At the course's sizes (a minibatch of 10 against a 784 x 100 matrix; a
1,000 x 100 batch through 100 x 100 layers) a second thread saves almost nothing,
and on a busy 2-core machine its spin-waiting can cost several times the CPU time
(benchmarks/bench_training.py and bench_widgets.py measure both). So training,
the widgets and the MNIST reproduction run inside :func:`single_blas_thread`.

It uses threadpoolctl (a small runtime dependency) and changes no environment
variable; without threadpoolctl or a BLAS it finds, it does nothing.
"""
from __future__ import annotations

import contextlib

__all__ = ["single_blas_thread"]

_CONTROLLER = []


def single_blas_thread():
    """A context manager that limits BLAS to one thread inside it and restores it after."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
        except Exception:  # not installed, or no BLAS found: leave the threads alone
            _CONTROLLER.append(None)
    controller = _CONTROLLER[0]
    return contextlib.nullcontext() if controller is None else controller.limit(limits=1, user_api="blas")
