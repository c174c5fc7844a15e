"""Learning-rate schedules, PyTorch's names and semantics (``torch.optim.lr_scheduler``).

``from gradlab.optim.lr_scheduler import StepLR``. Every schedule but ReduceLROnPlateau has a
closed form ``lr_at(step)``; :func:`plot_ready` builds one without a model, :func:`lr_curve`
steps one, :func:`advance` is the one step every gradlab loop takes (the metric to
ReduceLROnPlateau), :func:`scheduled_lr` reads a Keras-style schedule function, and
:func:`step_decay` is the Keras example's step-decay function.
"""

from gradlab.optim.lr_scheduler.base import (
    LRScheduler,
    advance,
    lr_curve,
    plot_ready,
    scheduled_lr,
    step_decay,
)
from gradlab.optim.lr_scheduler.basic import (
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    SequentialLR,
    StepLR,
)
from gradlab.optim.lr_scheduler.chained import ChainedScheduler, ConstantLR, PolynomialLR
from gradlab.optim.lr_scheduler.cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from gradlab.optim.lr_scheduler.cyclic import CyclicLR, OneCycleLR
from gradlab.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = [
    "LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR",
    "SequentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
    "ReduceLROnPlateau", "ConstantLR", "PolynomialLR", "ChainedScheduler", "plot_ready",
    "lr_curve", "step_decay", "advance", "scheduled_lr",
]  # fmt: skip


def __getattr__(name):
    # Only names not defined above get here: a PyTorch name says it is not implemented.
    from gradlab.missing import missing

    raise missing("gradlab.optim.lr_scheduler", name)
