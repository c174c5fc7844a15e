"""``Distribution``: the base of gradlab's probability distributions (PyTorch's model).

A distribution has a ``batch_shape`` (independent distributions side by side) and an
``event_shape`` (the shape of one draw). ``sample(sample_shape)`` and ``rsample`` give
tensors of shape ``sample_shape + batch_shape + event_shape``; ``rsample`` (where
``has_rsample``) is reparameterized, so gradients flow to the parameters; ``sample`` is not.
``log_prob(value)`` and ``entropy()`` are differentiable in the parameters.

Arguments are checked as PyTorch checks them by default (``validate_args``): parameters
outside their constraint and values outside the support raise ValueError.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import get_default_dtype
from gradlab.ops.movement import expand
from gradlab.tensor import Tensor


def as_parameter(value) -> Tensor:
    """A Tensor parameter: Tensors as they are, numbers and arrays in a floating dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return Tensor(value)
    return Tensor(np.asarray(value, dtype=get_default_dtype()))  # numbers: the default dtype


def broadcast_all(*values) -> list[Tensor]:
    """The parameters expanded to their common shape (differentiably)."""
    tensors = [as_parameter(v) for v in values]
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return [t if t.shape == shape else expand(t, *shape) for t in tensors]


def sample_size(sample_shape) -> tuple:
    if isinstance(sample_shape, (int, np.integer)):
        return (int(sample_shape),)
    return tuple(int(s) for s in sample_shape)


class Distribution:
    """Base class: subclasses set ``batch_shape``/``event_shape`` and implement the methods."""

    has_rsample = False
    _validate_default = True

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = (
            Distribution._validate_default if validate_args is None else validate_args
        )

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for distributions built afterwards."""
        if value not in (True, False):
            raise ValueError
        Distribution._validate_default = value

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        return sample_size(sample_shape) + self._batch_shape + self._event_shape

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} has no mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=()):
        """A draw of shape sample_shape + batch_shape + event_shape, outside the graph."""
        return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()):
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterized sampling (rsample); use sample()"
        )

    def sample_n(self, n: int):
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    def _check_parameter(self, name: str, tensor: Tensor, ok: np.ndarray, constraint: str):
        if self._validate_args and not np.all(ok):
            raise ValueError(
                f"Expected parameter {name} (Tensor of shape {tuple(tensor.shape)}) of "
                f"distribution {self!r} to satisfy the constraint {constraint}, but found "
                f"invalid values:\n{tensor.numpy()}"
            )

    def _check_value(self, value: Tensor, ok: np.ndarray, support: str) -> None:
        if self._validate_args and not np.all(ok):
            raise ValueError(
                f"Expected value argument (Tensor of shape {tuple(value.shape)}) to be within "
                f"the support ({support}) of the distribution {self!r}, but found invalid "
                f"values:\n{value.numpy()}"
            )

    def _param_names(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        shapes = ", ".join(
            f"{name}: {tuple(getattr(self, name).shape)}" for name in self._param_names()
        )
        return f"{type(self).__name__}({shapes})"


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


def as_value(value, dtype) -> Tensor:
    """A value to score, as a Tensor (numbers and arrays in ``dtype``)."""
    if isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value, dtype=dtype))
