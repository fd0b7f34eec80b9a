""".ci/kernel_matrix.py (``make test-kernels``): which kernels run, and the environment each run gets."""
import importlib.util
from pathlib import Path

import pytest

# Nothing here computes with BLAS: the kernel matrix itself need not run under every kernel.
pytestmark = pytest.mark.blas_independent

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "kernel_matrix.py"
spec = importlib.util.spec_from_file_location("kernel_matrix", SCRIPT)
km = importlib.util.module_from_spec(spec)
spec.loader.exec_module(km)


def test_cpu_flags_reads_the_first_flags_line(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    assert km.cpu_flags(cpuinfo) == {"fpu", "sse2", "avx", "avx2", "fma"}
    assert km.cpu_flags(tmp_path / "missing") == set()


def test_a_cpu_without_avx512_skips_skylakex_only():
    avx2_laptop = {"sse2", "avx", "avx2", "fma"}
    runnable = [k for k, (needs, _) in km.KERNELS.items() if needs <= avx2_laptop]
    assert runnable == ["Haswell", "Sandybridge"]


def test_each_run_sets_the_kernel_and_unsets_the_l2_size(monkeypatch):
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "1048576")
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Prescott")
    env = km.kernel_env("Sandybridge", threads=1)
    assert env["OPENBLAS_CORETYPE"] == "Sandybridge" and "OPENBLAS_L2_SIZE" not in env
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    # numpy's SIMD is capped at the kernel's generation: a Sandybridge has no AVX2 (X86_V3) loops
    disabled = env.get("NPY_DISABLE_CPU_FEATURES", "").split()
    assert not set(disabled) & km.KERNELS["Sandybridge"][1]
    # only for that run: this process's environment is untouched
    import os

    assert os.environ["OPENBLAS_L2_SIZE"] == "1048576" and os.environ["OPENBLAS_CORETYPE"] == "Prescott"


def test_an_unknown_kernel_is_a_clear_error(capsys):
    with pytest.raises(SystemExit):
        km.main(["--kernels", "Pentium"])
    assert "unknown kernel 'Pentium'" in capsys.readouterr().err
