"""gradlab: a deep-learning framework on NumPy whose computation graph you can see.

Re-exports only; each concept lives in its own module.
"""

from gradlab import autograd  # noqa: I001  (autograd before tensor: see autograd.py)
from gradlab.tensor import Tensor
from gradlab import ops
from gradlab.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from gradlab.autograd_api import inference_mode, is_inference_mode_enabled
from gradlab.backend import (
    device,
    get_default_device,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_default_device,
    set_default_dtype,
    set_rng_state,
)
from gradlab.backend import _generator as default_generator
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
from gradlab.ops.promotion import can_cast, promote_types, result_type


from gradlab import accelerator, cuda, data, explain, linalg, nn, optim, special, train  # noqa: E402
from gradlab.train.checkpoint import CheckpointError  # noqa: E402
from gradlab.nn.reference.switch import (  # noqa: E402
    are_reference_kernels_enabled,
    reference_kernels,
    use_reference_kernels,
)
from gradlab.serialization import load, save  # noqa: E402
from gradlab import backends, distributions, utils  # noqa: E402
from gradlab.dtypes import *  # noqa: E402, F403  (gradlab.float32, gradlab.long, ...)
from gradlab.dtypes import is_floating_point  # noqa: E402
from gradlab.generator import Generator  # noqa: E402
from gradlab.linalg_legacy import torch_cholesky as cholesky  # noqa: E402
from gradlab.linalg_legacy import torch_pinverse as pinverse  # noqa: E402
from gradlab.linalg_legacy import torch_qr as qr  # noqa: E402
from gradlab.linalg_legacy import torch_svd as svd  # noqa: E402
from gradlab._fast.allocator import configure as configure_allocator  # noqa: E402

import numpy as _np  # noqa: E402

float_ = _np.float32
bool_ = _np.bool_

__version__ = "0.1.0"


def __getattr__(name):
    """``gradlab.keras`` and ``gradlab.math`` load on first use, so ``import gradlab as tf``
    gives ``tf.keras.*`` and ``tf.math.exp`` without importing them at ``import gradlab``.
    Any other name not defined above is a PyTorch name gradlab lacks: the error says so."""
    import importlib

    if name == "keras":
        return importlib.import_module("gradlab.keras")
    if name == "math":
        return importlib.import_module("gradlab.keras.tf_math")
    from gradlab.missing import missing

    raise missing("gradlab", name)
