"""PyTorch's ``torch.nn.modules.pooling``: the same classes as gradlab.nn's."""

from gradlab.nn.pooling import *  # noqa: F403
