"""PyTorch's ``torch.nn.modules.module``."""

from gradlab.nn.module import Module

__all__ = ["Module"]
