"""gradlab.nn: modules, layers, activations, losses, initializers (PyTorch's names).

Each concept lives in its own file; this package re-exports their public names.
"""

from gradlab.nn import (
    functional,
    init,
    modules,  # noqa: E402  (after every layer: it re-exports them)
    utils,
)
from gradlab.nn.activations import *  # noqa: F403
from gradlab.nn.attention import *  # noqa: F403
from gradlab.nn.classification_losses import *  # noqa: F403
from gradlab.nn.containers import *  # noqa: F403
from gradlab.nn.conv import *  # noqa: F403
from gradlab.nn.conv_transpose import *  # noqa: F403
from gradlab.nn.dropout import *  # noqa: F403
from gradlab.nn.embedding import *  # noqa: F403
from gradlab.nn.focal import *  # noqa: F403
from gradlab.nn.linear import *  # noqa: F403
from gradlab.nn.losses import *  # noqa: F403
from gradlab.nn.module import Module, Parameter
from gradlab.nn.normalization import *  # noqa: F403
from gradlab.nn.overlap_losses import *  # noqa: F403
from gradlab.nn.pooling import *  # noqa: F403
from gradlab.nn.recurrent import *  # noqa: F403
from gradlab.nn.regularizers import *  # noqa: F403
from gradlab.nn.transformer import *  # noqa: F403
from gradlab.nn.upsampling import *  # noqa: F403


def __getattr__(name):
    # Only names not defined above get here: a PyTorch name says it is not implemented.
    from gradlab.missing import missing

    raise missing("gradlab.nn", name)
