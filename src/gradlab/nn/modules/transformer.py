"""PyTorch's ``torch.nn.modules.transformer``: the same classes as gradlab.nn's."""

from gradlab.nn.transformer import *  # noqa: F403
