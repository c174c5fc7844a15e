"""Parameter: a leaf Tensor that a Module registers as one of its parameters, as
``torch.nn.Parameter`` (``torch.nn.parameter``)."""

from __future__ import annotations

import numpy as np

from gradlab.tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as one of its parameters (requires_grad=True)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data._data if isinstance(data, Tensor) else data, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
