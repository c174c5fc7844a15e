"""PyTorch's ``torch.nn.modules.linear``: the same classes as gradlab.nn's."""

from gradlab.nn.linear import *  # noqa: F403
