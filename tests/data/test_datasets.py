"""Bundled scikit-learn datasets, train_test_split and the synthetic generators."""

import numpy as np
import pytest

from gradlab.data import datasets as D

sk_datasets = pytest.importorskip("sklearn.datasets")


@pytest.mark.parametrize(
    "name,n,f,classes",
    [("digits", 1797, 64, 10), ("iris", 150, 4, 3), ("wine", 178, 13, 3),
     ("breast_cancer", 569, 30, 2), ("diabetes", 442, 10, None)],
)  # fmt: skip
def test_bundled_datasets(name, n, f, classes):
    bunch = getattr(D, f"load_{name}")()
    ref = getattr(sk_datasets, f"load_{name}")()
    assert bunch.X.shape == (n, f) and bunch.X.dtype == np.float32
    np.testing.assert_array_equal(bunch.X, ref.data.astype(np.float32))
    assert len(bunch.feature_names) == f
    if classes is None:
        assert bunch.y.dtype == np.float32 and bunch.target_names is None
    else:
        assert bunch.y.dtype == np.int64 and len(bunch.target_names) == classes
    np.testing.assert_array_equal(bunch.y, ref.target)
    X, y = bunch
    assert X is bunch.X and y is bunch.y


def test_train_test_split_seeded_and_stratified():
    X, y = D.load_iris()
    X_train, X_test, y_train, y_test = D.train_test_split(X, y, 0.2, seed=0, stratify=True)
    assert X_train.shape == (120, 4) and X_test.shape == (30, 4)
    assert np.bincount(y_test).tolist() == [10, 10, 10]
    again = D.train_test_split(X, y, 0.2, seed=0, stratify=True)
    np.testing.assert_array_equal(again[1], X_test)


def test_make_classification_passes_arguments_through():
    X, y = D.make_classification(200, 7, n_informative=3, random_state=42)
    ref_X, ref_y = sk_datasets.make_classification(200, 7, n_informative=3, random_state=42)
    np.testing.assert_array_equal(X, ref_X.astype(np.float32))
    np.testing.assert_array_equal(y, ref_y)
    assert X.dtype == np.float32 and y.dtype == np.int64
    X2, _ = D.make_classification(200, 7, n_informative=3, seed=42)
    np.testing.assert_array_equal(X2, X)


def test_make_moons():
    X, y = D.make_moons(50, noise=0.1, seed=3)
    ref_X, ref_y = sk_datasets.make_moons(50, noise=0.1, random_state=3)
    np.testing.assert_array_equal(X, ref_X.astype(np.float32))
    np.testing.assert_array_equal(y, ref_y)


def test_make_spirals_geometry_and_reproducibility():
    X, y = D.make_spirals(301, n_classes=3, noise=0.0, seed=1)
    assert X.shape == (301, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [101, 100, 100]
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1.0 + 1e-6
    theta = np.arctan2(X[:, 0], X[:, 1])  # x1 = r sin t, x2 = r cos t
    for k in range(3):  # without noise, angle = 4 (k + r) (mod 2 pi)
        mask = (y == k) & (radius > 1e-3)
        diff = np.angle(np.exp(1j * (theta[mask] - 4.0 * (k + radius[mask]))))
        np.testing.assert_allclose(diff, 0.0, atol=1e-5)
    X2, y2 = D.make_spirals(301, n_classes=3, noise=0.0, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_make_regression_with_outliers():
    b = D.make_regression_with_outliers(200, 2, outlier_fraction=0.1, seed=0, noise=0.0)
    assert b.X.shape == (200, 2) and b.y.dtype == np.float32
    mask = b.extra["outlier_mask"]
    assert mask.sum() == 20
    clean = b.X.astype(np.float64) @ b.extra["coef"] + b.extra["intercept"]
    np.testing.assert_allclose(b.y[~mask], clean[~mask], rtol=1e-5, atol=1e-5)
    assert np.all(np.abs(b.y[mask] - clean[mask]) >= 20.0 - 1e-3)


def test_make_imbalanced_binary_proportions():
    X, y = D.make_imbalanced_binary(1000, weights=(0.9, 0.1), seed=0)
    assert X.shape == (1000, 20) and set(np.unique(y).tolist()) == {0, 1}
    assert y.sum() == 100


def test_seasonal_series_and_sliding_windows():
    b = D.make_seasonal_series(200, period=25, noise=0.0, seed=0)
    np.testing.assert_allclose(b.y[25:], b.y[:-25], atol=1e-5)
    w = D.sliding_windows(b.y, window=10, horizon=2)
    assert w.X.shape == (189, 10, 1) and w.y.shape == (189, 2)
    np.testing.assert_array_equal(w.X[5, :, 0], b.y[5:15])
    np.testing.assert_array_equal(w.y[5], b.y[15:17])
    with pytest.raises(ValueError, match="no window"):
        D.sliding_windows(b.y[:5], window=5)
