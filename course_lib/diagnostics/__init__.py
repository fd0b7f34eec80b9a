"""course_lib.diagnostics: measuring a network, built on course_lib.nn only.

    layer_stats    layer_statistics, gradient_norms: per-layer mean, std, saturation
    gradient_flow  error signals and bias-gradient norms per layer (how fast each layer learns)
    jacobians      input-output Jacobians and their singular values
    mean_field     mean-field theory: gaussian_expectation, the length map, chi1, critical_gain
"""
from .layer_stats import SATURATION_TOL, LayerStats, format_layer_statistics, gradient_norms, layer_statistics

__all__ = ["LayerStats", "layer_statistics", "gradient_norms", "format_layer_statistics", "SATURATION_TOL"]
