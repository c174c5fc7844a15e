"""gradlab.linspace gives torch.linspace's values bit for bit, in every dtype (the
polynomial compat programs fit on such a grid)."""

import math

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32"])
@pytest.mark.parametrize(
    "start, end, steps",
    [(-math.pi, math.pi, 2000), (0, 1, 1001), (-3.3, 7.1, 777), (5, -5, 33), (1, 1, 5),
     (0, 1, 2), (0, 1, 1), (0, 1, 0), (-1e3, 3e4, 5000)],
)  # fmt: skip
def test_linspace_matches_torch_bit_for_bit(start, end, steps, dtype):
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
    ours = gradlab.linspace(start, end, steps, dtype=getattr(gradlab, dtype)).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
