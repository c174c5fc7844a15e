"""Dropout (Srivastava et al. 2014), inverted: zero each element with probability p in training
and scale the survivors by 1/(1 - p), so evaluation is the identity and expectations match.

Masks come from an explicit ``numpy.random.Generator``: the module's ``generator=`` if given,
else gradlab's default generator at call time (seeded by ``gradlab.manual_seed``).
"""

from __future__ import annotations

from gradlab.backend import default_generator
from gradlab.nn.module import Module
from gradlab.ops.elementwise import Mul

# The functional forms below belong in gradlab.nn.functional, not in gradlab.nn's star import:
# torch.nn has none, and names like ``linear`` would shadow the submodules of the same name.
__all__ = ["Dropout", "Dropout1d", "Dropout2d"]


def _check_p(name: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability p has to be between 0 and 1, got p={p!r}")
    return float(p)


def _masked(input, p: float, mask_shape, generator):  # noqa: A002
    """input * mask, the mask (0 or 1/(1-p), in input's dtype) drawn over ``mask_shape``."""
    if p == 1.0:
        return Mul.apply(input, input._data.dtype.type(0))
    rng = default_generator() if generator is None else generator
    dtype = input._data.dtype
    draw_dtype = dtype if dtype.kind == "f" and dtype.itemsize in (4, 8) else "float64"
    keep = rng.random(mask_shape, dtype=draw_dtype) >= p
    mask = keep.astype(dtype) * dtype.type(1.0 / (1.0 - p))
    return Mul.apply(input, mask)


def dropout(
    input,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
    generator=None,
):
    """Zero elements with probability ``p`` and scale the rest by 1/(1-p) when ``training``;
    otherwise return ``input`` unchanged. ``inplace`` is accepted for PyTorch's signature
    (gradlab never modifies the input)."""
    p = _check_p("dropout", p)
    if not training or p == 0.0:
        return input
    return _masked(input, p, input.shape, generator)


def _channel_dropout(name, input, p, training, generator, batched_ndim):  # noqa: A002
    p = _check_p(name, p)
    if not training or p == 0.0:
        return input
    shape = input.shape
    if len(shape) not in (batched_ndim - 1, batched_ndim):
        raise ValueError(
            f"{name}: input has shape {tuple(shape)}, expected {batched_ndim - 1} or "
            f"{batched_ndim} dimensions ((C, *) or (N, C, *))"
        )
    channel_axes = len(shape) - batched_ndim + 2  # (C,) unbatched, (N, C) batched
    mask_shape = tuple(shape[:channel_axes]) + (1,) * (len(shape) - channel_axes)
    return _masked(input, p, mask_shape, generator)


def dropout1d(
    input,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
    generator=None,
):
    """Zero whole channels of (N, C, L) or (C, L) input with probability p."""
    return _channel_dropout("dropout1d", input, p, training, generator, 3)


def dropout2d(
    input,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
    generator=None,
):
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability p."""
    return _channel_dropout("dropout2d", input, p, training, generator, 4)


class Dropout(Module):
    """Inverted dropout: in training, y = x * m / (1 - p) with m ~ Bernoulli(1 - p) per
    element; in eval, y = x. Any input shape."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator=None):
        super().__init__()
        self.p = _check_p(type(self).__name__, p)
        self.inplace = inplace
        self.generator = generator

    def forward(self, input):  # noqa: A002
        if not self.training or self.p == 0.0:
            return input
        return _masked(input, self.p, input.shape, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Channel dropout: each channel of (N, C, L) input is zeroed with probability p."""

    def forward(self, input):  # noqa: A002
        return dropout1d(input, self.p, self.training, generator=self.generator)


class Dropout2d(Dropout):
    """Channel dropout: each feature map of (N, C, H, W) input is zeroed with probability p
    (Tompson et al. 2015), for convolutional layers whose neighbouring pixels are correlated."""

    def forward(self, input):  # noqa: A002
        return dropout2d(input, self.p, self.training, generator=self.generator)
