"""gradlab._fast.allocator: glibc keeps freed memory when asked, so a step's arrays do not fault
in again; nothing is asked at ``import gradlab``."""

import subprocess
import sys
from pathlib import Path

import pytest

import gradlab
from gradlab._fast import allocator

glibc = pytest.mark.skipif(allocator._mallopt() is None, reason="the C library is not glibc")

FAULTS = """
import resource, sys, numpy as np, gradlab
if sys.argv[1] == "configure":
    gradlab.configure_allocator()
def step():  # a step's activations: several 8 MB arrays alive at once, then all freed
    arrays = [np.empty(2_000_000, np.float32) for _ in range(4)]
    for a in arrays:
        a.fill(1.0)  # first touch of every page
    del arrays, a
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(setting: str, configure: bool = True) -> int:
    src = str(Path(gradlab.__file__).parent.parent)
    env = {"GRADLAB_MALLOC": setting, "PATH": "/usr/bin:/bin", "PYTHONPATH": src}
    argv = [sys.executable, "-c", FAULTS, "configure" if configure else "import-only"]
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return int(out.stdout.strip())


@glibc
def test_configure_applies_every_setting_on_glibc():
    assert allocator.configure({}) == {
        "mmap_threshold": 32 << 20,
        "trim_threshold": 1 << 30,
        "top_pad": 256 << 20,
    }


def test_system_leaves_the_allocator_alone():
    assert allocator.configure({"GRADLAB_MALLOC": "system"}) == {}


def test_an_unknown_setting_is_named_in_the_error():
    with pytest.raises(ValueError, match="GRADLAB_MALLOC: expected 'system' or 'keep', got 'fast'"):
        allocator.configure({"GRADLAB_MALLOC": "fast"})


@glibc
def test_reallocated_arrays_do_not_fault_in_again():
    # 20 steps of four 8 MB arrays (~2,000 pages each): glibc's defaults give the freed heap
    # back and fault it in again (43,211 faults here); kept, none come back
    kept, system = _page_faults("keep"), _page_faults("system")
    assert system > 20_000
    assert kept < 2_000


@glibc
def test_importing_gradlab_leaves_the_allocator_alone():
    # without configure_allocator(), glibc's defaults hold: the freed arrays fault in again
    assert _page_faults("keep", configure=False) > 20_000
