"""GEMM through an AVX-512 copy of NumPy's own OpenBLAS, where NumPy's picks AVX2 kernels.

NumPy's wheels bundle OpenBLAS built for many CPUs; it chooses its kernels once, when it loads,
from ``OPENBLAS_CORETYPE`` or else the CPU it detects. On this project's machines (AMD EPYC,
Zen 5, with full AVX-512) the environment sets ``OPENBLAS_CORETYPE=Haswell``, so NumPy runs the
AVX2 kernels, although OpenBLAS's "SkylakeX" (AVX-512) kernels run there and are faster. Setting
the variable from Python cannot help: NumPy's OpenBLAS has loaded when NumPy was imported.

So, when the CPU reports avx512f, avx512bw, avx512dq and avx512vl and NumPy's OpenBLAS runs a
core without AVX-512, this module can load a private copy of it. When: ``GRADLAB_BLAS=auto``
(the default) does so only where OpenBLAS chose its core by detection; an explicit
``OPENBLAS_CORETYPE`` in the environment is the user's choice, and gradlab follows it (the
machines of this project set ``OPENBLAS_CORETYPE=Haswell``, so by default nothing changes
there). ``GRADLAB_BLAS=avx512`` asks for the copy regardless; ``GRADLAB_BLAS=numpy`` (or ``0``,
``off``) never loads it. For the copy, this module copies
NumPy's library file under another name into a cache directory (``$XDG_CACHE_HOME/gradlab`` or
``~/.cache/gradlab``; a temporary directory when that is not writable) and loads the copy with
``OPENBLAS_CORETYPE=SkylakeX`` set in the environment for the moment of the load only. The
dynamic loader treats a file with another inode as another library: the copy is a second
OpenBLAS instance with its own kernels and thread pool, and NumPy's stays as it was. The copy is
the same build of the same version, so its results agree with NumPy's to float32/float64
rounding (the kernels sum in another order).

:func:`gemm` computes ``op(a) @ op(b) + beta * out`` (``op`` a transpose where asked) through
the copy's ``cblas_?gemm`` for float32/float64 2-D NumPy arrays that BLAS can read in place (one
unit stride: C-ordered, transposed views, row slices), and with ``numpy.matmul`` for anything
else, when the copy could not be loaded, or when switched off: ``GRADLAB_BLAS=numpy`` (or ``0``,
``off``) in the environment at import, or :func:`set_enabled` at run time. :func:`enabled`
says which. :func:`gemm_plan` does the checks once for a loop of same-shaped products.

Threads. The copy runs each GEMM on ``GRADLAB_BLAS_THREADS`` threads, default 1: OpenBLAS's
idle workers spin, and on this 2-core machine a spinning worker doubled the time of the NumPy
passes between the LSTM's small per-step GEMMs (a second instance's pool makes it worse), and
on a loaded machine every multi-threaded GEMM waits for a descheduled worker (ms per call).
The second core is used instead by :func:`helper`, one Python thread that sleeps when idle:
the recurrent ops hand it the GEMMs that do not lie on the sequential chain (the input
projection ahead of the loop, the weight and input gradients behind it).

Measured (2-core EPYC Zen 5, float32; "quiet" = the benchmark process under SCHED_FIFO,
``chrt -f 1``, since ~5-10 other processes were loading the machine):
- single-threaded GEMMs of the LSTM workload, NumPy's Haswell kernels -> the copy's SkylakeX:
  (512x129)@(129x64) 71 -> 45 us, (128x512)@(512x64) 229 -> 97 us (loaded),
  (512x3200)@(3200x128) 11.0 -> 6.2 ms (loaded); the copy reaches 166-226 GFLOP/s per core;
- LSTM T=50 N=64 I=32 H=128 forward + backward (benchmarks/bench_lstm.py, run_alone children,
  medians of 3 runs): quiet 12.2 -> 9.95 ms (PyTorch 6.0; ratio 2.1 -> 1.7); at load ~2,
  12.5 -> 10.6 ms (PyTorch 6.0; 2.05 -> 1.76); all single-threaded, quiet: 18.7 -> 13.5 ms
  (PyTorch 10.2 ms); at load ~10: 48 -> 35 ms single-threaded, 330 -> 49 ms with 2 threads;
- GRU: 9.9 -> 9.2-9.5 ms (PyTorch 15.4 ms);
- the copy with 2 threads: 12.6 ms on the LSTM without the helper thread (its GEMMs 6.7 ms,
  but the NumPy passes 4.3 -> 9 ms next to the spinning worker); loaded: 290 ms.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import hashlib
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = [
    "gemm",
    "numpy_gemm",
    "enabled",
    "set_enabled",
    "core_name",
    "num_threads",
    "set_num_threads",
    "axpby",
    "gemm_plan",
    "helper",
]

AVX512_FLAGS = ("avx512f", "avx512bw", "avx512dq", "avx512vl")
"""The CPU features OpenBLAS's SkylakeX kernels need."""

AVX512_CORES = frozenset({"skylakex", "cooperlake", "sapphirerapids"})
"""OpenBLAS core names whose kernels already use AVX-512 (no copy needed)."""

TARGET_CORE = "SkylakeX"

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_FLOAT_TYPES = {np.dtype(np.float32): ctypes.c_float, np.dtype(np.float64): ctypes.c_double}

_lock = threading.Lock()
_state: dict | None = None  # filled by _load(): {"lib", "gemm": {dtype: fn}, "axpby": {...}}
_threads = 1
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_MODE = os.environ.get("GRADLAB_BLAS", "auto").lower()
_active = _MODE not in ("numpy", "0", "off")
_force = _MODE == "avx512"  # load the copy even where OPENBLAS_CORETYPE chose NumPy's core
_USER_CORETYPE = os.environ.get("OPENBLAS_CORETYPE")  # as NumPy's OpenBLAS saw it at load


# --- detection ---------------------------------------------------------------------------


def cpu_flags(path: str = "/proc/cpuinfo") -> frozenset:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where there is none)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def numpy_openblas_path() -> str | None:
    """The OpenBLAS shared library bundled in NumPy's wheel, or None (e.g. NumPy on MKL)."""
    root = os.path.dirname(os.path.dirname(np.__file__))
    paths = sorted(glob.glob(os.path.join(root, "numpy.libs", "libscipy_openblas*.so*")))
    return paths[0] if paths else None


def _prefix(lib) -> str:
    """The symbol decoration of this OpenBLAS build: ``scipy_`` + name + ``64_`` in NumPy's.

    Only builds with 64-bit integers (``64_`` names) are accepted: the bindings pass int64.
    """
    for pre, post in (("scipy_", "64_"), ("", "64_")):
        if hasattr(lib, f"{pre}cblas_sgemm{post}"):
            return pre + "|" + post
    raise OSError("no cblas_sgemm symbol")


def _symbol(lib, name: str):
    pre, post = lib._gradlab_decoration.split("|")
    return getattr(lib, f"{pre}{name}{post}")


def library_core(lib) -> str:
    """The core name (e.g. ``"Haswell"``) an OpenBLAS library chose when it loaded."""
    fn = _symbol(lib, "openblas_get_corename")
    fn.restype = ctypes.c_char_p
    fn.argtypes = []
    return fn().decode()


def needs_private_copy(flags, core: str) -> bool:
    """Whether an AVX-512 copy would help: the CPU has the features and ``core`` lacks them."""
    return all(f in flags for f in AVX512_FLAGS) and core.lower() not in AVX512_CORES


# --- loading -----------------------------------------------------------------------------


def _cache_dirs():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    yield os.path.join(base, "gradlab")
    yield os.path.join(tempfile.gettempdir(), f"gradlab-{os.getuid()}")


def _private_copy(src: str) -> str:
    """A copy of ``src`` under a distinct name, written atomically (tests run in parallel)."""
    info = os.stat(src)
    tag = hashlib.sha1(f"{src}:{info.st_size}:{info.st_mtime_ns}".encode()).hexdigest()[:12]
    name = f"gradlab-openblas-{TARGET_CORE.lower()}-{tag}.so"
    for directory in _cache_dirs():
        dst = os.path.join(directory, name)
        if os.path.exists(dst) and os.path.getsize(dst) == info.st_size:
            return dst
        tmp = None
        try:
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, suffix=".part")
            with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
                shutil.copyfileobj(f, out)
            os.chmod(tmp, 0o755)
            os.replace(tmp, dst)
            return dst
        except OSError:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            continue
    raise OSError("no writable cache directory for the OpenBLAS copy")


@contextlib.contextmanager
def _environ(**values):
    """Set environment variables (seen by C's getenv) for the duration of a block."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _bind(lib) -> dict:
    i32, i64, ptr = ctypes.c_int, ctypes.c_int64, ctypes.c_void_p
    gemms, axpbys = {}, {}
    for dtype, real in _FLOAT_TYPES.items():
        letter = "s" if dtype == np.float32 else "d"
        fn = _symbol(lib, f"cblas_{letter}gemm")
        fn.argtypes = [i32, i32, i32, i64, i64, i64, real, ptr, i64, ptr, i64, real, ptr, i64]
        fn.restype = None
        gemms[dtype] = fn
        fn = _symbol(lib, f"cblas_{letter}axpby")
        fn.argtypes = [i64, real, ptr, i64, real, ptr, i64]
        fn.restype = None
        axpbys[dtype] = fn
    return {"lib": lib, "gemm": gemms, "axpby": axpbys}


def _threads_setting() -> int:
    try:
        return max(1, int(os.environ.get("GRADLAB_BLAS_THREADS", "1")))
    except ValueError:
        return 1


def _load() -> dict:
    """Load the AVX-512 copy when it helps and is allowed (``_force``, or no explicit
    ``OPENBLAS_CORETYPE``); {} (NumPy's matmul everywhere) otherwise."""
    src = numpy_openblas_path()
    if src is None or (_USER_CORETYPE and not _force):
        return {}
    try:
        numpy_lib = ctypes.CDLL(src)  # already loaded by NumPy: this is NumPy's instance
        numpy_lib._gradlab_decoration = _prefix(numpy_lib)
        if not needs_private_copy(cpu_flags(), library_core(numpy_lib)):
            return {}
        threads = str(_threads_setting())
        with _environ(OPENBLAS_CORETYPE=TARGET_CORE, OPENBLAS_NUM_THREADS=threads):
            lib = ctypes.CDLL(_private_copy(src))
        lib._gradlab_decoration = _prefix(lib)
        global _threads
        _threads = int(threads)
        if library_core(lib).lower() != TARGET_CORE.lower():
            return {}
        return _bind(lib)
    except (OSError, AttributeError):
        return {}


def _get() -> dict:
    global _state
    if _state is None:
        with _lock:
            if _state is None:
                _state = _load()
    return _state


def enabled() -> bool:
    """True when :func:`gemm` runs through the AVX-512 copy (loading it on first call)."""
    return _active and bool(_get())


def set_enabled(flag: bool) -> bool:
    """Use the AVX-512 copy (when it loads) or NumPy's matmul from now on; returns the old
    setting. The initial setting: off when ``GRADLAB_BLAS`` is ``numpy``, ``0`` or ``off``."""
    global _active
    old, _active = _active, bool(flag)
    return old


def core_name() -> str | None:
    """The core of the copy in use (``"SkylakeX"``), or None when NumPy's matmul is used."""
    state = _get()
    return library_core(state["lib"]) if state else None


def num_threads() -> int:
    """Threads the copy's GEMMs use."""
    return _threads


def set_num_threads(n: int) -> None:
    """Threads the copy's GEMMs may use (its default: ``GRADLAB_BLAS_THREADS``, else 1).

    One is the default because OpenBLAS's idle workers spin: on this 2-core machine a second
    thread made the LSTM's small per-step GEMMs ~30% faster but doubled the time of the
    NumPy passes between them (12.6 -> 15.6 ms per LSTM step in all), and on a loaded
    machine each multi-threaded GEMM waits for a descheduled worker (up to ms per call).
    """
    global _threads
    state = _get()
    if state:
        fn = _symbol(state["lib"], "openblas_set_num_threads")
        fn.argtypes = [ctypes.c_int]
        fn(int(n))
        _threads = int(n)


def helper() -> ThreadPoolExecutor | None:
    """One persistent helper thread for work that can overlap the caller's, or None.

    None unless the AVX-512 copy is enabled with one thread and the process may use two CPUs
    (then the helper's GEMMs and the caller's work each have a core). The helper waits on a
    lock when idle: it does not spin. A forked child gets a fresh one.
    """
    global _pool, _pool_pid
    if not (_active and _threads == 1 and _get()):
        return None
    if _pool is None or _pool_pid != os.getpid():
        with _lock:
            if _pool is None or _pool_pid != os.getpid():
                try:
                    cpus = len(os.sched_getaffinity(0))
                except AttributeError:
                    cpus = os.cpu_count() or 1
                if cpus < 2:
                    return None
                _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradlab-blas")
                _pool_pid = os.getpid()
    return _pool


# --- the operations ----------------------------------------------------------------------


def _operand(a):
    """(transpose flag, leading dimension) for BLAS to read ``a`` in place, or None."""
    s0, s1 = a.strides
    item = a.itemsize
    rows, cols = a.shape
    if s1 == item and s0 % item == 0 and s0 // item >= max(cols, 1):
        return _NO_TRANS, s0 // item
    if s0 == item and s1 % item == 0 and s1 // item >= max(rows, 1):
        return _TRANS, s1 // item
    if rows == 1 and s1 == item:  # a single row: any first stride will do
        return _NO_TRANS, max(cols, 1)
    if cols == 1 and s0 == item:
        return _TRANS, max(rows, 1)
    return None


def numpy_gemm(a, b, out=None, trans_a: bool = False, trans_b: bool = False, beta=0.0):
    """:func:`gemm` with NumPy alone (``beta`` costs a temporary and one or two passes)."""
    if trans_a:
        a = a.T
    if trans_b:
        b = b.T
    if out is None:
        return np.matmul(a, b)
    if not beta:
        return np.matmul(a, b, out=out)
    product = np.matmul(a, b)
    if beta != 1:
        out *= beta
    out += product
    return out


def gemm(a, b, out=None, trans_a: bool = False, trans_b: bool = False, beta=0.0):
    """``op(a) @ op(b) + beta * out`` for 2-D arrays, ``op(x)`` being ``x.T`` where ``trans_x``.

    a: (M, K) ((K, M) with trans_a), b: (K, N) ((N, K) with trans_b); returns (M, N), written
    into ``out`` when given ((M, N), the result dtype; it must not overlap a or b; ``beta``
    needs it). The AVX-512 copy computes it when loaded and enabled and the operands allow
    (one float32/float64 dtype, aligned, one unit stride each, ``out`` C-contiguous);
    :func:`numpy_gemm` otherwise, with the same results to rounding.
    """
    if not _active:
        return numpy_gemm(a, b, out, trans_a, trans_b, beta)
    state = _state if _state is not None else _get()
    if trans_a:
        a = a.T
    if trans_b:
        b = b.T
    if state and type(a) is np.ndarray and type(b) is np.ndarray:
        dtype = a.dtype
        fn = state["gemm"].get(dtype)
        if fn is not None and a.ndim == 2 and b.ndim == 2 and b.dtype == dtype:
            m, k = a.shape
            n = b.shape[1]
            if b.shape[0] == k and m and n and k and a.flags.aligned and b.flags.aligned:
                op_a, op_b = _operand(a), _operand(b)
                if op_a is not None and op_b is not None:
                    if out is None:
                        out = np.empty((m, n), dtype)
                        beta = 0.0
                    elif not (
                        type(out) is np.ndarray
                        and out.dtype == dtype
                        and out.shape == (m, n)
                        and out.flags.c_contiguous
                        and out.flags.writeable
                        and out.flags.aligned
                        and not np.may_share_memory(out, a)
                        and not np.may_share_memory(out, b)
                    ):
                        return numpy_gemm(a, b, out, beta=beta)
                    ta, lda = op_a
                    tb, ldb = op_b
                    fn(_ROW_MAJOR, ta, tb, m, n, k, 1.0, a.ctypes.data, lda,
                       b.ctypes.data, ldb, beta, out.ctypes.data, n)  # fmt: skip
                    return out
    return numpy_gemm(a, b, out, beta=beta)


def gemm_plan(a, b, out, beta=0.0):
    """A function ``run(b_ptr, out_ptr)`` computing ``a @ B + beta * OUT`` through the copy for
    arrays B, OUT laid out exactly as ``b`` and ``out`` (same shape, strides, dtype) at the
    given data addresses, or None when :func:`gemm` would not use the copy for them.

    For loops that multiply by one matrix many times: the checks and ``a``'s address are done
    once (a :func:`gemm` call costs ~5 us of Python, ``run`` ~1 us). The caller keeps the
    arrays at those addresses alive and shaped as planned.
    """
    if not _active:
        return None
    state = _state if _state is not None else _get()
    if not state or not all(type(v) is np.ndarray for v in (a, b, out)):
        return None
    dtype = a.dtype
    fn = state["gemm"].get(dtype)
    if fn is None or a.ndim != 2 or b.ndim != 2 or b.dtype != dtype or out.dtype != dtype:
        return None
    m, k = a.shape
    n = b.shape[1]
    op_a, op_b = _operand(a), _operand(b)
    if (
        b.shape[0] != k
        or out.shape != (m, n)
        or not (m and n and k)
        or op_a is None
        or op_b is None
        or not (a.flags.aligned and b.flags.aligned and out.flags.aligned)
        or not (out.flags.c_contiguous and out.flags.writeable)
    ):
        return None
    (ta, lda), (tb, ldb) = op_a, op_b
    pa = a.ctypes.data
    keep = a  # referenced by the closure: a's memory stays valid

    def run(pb, pc):
        fn(_ROW_MAJOR, ta, tb, m, n, k, 1.0, pa, lda, pb, ldb, beta, pc, n)

    run.keep = keep
    return run


def axpby(alpha: float, x, beta: float, y) -> bool:
    """``y = alpha*x + beta*y`` in place through the copy; False (nothing done) when it cannot.

    x, y: C-contiguous NumPy arrays of one shape and dtype (float32/float64), y writeable;
    anything else returns False. (Measured on SGD's update: no faster than NumPy's OpenBLAS
    ``?axpby``; the pass is memory-bound.)
    """
    state = (_state if _state is not None else _get()) if _active else None
    if not state or not all(type(v) is np.ndarray for v in (x, y)):
        return False
    fn = state["axpby"].get(y.dtype)
    if (
        fn is None
        or x.dtype != y.dtype
        or x.shape != y.shape
        or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
        or not (x.flags.aligned and y.flags.aligned)
    ):
        return False
    fn(y.size, alpha, x.ctypes.data, 1, beta, y.ctypes.data, 1)
    return True
