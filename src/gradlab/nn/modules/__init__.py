"""PyTorch's ``torch.nn.modules`` namespace: every layer class of :mod:`gradlab.nn`, and the
submodules (``loss``, ``linear``, ``conv``, ``activation`` ...) PyTorch programs import from
(``from torch.nn.modules.loss import _Loss``)."""

from gradlab.nn.modules import (
    activation,
    batchnorm,
    container,
    conv,
    dropout,
    flatten,
    linear,
    loss,
    module,
    normalization,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)
from gradlab.nn.modules.activation import *  # noqa: F403
from gradlab.nn.modules.container import *  # noqa: F403
from gradlab.nn.modules.conv import *  # noqa: F403
from gradlab.nn.modules.dropout import *  # noqa: F403
from gradlab.nn.modules.linear import *  # noqa: F403
from gradlab.nn.modules.loss import *  # noqa: F403
from gradlab.nn.modules.module import Module
from gradlab.nn.modules.normalization import *  # noqa: F403
from gradlab.nn.modules.pooling import *  # noqa: F403
from gradlab.nn.modules.rnn import *  # noqa: F403
from gradlab.nn.modules.sparse import *  # noqa: F403
from gradlab.nn.modules.transformer import *  # noqa: F403
from gradlab.nn.modules.upsampling import *  # noqa: F403

__all__ = [
    "Module", "activation", "batchnorm", "container", "conv", "dropout", "flatten", "linear",
    "loss", "module", "normalization", "pooling", "rnn", "sparse", "transformer", "upsampling",
]  # fmt: skip
