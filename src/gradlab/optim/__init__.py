"""Optimizers, gradient clipping and learning-rate schedules (PyTorch's ``torch.optim``).

``opt = gradlab.optim.Adam(model.parameters(), lr=1e-3)``; ``opt.zero_grad()``,
``loss.backward()``, ``opt.step()``. Schedules: ``gradlab.optim.lr_scheduler``.
"""

from gradlab.nn.clip import clip_grad_norm_, clip_grad_value_
from gradlab.optim import lr_scheduler
from gradlab.optim.adadelta import Adadelta
from gradlab.optim.adagrad import Adagrad
from gradlab.optim.adam import Adam, AdamW
from gradlab.optim.adamax import Adamax
from gradlab.optim.lbfgs import LBFGS
from gradlab.optim.nadam import NAdam
from gradlab.optim.optimizer import Optimizer
from gradlab.optim.radam import RAdam
from gradlab.optim.rmsprop import RMSprop
from gradlab.optim.sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "Adadelta", "Adamax",
    "RAdam", "LBFGS",
    "clip_grad_norm_", "clip_grad_value_", "lr_scheduler",
]  # fmt: skip


def __getattr__(name):
    # Only names not defined above get here: a PyTorch name says it is not implemented.
    from gradlab.missing import missing

    raise missing("gradlab.optim", name)
