"""PyTorch's ``torch.utils`` namespace: ``gradlab.utils.data`` (datasets, samplers, loaders)."""

from gradlab.utils import data

__all__ = ["data"]
