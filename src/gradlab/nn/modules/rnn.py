"""PyTorch's ``torch.nn.modules.rnn``: the same classes as gradlab.nn's."""

from gradlab.nn.recurrent import *  # noqa: F403
