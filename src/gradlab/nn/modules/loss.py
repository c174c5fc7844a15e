"""PyTorch's ``torch.nn.modules.loss``: the same classes as gradlab.nn's (with ``_Loss`` and
``_WeightedLoss``, the bases that custom losses subclass)."""

from gradlab.nn.classification_losses import *  # noqa: F403
from gradlab.nn.losses import *  # noqa: F403
from gradlab.nn.losses import _Loss, _WeightedLoss  # noqa: F401
