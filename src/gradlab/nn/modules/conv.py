"""PyTorch's ``torch.nn.modules.conv``: the same classes as gradlab.nn's."""

from gradlab.nn.conv import *  # noqa: F403
from gradlab.nn.conv_transpose import *  # noqa: F403
