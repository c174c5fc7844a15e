"""Embedding: a lookup table of learned vectors, one per id (words, users, items, codes).

``Embedding(num_embeddings, embedding_dim)`` maps integer ids of any shape (*) to vectors
(*, embedding_dim). The weight starts as N(0, 1), as PyTorch; the row ``padding_idx`` starts
at zero and never receives a gradient, so it stays a fixed "nothing here" vector.
"""

from __future__ import annotations

import numpy as np

from gradlab.backend import array_module, get_default_dtype
from gradlab.nn import init
from gradlab.nn.module import Module, Parameter
from gradlab.ops.embedding import EmbeddingOp
from gradlab.tensor import Tensor

# The functional forms below belong in gradlab.nn.functional, not in gradlab.nn's star import:
# torch.nn has none, and names like ``linear`` would shadow the submodules of the same name.
__all__ = ["Embedding"]


def _indices(input, num_embeddings: int, name: str):  # noqa: A002
    """The index array, checked: integer dtype, every entry in [0, num_embeddings)."""
    xp = array_module(input)
    idx = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got dtype {idx.dtype}")
    if idx.size:
        low, high = idx.min(), idx.max()
        if low < 0 or high >= num_embeddings:
            bad = int(low) if low < 0 else int(high)
            raise IndexError(
                f"{name}: index {bad} is out of range for num_embeddings={num_embeddings} "
                f"(valid indices are 0..{num_embeddings - 1})"
            )
    return idx


def _padding(padding_idx, num_embeddings: int, name: str):
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"{name}: padding_idx {padding_idx} must be within num_embeddings={num_embeddings}"
        )
    return padding_idx % num_embeddings


def embedding(input, weight, padding_idx=None):  # noqa: A002 - PyTorch's argument name
    """Rows of ``weight`` (V, D) at integer ``input`` (*): output (*, D). ``padding_idx``'s
    row gets no gradient."""
    num = weight.shape[0]
    idx = _indices(input, num, "embedding")
    return EmbeddingOp.apply(
        weight, indices=idx, padding_idx=_padding(padding_idx, num, "embedding")
    )


class Embedding(Module):
    """Lookup table: input (*) of ints in [0, num_embeddings) -> (*, embedding_dim).

    weight (num_embeddings, embedding_dim) ~ N(0, 1); row ``padding_idx`` (if given) is zero
    and gets no gradient.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        _weight=None,
        _freeze: bool = False,
        generator=None,
        dtype=None,
    ):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _padding(padding_idx, num_embeddings, "Embedding")
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        if _weight is None:
            self.weight = Parameter(
                np.empty((num_embeddings, embedding_dim), dtype=dtype), requires_grad=not _freeze
            )
            self.reset_parameters(generator)
        else:
            array = _weight._data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if array.shape != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight has shape {array.shape}, expected "
                    f"{(num_embeddings, embedding_dim)}"
                )
            self.weight = Parameter(array, requires_grad=not _freeze)

    def reset_parameters(self, generator=None) -> None:
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input):  # noqa: A002
        idx = _indices(
            input, self.num_embeddings, f"Embedding({self.num_embeddings}, {self.embedding_dim})"
        )
        return EmbeddingOp.apply(self.weight, indices=idx, padding_idx=self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None):
        """An Embedding holding ``embeddings`` (V, D) (copied), frozen unless ``freeze=False``."""
        xp = array_module(embeddings)
        array = embeddings._data if isinstance(embeddings, Tensor) else xp.asarray(embeddings)
        if array.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape {array.shape}"
            )
        return cls(
            array.shape[0], array.shape[1], padding_idx, _weight=array.copy(), _freeze=freeze
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text


def one_hot(tensor, num_classes: int = -1):
    """PyTorch's ``F.one_hot``: integer labels of shape (*) to int64 one-hot rows (*, C).

    ``num_classes=-1`` uses ``max(label) + 1``. A NumPy array gives a NumPy array, a Tensor a
    Tensor. Labels must be integers in [0, num_classes).
    """
    was_tensor = isinstance(tensor, Tensor)
    labels = tensor.numpy() if was_tensor else np.asarray(tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: labels must have an integer dtype (class indices), got {labels.dtype}"
        )
    if num_classes == -1:
        if labels.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes from empty labels")
        num_classes = int(labels.max()) + 1
    elif num_classes < 1 and labels.size > 0:
        raise ValueError(f"one_hot: num_classes must be >= 1 or -1, got {num_classes}")
    if labels.size:
        low, high = labels.min(), labels.max()
        if low < 0:
            raise ValueError(f"one_hot: label {int(low)} is negative; labels must be >= 0")
        if high >= num_classes:
            raise ValueError(
                f"one_hot: label {int(high)} is out of range for num_classes={num_classes} "
                f"(expected labels in [0, {num_classes - 1}])"
            )
    out = np.zeros(labels.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, labels.astype(np.int64)[..., None], 1, axis=-1)
    return Tensor(out) if was_tensor else out
