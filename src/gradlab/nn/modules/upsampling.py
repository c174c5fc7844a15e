"""PyTorch's ``torch.nn.modules.upsampling``: the same classes as gradlab.nn's."""

from gradlab.nn.upsampling import *  # noqa: F403
