"""Synthetic datasets for experiments: classification, moons, spirals, regression with
outliers, imbalanced binary labels, a seasonal time series, and sliding windows over a series.

Every generator returns a :class:`Bunch` (``X, y = make_spirals(...)`` works), with X
float32 and y int64 (classes) or float32 (regression); ``seed`` (an int, a
``numpy.random.Generator`` or None) makes it reproducible. ``make_classification`` and
``make_moons`` are scikit-learn's, cast to those dtypes.
"""

from __future__ import annotations

import numpy as np

from gradlab.data.bunch import Bunch


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _sklearn_seed(seed, random_state, name):
    if seed is not None and random_state is not None:
        raise TypeError(f"{name}: give seed or random_state, not both")
    return random_state if seed is None else seed


def make_classification(*args, seed=None, random_state=None, **kwargs) -> Bunch:
    """scikit-learn's ``make_classification`` (same arguments; ``seed`` is an alias of
    ``random_state``): X float32 (n_samples, n_features), y int64 (n_samples,)."""
    from sklearn.datasets import make_classification as sk_make

    state = _sklearn_seed(seed, random_state, "make_classification")
    X, y = sk_make(*args, random_state=state, **kwargs)
    return Bunch(X.astype(np.float32), y.astype(np.int64), description="make_classification")


def make_moons(
    n_samples: int = 100, *, noise=None, shuffle: bool = True, seed=None, random_state=None
) -> Bunch:
    """scikit-learn's two interleaving half circles: X float32 (n_samples, 2), y int64."""
    from sklearn.datasets import make_moons as sk_make

    state = _sklearn_seed(seed, random_state, "make_moons")
    X, y = sk_make(n_samples=n_samples, noise=noise, shuffle=shuffle, random_state=state)
    return Bunch(X.astype(np.float32), y.astype(np.int64), ["x1", "x2"], ["0", "1"], "make_moons")


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed=None) -> Bunch:
    """Interleaved spiral arms, one per class (the classic non-linear toy problem).

    Class k's points have radius r from 0 to 1 and angle ``4 * (k + r) + noise * N(0, 1)``
    radians, i.e. each arm turns 4 radians. Samples are spread evenly over the classes
    (the first ``n_samples % n_classes`` classes get one more) and returned shuffled.

    Returns:
        Bunch with X float32 (n_samples, 2), y int64 (n_samples,) in 0..n_classes-1.
    """
    if n_classes < 1 or n_samples < n_classes:
        raise ValueError(
            f"make_spirals: n_samples={n_samples} and n_classes={n_classes}; expected "
            f"n_classes >= 1 and at least one sample per class"
        )
    rng = _rng(seed)
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    xs, ys = [], []
    for k, count in enumerate(counts):
        r = np.linspace(0.0, 1.0, count)
        theta = 4.0 * (k + r) + noise * rng.standard_normal(count)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ys.append(np.full(count, k, dtype=np.int64))
    order = rng.permutation(n_samples)
    X = np.concatenate(xs)[order].astype(np.float32)
    y = np.concatenate(ys)[order]
    return Bunch(X, y, ["x1", "x2"], [str(k) for k in range(n_classes)], "make_spirals")


def make_regression_with_outliers(
    n_samples: int = 200,
    n_features: int = 1,
    outlier_fraction: float = 0.1,
    seed=None,
    noise: float = 0.5,
    outlier_scale: float = 20.0,
) -> Bunch:
    """A linear target with Gaussian noise, where a fraction of the targets are replaced by
    gross errors (to compare MSE, MAE and Huber losses).

    ``y = X @ coef + intercept + noise * N(0, 1)`` with X ~ N(0, 1); then
    ``round(outlier_fraction * n_samples)`` random targets get ``± outlier_scale * (1 + U(0,
    1))`` added.

    Returns:
        Bunch with X float32 (n_samples, n_features), y float32 (n_samples,), and extra:
        ``coef`` (n_features,), ``intercept``, ``outlier_mask`` bool (n_samples,).
    """
    if not 0.0 <= outlier_fraction <= 1.0:
        raise ValueError(
            f"make_regression_with_outliers: outlier_fraction {outlier_fraction}, expected [0, 1]"
        )
    rng = _rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    coef = rng.uniform(-3.0, 3.0, size=n_features)
    intercept = float(rng.uniform(-1.0, 1.0))
    y = X @ coef + intercept + noise * rng.standard_normal(n_samples)
    n_out = int(round(outlier_fraction * n_samples))
    mask = np.zeros(n_samples, dtype=bool)
    chosen = rng.choice(n_samples, size=n_out, replace=False)
    mask[chosen] = True
    signs = rng.choice([-1.0, 1.0], size=n_out)
    y[chosen] += signs * outlier_scale * (1.0 + rng.random(n_out))
    return Bunch(
        X.astype(np.float32),
        y.astype(np.float32),
        [f"x{i}" for i in range(n_features)],
        None,
        "make_regression_with_outliers",
        {"coef": coef, "intercept": intercept, "outlier_mask": mask},
    )


def make_imbalanced_binary(
    n_samples: int = 1000, weights=(0.9, 0.1), seed=None, n_features: int = 20
) -> Bunch:
    """A binary problem whose classes have the proportions ``weights`` (negatives, positives),
    from scikit-learn's ``make_classification`` with no label noise (``flip_y=0``), so the
    proportions are exact up to rounding.

    Returns:
        Bunch with X float32 (n_samples, n_features), y int64 in {0, 1}.
    """
    weights = list(weights)
    if len(weights) == 1:
        weights = [weights[0], 1.0 - weights[0]]
    if len(weights) != 2 or min(weights) <= 0 or not np.isclose(sum(weights), 1.0):
        raise ValueError(
            f"make_imbalanced_binary: weights {weights}; expected two positive proportions "
            f"summing to 1, e.g. (0.9, 0.1)"
        )
    from sklearn.datasets import make_classification as sk_make

    state = int(_rng(seed).integers(2**31 - 1))
    informative = min(n_features, 5)
    X, y = sk_make(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=informative,
        n_clusters_per_class=2 if informative >= 2 else 1,
        n_redundant=min(max(n_features - 5, 0), 2),
        weights=weights,
        flip_y=0.0,
        random_state=state,
    )
    return Bunch(
        X.astype(np.float32), y.astype(np.int64), None, ["negative", "positive"],
        "make_imbalanced_binary",
    )  # fmt: skip


def make_seasonal_series(
    n: int = 500, period: int = 50, noise: float = 0.1, seed=None, trend: float = 0.0
) -> Bunch:
    """A seasonal signal: ``sin(2πt/P) + 0.5 sin(4πt/P) + trend * t / n + noise * N(0, 1)``.

    Returns:
        Bunch with X float32 (n,) the time steps 0..n-1 and y float32 (n,) the series.
        Use :func:`sliding_windows` to turn it into (inputs, next values) for an RNN.
    """
    if period <= 0:
        raise ValueError(f"make_seasonal_series: period must be > 0, got {period}")
    rng = _rng(seed)
    t = np.arange(n, dtype=np.float64)
    phase = 2.0 * np.pi * t / period
    y = np.sin(phase) + 0.5 * np.sin(2.0 * phase) + trend * t / max(n, 1)
    y = y + noise * rng.standard_normal(n)
    return Bunch(t.astype(np.float32), y.astype(np.float32), description="make_seasonal_series")


def sliding_windows(series, window: int, horizon: int = 1) -> Bunch:
    """Every window of ``window`` consecutive values and the ``horizon`` values after it.

    Args:
        series: (T,) or (T, F).
    Returns:
        Bunch with X (N, window, F) and y (N, horizon, F) squeezed to (N, horizon) when
        the series is 1-D, N = T - window - horizon + 1 (dtype kept).
    """
    series = np.asarray(series)
    squeeze = series.ndim == 1
    values = series[:, None] if squeeze else series
    n = values.shape[0] - window - horizon + 1
    if window < 1 or horizon < 1 or n < 1:
        raise ValueError(
            f"sliding_windows: series of length {values.shape[0]} has no window of "
            f"{window} followed by {horizon} value(s)"
        )
    idx = np.arange(n)[:, None]
    X = values[idx + np.arange(window)]
    y = values[idx + window + np.arange(horizon)]
    return Bunch(X, y[..., 0] if squeeze else y, description="sliding_windows")
