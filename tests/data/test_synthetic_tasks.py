"""The synthetic tasks: digit-string reversal pairs, the 2-D Gaussian mixture, MovieLens-format
ratings."""

import numpy as np
import pytest

from gradlab.data.synthetic_tasks import (
    REVERSAL_TOKENS,
    make_gaussian_mixture,
    make_ratings,
    make_reversal_pairs,
)


def test_reversal_pairs():
    data = make_reversal_pairs(200, 2, 6, seed=0)
    pad, eos = REVERSAL_TOKENS["pad"], REVERSAL_TOKENS["eos"]
    assert data.X.shape == (200, 6) and data.y.shape == (200, 7)
    assert data.X.dtype == np.int64 and data.y.dtype == np.int64
    assert set(data.extra["lengths"].tolist()) == {2, 3, 4, 5, 6}
    for src, tgt, n in zip(data.X, data.y, data.extra["lengths"]):
        digits = src[6 - n :]
        assert (src[: 6 - n] == pad).all() and (digits < 10).all()
        np.testing.assert_array_equal(tgt[:n], digits[::-1])
        assert tgt[n] == eos and (tgt[n + 1 :] == pad).all()
    again = make_reversal_pairs(200, 2, 6, seed=0)
    np.testing.assert_array_equal(again.X, data.X)
    with pytest.raises(ValueError, match="make_reversal_pairs: min_length=4, max_length=3"):
        make_reversal_pairs(10, 4, 3)


@pytest.mark.parametrize("layout,n_modes", [("ring", 8), ("grid", 9)])
def test_gaussian_mixture(layout, n_modes):
    data = make_gaussian_mixture(4000, n_modes, radius=2.0, std=0.05, layout=layout, seed=0)
    centers = data.extra["centers"]
    assert data.X.shape == (4000, 2) and data.X.dtype == np.float32
    assert centers.shape == (n_modes, 2)
    assert np.abs(centers).max() == pytest.approx(2.0)
    offsets = data.X - centers[data.y]
    assert offsets.std() == pytest.approx(0.05, rel=0.05)
    assert np.bincount(data.y).min() > 4000 / n_modes * 0.8


def test_gaussian_mixture_grid_needs_a_square():
    with pytest.raises(ValueError, match="needs a square n_modes, got 8"):
        make_gaussian_mixture(10, 8, layout="grid")


def test_ratings_have_movielens_shape_and_shares():
    data = make_ratings(200, 300, 10_000, seed=0)
    assert data.X.shape[1] == 2 and data.X.dtype == np.int64
    assert data.X[:, 0].max() < 200 and data.X[:, 1].max() < 300
    assert len(np.unique(data.X[:, 0] * 300 + data.X[:, 1])) == len(data.y)  # no repeats
    shares = np.bincount(data.y.astype(int), minlength=6)[1:] / len(data.y)
    np.testing.assert_allclose(shares, [0.0611, 0.1137, 0.2715, 0.3417, 0.2120], atol=0.01)
    assert data.extra["timestamp"].shape == data.y.shape
    assert data.extra["n_users"] == 200 and data.extra["n_items"] == 300
    # the latent structure: a user's ratings correlate with their taste . item factors
    P, Q = data.extra["user_factors"], data.extra["item_factors"]
    affinity = np.einsum("nd,nd->n", P[data.X[:, 0]], Q[data.X[:, 1]])
    assert np.corrcoef(affinity, data.y)[0, 1] > 0.5
