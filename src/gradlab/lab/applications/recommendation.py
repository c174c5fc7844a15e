"""The notes' recommendation application: neural collaborative filtering on MovieLens-100k
format ratings, against a popularity baseline and plain matrix factorization.

Data: the real ``u.data`` when it is in the cache directory (``load_movielens_100k``,
never downloaded here), else synthetic users and items with latent structure
(:func:`gradlab.data.synthetic_tasks.make_ratings`).

Protocol (leave one out, as in He et al.'s NCF): each user's latest rating is held out.
RMSE is measured on all held-out ratings. Hit rate@10 is measured on the held-out ratings
of 4 or more (items the user liked): the item is ranked, by each model's score, among 99
items the user never rated (drawn at random, the same for every model); a hit is a rank in
the top 10. The popularity baseline predicts each item's mean training rating (shrunk
toward the global mean) and ranks by how many training ratings an item has.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data.datasets import DatasetNotFoundError, load_movielens_100k
from gradlab.data.synthetic_tasks import make_ratings
from gradlab.models.recommender import MatrixFactorization, NeuralCF

__all__ = [
    "PopularityBaseline",
    "hit_rate_at_k",
    "leave_last_out",
    "load_ratings",
    "rmse_of",
    "run_recommendation",
    "sample_negatives",
]


def load_ratings(root=None, seed: int = 0, **synthetic):
    """(Bunch, source): the real MovieLens-100k from the cache when present, else
    ``make_ratings(seed=seed, **synthetic)``; source is "movielens-100k" or "synthetic"."""
    if root is not False:
        try:
            return load_movielens_100k(root, download=False), "movielens-100k"
        except DatasetNotFoundError:
            pass
    return make_ratings(seed=seed, **synthetic), "synthetic"


def leave_last_out(X, y, timestamp):
    """Split ratings: each user's latest one (ties: the last in the file) goes to test.
    Returns (train_index, test_index) int arrays."""
    order = np.lexsort((np.arange(len(y)), timestamp, X[:, 0]))
    users = X[order, 0]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = users[1:] != users[:-1]
    return np.sort(order[~last]), np.sort(order[last])


def sample_negatives(X, n_items: int, users, k: int = 99, seed: int = 0) -> np.ndarray:
    """For each user in ``users``, ``k`` distinct items that user never rated in ``X``
    (all ratings, train and test), (len(users), k)."""
    rng = np.random.default_rng(seed)
    rated: dict[int, set] = {}
    for u, i in X.tolist():
        rated.setdefault(u, set()).add(i)
    out = np.empty((len(users), k), dtype=np.int64)
    for row, u in enumerate(users.tolist()):
        seen = rated.get(u, set())
        picked: list[int] = []
        while len(picked) < k:
            for i in rng.integers(0, n_items, size=2 * k).tolist():
                if i not in seen and i not in picked:
                    picked.append(i)
                    if len(picked) == k:
                        break
        out[row] = picked
    return out


def hit_rate_at_k(score, users, positives, negatives, k: int = 10) -> float:
    """Share of users whose positive item outranks all but fewer than ``k`` of their
    negatives; ``score(pairs (B, 2)) -> (B,)``. Ties count against the positive."""
    n, m = negatives.shape
    items = np.concatenate([positives[:, None], negatives], axis=1)
    pairs = np.stack([np.repeat(users, m + 1), items.reshape(-1)], axis=1)
    scores = np.asarray(score(pairs), dtype=np.float64).reshape(n, m + 1)
    rank = (scores[:, 1:] >= scores[:, :1]).sum(axis=1)
    return float((rank < k).mean())


def rmse_of(predicted, y) -> float:
    """Root mean squared error with predictions clipped to the 1..5 rating scale."""
    return float(np.sqrt(np.mean((np.clip(predicted, 1.0, 5.0) - y) ** 2)))


class PopularityBaseline:
    """Predicts an item's mean training rating shrunk toward the global mean by ``shrink``
    pseudo-ratings; ranks items by their number of training ratings."""

    def __init__(self, n_items: int, shrink: float = 5.0):
        self.n_items, self.shrink = n_items, shrink

    def fit(self, X, y):
        self.mean = float(y.mean())
        self.count = np.bincount(X[:, 1], minlength=self.n_items).astype(np.float64)
        total = np.bincount(X[:, 1], weights=y, minlength=self.n_items)
        self.rating = (total + self.shrink * self.mean) / (self.count + self.shrink)
        return self

    def predict(self, pairs):
        return self.rating[np.asarray(pairs)[:, 1]]

    def popularity(self, pairs):
        return self.count[np.asarray(pairs)[:, 1]]


def _fit(model, X, y, epochs, lr, l2, batch_size, seed, verbose) -> list:
    """Adam on MSE + ``l2`` * mean over the batch of ||p_u||^2 + ||q_i||^2 (the classic MF
    regularizer: it shrinks only the rows a batch uses, unlike weight decay, which would
    pull every rarely seen user's and item's vector to zero at each step). Returns the
    mean training MSE per epoch."""
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    mse = nn.MSELoss()
    losses = []
    model.train()
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        total = 0.0
        for start in range(0, len(y), batch_size):
            rows = order[start : start + batch_size]
            pairs = X[rows]
            optimizer.zero_grad()
            error = mse(model(pairs), gradlab.tensor(y[rows]))
            p = model.user_embedding(pairs[:, 0])
            q = model.item_embedding(pairs[:, 1])
            loss = error + l2 * ((p * p).sum() + (q * q).sum()) / len(rows)
            loss.backward()
            optimizer.step()
            total += float(error.numpy()) * len(rows)
        losses.append(total / len(y))
        if verbose:
            print(f"epoch {epoch + 1:3d}  train MSE {losses[-1]:.4f}")
    model.eval()
    return losses


def _predict(model, pairs, batch_size: int = 8192) -> np.ndarray:
    with gradlab.no_grad():
        return np.concatenate(
            [model(pairs[k : k + batch_size]).numpy() for k in range(0, len(pairs), batch_size)]
        )


def run_recommendation(
    data=None,
    epochs: int = 10,
    embedding_dim: int = 16,
    hidden_sizes=(64, 32),
    lr: float = 3e-3,
    mf_l2: float = 0.05,
    ncf_l2: float = 0.05,
    batch_size: int = 256,
    seed: int = 0,
    out_dir=None,
    verbose: int = 0,
) -> dict:
    """Train NeuralCF and MatrixFactorization on ``data`` (a ratings Bunch; default
    :func:`load_ratings`), evaluate them and the popularity baseline.

    Returns {"source", "n_users", "n_items", "n_ratings", "results": {name: {"rmse",
    "hit_rate@10"}}, "histories": {name: [train MSE per epoch]}, "figure": path or None,
    "models"}; with ``out_dir`` writes ``recommender_results.png`` (training loss per epoch
    and the metrics as bars).
    """
    source = "given"
    if data is None:
        data, source = load_ratings(seed=seed)
    gradlab.manual_seed(seed)
    X, y = np.asarray(data.X, np.int64), np.asarray(data.y, np.float32)
    n_users, n_items = int(data.extra["n_users"]), int(data.extra["n_items"])
    train, test = leave_last_out(X, y, data.extra["timestamp"])
    liked = test[y[test] >= 4]
    users, positives = X[liked, 0], X[liked, 1]
    negatives = sample_negatives(X, n_items, users, seed=seed)

    popular = PopularityBaseline(n_items).fit(X[train], y[train])
    results = {
        "popularity": {
            "rmse": rmse_of(popular.predict(X[test]), y[test]),
            "hit_rate@10": hit_rate_at_k(popular.popularity, users, positives, negatives),
        }
    }
    histories = {}
    models = {
        "matrix factorization": (MatrixFactorization(n_users, n_items, embedding_dim), mf_l2),
        "neural CF": (NeuralCF(n_users, n_items, embedding_dim, hidden_sizes), ncf_l2),
    }
    for name, (model, l2) in models.items():
        histories[name] = _fit(model, X[train], y[train], epochs, lr, l2, batch_size, seed, verbose)
        predict = lambda pairs, m=model: _predict(m, pairs)  # noqa: E731
        results[name] = {
            "rmse": rmse_of(predict(X[test]), y[test]),
            "hit_rate@10": hit_rate_at_k(predict, users, positives, negatives),
        }
    figure = None
    if out_dir is not None:
        figure = _plot(results, histories, Path(out_dir) / "recommender_results.png")
    return {
        "source": source,
        "n_users": n_users,
        "n_items": n_items,
        "n_ratings": len(y),
        "results": results,
        "histories": histories,
        "figure": figure,
        "models": {name: m for name, (m, _) in models.items()},
    }


def _plot(results, histories, path) -> Path:
    from gradlab.lab.plots import pyplot, save_figure

    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for name, losses in histories.items():
        axes[0].plot(range(1, len(losses) + 1), losses, marker="o", label=name)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("training MSE")
    axes[0].legend()
    names = list(results)
    for axis, metric in zip(axes[1:], ("rmse", "hit_rate@10")):
        values = [results[n][metric] for n in names]
        axis.bar(
            [n.replace(" ", "\n") for n in names],
            values,
            color=["tab:gray", "tab:blue", "tab:orange"][: len(names)],
        )
        axis.set_title(metric + (" (lower is better)" if metric == "rmse" else ""))
        for k, v in enumerate(values):
            axis.text(k, v, f"{v:.3f}", ha="center", va="bottom")
    return save_figure(figure, path)
