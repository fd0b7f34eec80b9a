"""Run the tests once per OpenBLAS kernel this CPU can execute (``make test-kernels``).

numpy's matrix products go to OpenBLAS, which picks a kernel for the CPU it finds
(here AVX-512 "SkylakeX"; a laptop gets "Haswell", an older server "Sandybridge").
The kernels sum in different orders and with or without fused multiply-adds, so the
same seeded computation differs in the last bits from one machine to the next. A
chaotic training run turns that into a different outcome, and a round-off-limited
number into a different printout. This script runs the suite under each kernel so
that a claim which only holds on the author's machine fails here first.

For each kernel it sets, for the child process only:

* ``OPENBLAS_CORETYPE=<kernel>`` and removes ``OPENBLAS_L2_SIZE`` (which would
  otherwise override the kernel's cache blocking);
* ``NPY_DISABLE_CPU_FEATURES``: numpy's own vectorized loops (exp, tanh, log, sums)
  are also chosen per CPU (AVX-512, AVX2 or baseline SSE), and their float32 results
  differ in the last bit too, so a "Haswell" run also caps numpy at AVX2 and a
  "Sandybridge" run at its baseline: what a real machine of that kind would compute.

A kernel whose instructions this CPU lacks (from the flags in /proc/cpuinfo) is
skipped with a message. Each kernel's run is checked to really use that kernel
(threadpoolctl reports OpenBLAS's choice).

Usage (from the repository root, inside the course's venv):

    python .ci/kernel_matrix.py [--kernels Haswell,SkylakeX,Sandybridge] [--jobs 2]
                                [--part tests=ARGS] ... 

Each kernel runs the parts (by default the unit tests, without the tests marked
``blas_independent``, and the notebooks), and up to ``--jobs`` runs go in parallel.
Exit status 1 if any run failed.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import time

# kernel -> (cpuinfo flags it needs, numpy dispatch targets a CPU of that generation has)
KERNELS = {
    "Haswell": ({"avx2", "fma"},
                {"SSE", "SSE2", "SSE3", "SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3", "AVX2",
                 "X86_V2", "X86_V3"}),
    "SkylakeX": ({"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"},
                 {"SSE", "SSE2", "SSE3", "SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3", "AVX2",
                  "AVX512F", "AVX512CD", "AVX512_SKX", "X86_V2", "X86_V3", "X86_V4"}),
    "Sandybridge": ({"avx"},
                    {"SSE", "SSE2", "SSE3", "SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "X86_V2"}),
}
DEFAULT_PARTS = {
    "unit tests": ["tests", "-m", "not blas_independent and not slow_install"],
    "notebooks": ["notebooks"],
}


def cpu_flags(path="/proc/cpuinfo"):
    """The instruction-set flags of the first CPU in /proc/cpuinfo (empty set if unreadable)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def numpy_features_to_disable(allowed):
    """numpy's dispatched SIMD targets that this CPU has but a CPU of the kernel's
    generation would not (only names numpy knows, so it does not warn)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return [f for f in __cpu_dispatch__ if __cpu_features__.get(f) and f not in allowed]


def kernel_env(kernel, threads=None):
    env = dict(os.environ)
    env.pop("OPENBLAS_L2_SIZE", None)
    env["OPENBLAS_CORETYPE"] = kernel
    disable = numpy_features_to_disable(KERNELS[kernel][1])
    if disable:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disable)
    else:
        env.pop("NPY_DISABLE_CPU_FEATURES", None)
    if threads:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    return env


PROBE = ("import json, numpy, threadpoolctl; "
         "info = [i for i in threadpoolctl.threadpool_info() if i.get('internal_api') == 'openblas']; "
         "print(json.dumps(info[0].get('architecture') if info else None))")


def architecture(env):
    """The kernel OpenBLAS really uses under ``env`` (None: numpy does not use OpenBLAS)."""
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(kernel, part, args, env):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", *args], env=env, capture_output=True, text=True)
    return kernel, part, proc.returncode, time.perf_counter() - start, proc.stdout + proc.stderr


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kernels", default=",".join(KERNELS),
                        help=f"comma-separated, from {', '.join(KERNELS)} (default: all)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="runs in parallel (default: 2, or 1 on a 1-core machine)")
    parser.add_argument("--threads", type=int, default=None,
                        help="OPENBLAS_NUM_THREADS for every run (default: 1 when --jobs > 1, else inherited)")
    parser.add_argument("--part", action="append", metavar="NAME=PYTEST ARGS",
                        help="replace the default parts (unit tests, notebooks) by these")
    opts = parser.parse_args(argv)
    parts = DEFAULT_PARTS
    if opts.part:
        parts = {name: shlex.split(args) for name, args in (p.split("=", 1) for p in opts.part)}
    threads = opts.threads or (1 if opts.jobs > 1 else None)

    flags = cpu_flags()
    jobs = []
    for kernel in opts.kernels.split(","):
        if kernel not in KERNELS:
            parser.error(f"--kernels: unknown kernel {kernel!r}; known: {', '.join(KERNELS)}")
        missing = KERNELS[kernel][0] - flags
        if missing:
            print(f"skip {kernel}: this CPU lacks {' '.join(sorted(missing))} (from /proc/cpuinfo)")
            continue
        env = kernel_env(kernel, threads)
        used = architecture(env)
        if used is None:
            print(f"skip {kernel}: numpy does not use OpenBLAS here, so OPENBLAS_CORETYPE has no effect")
            continue
        if used.lower() != kernel.lower():
            print(f"FAIL {kernel}: OpenBLAS ignored OPENBLAS_CORETYPE and used {used}")
            return 1
        print(f"{kernel}: OpenBLAS kernel {used}, numpy SIMD without [{env.get('NPY_DISABLE_CPU_FEATURES', '')}]"
              f"{f', OPENBLAS_NUM_THREADS={threads}' if threads else ''}")
        jobs += [(kernel, part, args, env) for part, args in parts.items()]
    if not jobs:
        print("no OpenBLAS kernel to test on this machine")
        return 0

    start = time.perf_counter()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        for result in pool.map(lambda job: run(*job), jobs):
            kernel, part, code, seconds, output = result
            summary = output.strip().splitlines()[-1] if output.strip() else ""
            print(f"{'ok  ' if code == 0 else 'FAIL'} {kernel:<12} {part:<11} {seconds:6.0f} s  {summary}", flush=True)
            results.append(result)
    failed = [r for r in results if r[2] != 0]
    for kernel, part, _, _, output in failed:
        print(f"\n===== {kernel}, {part}: output =====\n{output}")
    print(f"kernel matrix: {len(results) - len(failed)} of {len(results)} runs passed "
          f"in {time.perf_counter() - start:.0f} s wall time")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
