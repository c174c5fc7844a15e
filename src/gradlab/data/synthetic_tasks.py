"""Synthetic tasks for the model examples: digit strings to reverse (sequence to sequence), a
2-D Gaussian mixture (GAN mode coverage), and MovieLens-format ratings with latent structure
(recommenders, offline). The seasonal series for forecasting is
:func:`gradlab.data.synthetic.make_seasonal_series`.

Every generator returns a :class:`Bunch`; ``seed`` (an int, a ``numpy.random.Generator`` or
None) makes it reproducible.
"""

from __future__ import annotations

import numpy as np

from gradlab.data.bunch import Bunch

__all__ = ["REVERSAL_TOKENS", "make_gaussian_mixture", "make_ratings", "make_reversal_pairs"]

# digits 0..9 are their own tokens; then the special tokens
REVERSAL_TOKENS = {"pad": 10, "bos": 11, "eos": 12, "vocab_size": 13}
# the shares of ratings 1..5 in MovieLens-100k's u.data
_MOVIELENS_SHARES = (0.0611, 0.1137, 0.2715, 0.3417, 0.2120)


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def make_reversal_pairs(
    n_samples: int = 5000, min_length: int = 3, max_length: int = 8, seed=None
) -> Bunch:
    """Random digit strings and their reversals, for an encoder-decoder.

    Each string has a length drawn uniformly from ``min_length..max_length`` and digits
    uniform in 0..9. Tokens: digits 0..9, PAD 10, BOS 11, EOS 12 (``REVERSAL_TOKENS``).

    Returns:
        Bunch with X int64 (n_samples, max_length): the source, left-padded with PAD (so the
        encoder reads the digits last); y int64 (n_samples, max_length + 1): the reversed
        digits then EOS, right-padded with PAD. extra: ``lengths`` int64 (n_samples,), and
        ``pad``, ``bos``, ``eos``, ``vocab_size``.
    """
    if not 1 <= min_length <= max_length:
        raise ValueError(
            f"make_reversal_pairs: min_length={min_length}, max_length={max_length}; expected "
            f"1 <= min_length <= max_length"
        )
    rng = _rng(seed)
    pad, eos = REVERSAL_TOKENS["pad"], REVERSAL_TOKENS["eos"]
    lengths = rng.integers(min_length, max_length + 1, size=n_samples)
    digits = rng.integers(0, 10, size=(n_samples, max_length))
    X = np.full((n_samples, max_length), pad, dtype=np.int64)
    y = np.full((n_samples, max_length + 1), pad, dtype=np.int64)
    for i, n in enumerate(lengths.tolist()):
        X[i, max_length - n :] = digits[i, :n]
        y[i, :n] = digits[i, :n][::-1]
        y[i, n] = eos
    return Bunch(
        X,
        y,
        description="make_reversal_pairs: digit strings (left-padded) -> reversed + EOS",
        extra={"lengths": lengths.astype(np.int64), **REVERSAL_TOKENS},
    )


def make_gaussian_mixture(
    n_samples: int = 1000,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.05,
    layout: str = "ring",
    seed=None,
) -> Bunch:
    """Points from equally weighted isotropic Gaussians in the plane (the GAN test bed).

    ``layout="ring"``: the centers are evenly spaced on a circle of ``radius``;
    ``layout="grid"``: on a square grid (``n_modes`` must be a square) spanning
    ``[-radius, radius]`` on each axis.

    Returns:
        Bunch with X float32 (n_samples, 2), y int64 (n_samples,) the mode of each point,
        and extra ``centers`` float64 (n_modes, 2) and ``std``.
    """
    if n_modes < 1:
        raise ValueError(f"make_gaussian_mixture: n_modes={n_modes}, expected >= 1")
    if layout == "ring":
        angle = 2.0 * np.pi * np.arange(n_modes) / n_modes
        centers = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    elif layout == "grid":
        side = int(round(np.sqrt(n_modes)))
        if side * side != n_modes:
            raise ValueError(
                f"make_gaussian_mixture: layout='grid' needs a square n_modes, got {n_modes}"
            )
        ticks = np.linspace(-radius, radius, side) if side > 1 else np.zeros(1)
        centers = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), axis=-1).reshape(-1, 2)
    else:
        raise ValueError(f"make_gaussian_mixture: layout={layout!r}, expected 'ring' or 'grid'")
    rng = _rng(seed)
    y = rng.integers(0, n_modes, size=n_samples)
    X = centers[y] + std * rng.standard_normal((n_samples, 2))
    return Bunch(
        X.astype(np.float32),
        y.astype(np.int64),
        ["x1", "x2"],
        [str(k) for k in range(n_modes)],
        f"make_gaussian_mixture: {n_modes} modes on a {layout}",
        {"centers": centers, "std": float(std)},
    )


def make_ratings(
    n_users: int = 943,
    n_items: int = 1682,
    n_ratings: int = 100_000,
    latent_dim: int = 4,
    noise: float = 1.0,
    popularity: float = 0.6,
    seed=None,
) -> Bunch:
    """Ratings in MovieLens-100k's format with a known latent structure (offline stand-in for
    ``u.data``).

    Each user u has taste vector p_u ~ N(0, I/sqrt(d)) and bias b_u; each item i has q_i,
    b_i, and a popularity weight from a Zipf law (exponent ``popularity``). Which items a
    user rates is drawn in proportion to popularity times exp(affinity / 2), so people
    mostly rate what they expect to like, as in real logs. The rating is the ordinal reading
    of ``a = b_u + b_i + 2 p_u . q_i + noise * N(0, 1)``: 1..5 cut at the quantiles of ``a``
    that give MovieLens-100k's shares of 1s..5s (6, 11, 27, 34 and 21 %).

    Returns:
        Bunch as :func:`gradlab.data.load_movielens_100k`: X int64 (N, 2) (user, item) from 0,
        y float32 (N,) in 1..5, extra ``timestamp`` int64 (N,), ``n_users``, ``n_items``;
        N <= n_ratings (a user rates an item at most once).
    """
    if min(n_users, n_items, n_ratings, latent_dim) < 1:
        raise ValueError(
            f"make_ratings: n_users={n_users}, n_items={n_items}, n_ratings={n_ratings}, "
            f"latent_dim={latent_dim}; expected positive integers"
        )
    rng = _rng(seed)
    scale = 1.0 / np.sqrt(np.sqrt(latent_dim))
    P = scale * rng.standard_normal((n_users, latent_dim))
    Q = scale * rng.standard_normal((n_items, latent_dim))
    user_bias = 0.3 * rng.standard_normal(n_users)
    item_bias = 0.5 * rng.standard_normal(n_items)
    weight = 1.0 / np.arange(1, n_items + 1) ** popularity
    weight = weight[rng.permutation(n_items)]
    # ratings per user: heavy-tailed like MovieLens (each user at least a few)
    per_user = rng.lognormal(0.0, 0.8, size=n_users)
    per_user = np.maximum(5, np.round(n_ratings * per_user / per_user.sum())).astype(int)
    per_user = np.minimum(per_user, n_items // 2)
    users, items = [], []
    for u, count in enumerate(per_user.tolist()):
        affinity = 2.0 * Q @ P[u] + item_bias
        p = weight * np.exp(0.5 * (affinity - affinity.max()))
        chosen = rng.choice(n_items, size=count, replace=False, p=p / p.sum())
        users.append(np.full(count, u))
        items.append(chosen)
    users, items = np.concatenate(users), np.concatenate(items)
    latent = user_bias[users] + item_bias[items] + 2.0 * np.einsum("nd,nd->n", P[users], Q[items])
    latent = latent + noise * rng.standard_normal(latent.shape)
    cuts = np.quantile(latent, np.cumsum(_MOVIELENS_SHARES)[:-1])
    ratings = 1 + np.searchsorted(cuts, latent)
    timestamp = 874_724_710 + np.sort(rng.integers(0, 20_000_000, size=len(users)))
    order = rng.permutation(len(users))
    X = np.stack([users, items], axis=1)[order].astype(np.int64)
    return Bunch(
        X,
        ratings[order].astype(np.float32),
        ["user", "item"],
        None,
        "make_ratings: synthetic MovieLens-format ratings with latent structure",
        {
            "timestamp": timestamp[order].astype(np.int64),
            "n_users": n_users,
            "n_items": n_items,
            "user_factors": P,
            "item_factors": Q,
        },
    )
