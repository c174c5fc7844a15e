"""Recommenders from user and item embeddings (the notes, 001 "Personalized Recommendation
Systems": embedding layers turn sparse user and item ids into dense vectors that capture
latent features, and a fully connected network learns their interactions).

``NeuralCF`` (neural collaborative filtering): the user's and the item's embeddings, and
their elementwise product (the "generalized matrix factorization" term of He et al.'s
NeuMF, so the network can represent a dot product without having to learn one from
concatenated vectors), go through an MLP to a rating. ``MatrixFactorization`` is the classic
baseline: global mean + user bias + item bias + p_u . q_i.

Input: (B, 2) integer (user, item) pairs; output: (B,) predicted ratings.
"""

from __future__ import annotations

import numpy as np

from gradlab import nn
from gradlab.models.autoencoder import mlp_layers
from gradlab.nn import init
from gradlab.ops.movement import cat
from gradlab.tensor import Tensor

__all__ = ["MatrixFactorization", "NeuralCF"]


def _pairs(model, x) -> tuple[np.ndarray, np.ndarray]:
    """The user and item columns of (B, 2) integer pairs, range-checked."""
    array = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    name = f"{type(model).__name__}(num_users={model.num_users}, num_items={model.num_items})"
    if array.ndim != 2 or array.shape[1] != 2 or array.dtype.kind not in "iu":
        raise ValueError(
            f"{name}: input has shape {array.shape} and dtype {array.dtype}, expected (B, 2) "
            f"integer (user, item) pairs"
        )
    users, items = array[:, 0], array[:, 1]
    for label, ids, size in (("user", users, model.num_users), ("item", items, model.num_items)):
        if len(ids) and (ids.min() < 0 or ids.max() >= size):
            bad = ids[(ids < 0) | (ids >= size)][0]
            raise ValueError(f"{name}: {label} id {int(bad)} is out of range [0, {size})")
    return users, items


class NeuralCF(nn.Module):
    """Ratings from user and item embeddings through an MLP.

    Args:
        num_users, num_items: embedding table sizes.
        embedding_dim: size d of each user and item vector.
        hidden_sizes: the MLP's hidden layers (ReLU); it reads [p_u, q_i, p_u * q_i] (3d)
            and outputs one number, plus a learned global offset (initialized to 3, the
            middle of a 1..5 scale).

    Shapes: (B, 2) int pairs -> (B,).
    """

    def __init__(
        self, num_users: int, num_items: int, embedding_dim: int = 16, hidden_sizes=(64, 32)
    ):
        super().__init__()
        self.num_users, self.num_items = int(num_users), int(num_items)
        self.user_embedding = nn.Embedding(num_users, embedding_dim)
        self.item_embedding = nn.Embedding(num_items, embedding_dim)
        # N(0, 1) rows (Embedding's default) make the first products large; start small
        init.normal_(self.user_embedding.weight, std=0.1)
        init.normal_(self.item_embedding.weight, std=0.1)
        self.mlp = mlp_layers("NeuralCF", [3 * embedding_dim, *hidden_sizes, 1], "relu")
        self.mlp[-1].bias.numpy()[...] = 3.0

    def forward(self, x) -> Tensor:
        users, items = _pairs(self, x)
        p, q = self.user_embedding(users), self.item_embedding(items)
        out = self.mlp(cat([p, q, p * q], dim=1))
        return out.reshape(out.shape[0])


class MatrixFactorization(nn.Module):
    """rating = bias + b_u + b_i + p_u . q_i, with p_u, q_i of size embedding_dim.

    The vectors start at N(0, 0.1^2), the biases at 0 and the global bias at 3.
    Shapes: (B, 2) int pairs -> (B,).
    """

    def __init__(self, num_users: int, num_items: int, embedding_dim: int = 16):
        super().__init__()
        self.num_users, self.num_items = int(num_users), int(num_items)
        self.user_embedding = nn.Embedding(num_users, embedding_dim)
        self.item_embedding = nn.Embedding(num_items, embedding_dim)
        self.user_bias = nn.Embedding(num_users, 1)
        self.item_bias = nn.Embedding(num_items, 1)
        init.normal_(self.user_embedding.weight, std=0.1)
        init.normal_(self.item_embedding.weight, std=0.1)
        init.zeros_(self.user_bias.weight)
        init.zeros_(self.item_bias.weight)
        self.bias = nn.Parameter(np.full(1, 3.0, dtype=self.user_bias.weight.numpy().dtype))

    def forward(self, x) -> Tensor:
        users, items = _pairs(self, x)
        dot = (self.user_embedding(users) * self.item_embedding(items)).sum(dim=1)
        biases = self.user_bias(users) + self.item_bias(items)
        return dot + biases.reshape(biases.shape[0]) + self.bias
