"""PyTorch's ``torch.nn.modules.activation``: the same classes as gradlab.nn's."""

from gradlab.nn.activations import *  # noqa: F403
from gradlab.nn.attention import *  # noqa: F403
