"""PyTorch's ``torch.nn.modules.container``: the same classes as gradlab.nn's."""

from gradlab.nn.containers import *  # noqa: F403
