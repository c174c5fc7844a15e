"""The optimizers' readable NumPy updates (the references) against PyTorch, with the compiled
kernels of ``gradlab[fast]`` switched off (with them on, test_optimizers.py covers them)."""

import pytest
from test_optimizers import CASES, _float64_torch, _run  # noqa: F401  (fixture used by _run)

from gradlab import optim
from gradlab._fast import compiled

torch = pytest.importorskip("torch")


@pytest.fixture
def references_only():
    old = compiled.set_enabled(False)
    yield
    compiled.set_enabled(old)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_reference_trajectory_matches_torch(name, kwargs, references_only):
    before = sum(compiled.CALLS.values())
    _run(getattr(optim, name), getattr(torch.optim, name), kwargs)
    assert sum(compiled.CALLS.values()) == before  # no compiled kernel ran
