"""PyTorch's ``torch.nn.modules.sparse``: the same classes as gradlab.nn's."""

from gradlab.nn.embedding import *  # noqa: F403
