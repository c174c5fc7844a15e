"""Dropout (Srivastava et al. 2014), inverted: zero each element with probability p in training
and scale the survivors by 1/(1 - p), so evaluation is the identity and expectations match.

Masks come from an explicit ``numpy.random.Generator``: the module's ``generator=`` if given,
else gradlab's default generator at call time (seeded by ``gradlab.manual_seed``).
"""

from __future__ import annotations

import warnings

from gradlab.backend import backend_of, default_generator, to_backend
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
    # drawn on the host from the explicit generator (the same stream on every device), then
    # moved to the input's device, where the mask is made
    keep = to_backend(rng.random(mask_shape, dtype=draw_dtype) >= p, backend_of(input._data))
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


def _feature_dropout(input, p, generator):  # noqa: A002
    """Zero whole (sample, channel) slices: the mask is drawn over the first two axes."""
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _masked(input, p, shape[:2] + (1,) * (len(shape) - 2), generator)


def dropout1d(
    input,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
    generator=None,
):
    """Zero whole channels of (N, C, L) or (C, L) input with probability p."""
    p = _check_p("dropout1d", p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    if not training or p == 0.0:
        return input
    if input.ndim == 2:  # unbatched (C, L): one mask value per channel
        return _masked(input, p, (input.shape[0], 1), generator)
    return _feature_dropout(input, p, generator)


def dropout2d(
    input,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,  # noqa: A002
    generator=None,
):
    """Zero whole channels of (N, C, H, W) input with probability p.

    As PyTorch (including its warnings): an input that is not 3-D or 4-D is deprecated and
    warned about, and a 3-D input is read as (N, C, L) (channel-wise 1-d dropout), not as an
    unbatched (C, H, W).
    """
    p = _check_p("dropout2d", p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    if not training or p == 0.0:
        return input
    return _feature_dropout(input, p, generator)


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
