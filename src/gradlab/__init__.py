"""gradlab: a deep-learning framework on NumPy whose computation graph you can see.

Re-exports only; each concept lives in its own module.
"""

from gradlab import allocator  # noqa: I001  (first: see allocator.py)

ALLOCATOR_SETTINGS = allocator.configure()
"""What gradlab set in glibc's allocator at import ({} with ``GRADLAB_MALLOC=system``)."""

from gradlab import autograd  # noqa: E402, I001  (autograd before tensor: see autograd.py)
from gradlab.tensor import Tensor
from gradlab import ops
from gradlab.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from gradlab.backend import (
    device,
    default_generator,
    get_default_dtype,
    get_rng_state,
    manual_seed,
    set_default_dtype,
    set_rng_state,
)
from gradlab.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from gradlab.ops import *  # noqa: F403


from gradlab import accelerator, cuda, data, explain, nn, optim, train  # noqa: E402
from gradlab.train.checkpoint import CheckpointError, load, save  # noqa: E402

import numpy as _np  # noqa: E402

float16 = _np.float16
float32 = float_ = _np.float32
float64 = double = _np.float64
int32 = _np.int32
int64 = long = _np.int64
bool_ = _np.bool_
uint8 = _np.uint8

__version__ = "0.1.0"
