"""course_lib.data: the data sets of the course, below everything that uses them.

    mnist      load_mnist, prepare_mnist: MNIST verified against the published
               checksums and cached (``python -m course_lib.data`` prepares it)
    synthetic  spiral, circles, flower, saturation_input: small sets drawn from an rng
"""
from .mnist import (
    MIRRORS,
    MNIST,
    MNIST_FILES,
    MNIST_SHA256,
    SOURCES,
    CacheInfo,
    ChecksumError,
    LabeledData,
    MNISTUnavailableError,
    idx_header,
    idx_sha256,
    load_mnist,
    one_hot,
    parse_mnist_csv,
    prepare_mnist,
    read_idx,
    resolve_data_dir,
    to_idx_bytes,
)
from .synthetic import circles, flower, saturation_input, spiral

__all__ = [
    "load_mnist", "prepare_mnist", "MNIST", "LabeledData", "CacheInfo", "ChecksumError",
    "MNISTUnavailableError", "one_hot", "resolve_data_dir", "read_idx", "idx_header", "idx_sha256",
    "to_idx_bytes", "parse_mnist_csv", "MNIST_FILES", "MNIST_SHA256", "MIRRORS", "SOURCES",
    "spiral", "circles", "flower", "saturation_input",
]
