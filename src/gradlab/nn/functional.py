"""gradlab.nn.functional: the stateless forms of layers, activations and losses
(``F.relu(x)``, ``F.cross_entropy(logits, target)``), as ``torch.nn.functional``.

Each function is defined beside its module class in the concept's own file; this file
gathers them under PyTorch's namespace.
"""

from gradlab.nn.activations import (  # noqa: F401
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    prelu,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    step,
    tanh,
)
from gradlab.nn.attention import scaled_dot_product_attention  # noqa: F401
from gradlab.nn.classification_losses import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    kl_div,
    nll_loss,
)
from gradlab.nn.conv import conv2d  # noqa: F401
from gradlab.nn.conv_transpose import conv1d, conv_transpose2d  # noqa: F401
from gradlab.nn.dropout import dropout, dropout1d, dropout2d  # noqa: F401
from gradlab.nn.embedding import (
    embedding,  # noqa: F401
    one_hot,  # noqa: F401
)
from gradlab.nn.focal import focal_loss, sigmoid_focal_loss  # noqa: F401
from gradlab.nn.linear import linear  # noqa: F401
from gradlab.nn.losses import (  # noqa: F401
    huber_loss,
    l1_loss,
    mse_loss,
    quantile_loss,
    smooth_l1_loss,
)
from gradlab.nn.normalization import batch_norm, layer_norm  # noqa: F401
from gradlab.nn.overlap_losses import dice_loss, jaccard_loss  # noqa: F401
from gradlab.nn.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
from gradlab.nn.upsampling import interpolate  # noqa: F401
from gradlab.ops import pad  # noqa: F401


def __getattr__(name):
    # Only names not defined above get here: a PyTorch name says it is not implemented.
    from gradlab.missing import missing

    raise missing("gradlab.nn.functional", name)
