"""Gradient clipping, defined in :mod:`gradlab.nn.clip` (PyTorch's ``torch.nn.utils``); kept
here so ``gradlab.optim.clip`` still imports."""

from gradlab.nn.clip import clip_grad_norm_, clip_grad_value_  # noqa: F401
