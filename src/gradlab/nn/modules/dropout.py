"""PyTorch's ``torch.nn.modules.dropout``: the same classes as gradlab.nn's."""

from gradlab.nn.dropout import *  # noqa: F403
