"""PyTorch's ``torch.nn.modules.normalization``: the same classes as gradlab.nn's."""

from gradlab.nn.normalization import *  # noqa: F403
