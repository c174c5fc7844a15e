"""The recommendation application: the leave-one-out protocol, hit rate, the popularity
baseline, and the quality bar on reduced synthetic data: neural CF and matrix factorization
each beat the popularity baseline by at least 0.15 RMSE and 0.10 hit rate@10."""

import numpy as np
import pytest

from gradlab.data.synthetic_tasks import make_ratings
from gradlab.lab.applications.recommendation import (
    PopularityBaseline,
    hit_rate_at_k,
    leave_last_out,
    load_ratings,
    run_recommendation,
    sample_negatives,
)


def test_leave_last_out_holds_out_each_users_latest_rating():
    X = np.array([[0, 1], [0, 2], [1, 0], [0, 3], [1, 4]])
    time = np.array([5, 9, 3, 7, 1])
    train, test = leave_last_out(X, np.ones(5), time)
    assert test.tolist() == [1, 2] and train.tolist() == [0, 3, 4]


def test_negatives_are_unrated_and_distinct():
    X = np.array([[0, 0], [0, 1], [1, 2]])
    negatives = sample_negatives(X, 6, np.array([0, 1]), k=4, seed=0)
    assert not set(negatives[0]) & {0, 1} and not set(negatives[1]) & {2}
    assert all(len(set(row)) == 4 for row in negatives)


def test_hit_rate_counts_ranks_below_k():
    negatives = np.array([[1, 2, 3], [1, 2, 3]])
    score = {0: 0.5, 1: 0.9, 2: 0.1, 3: 0.2, 4: 1.0}
    fn = lambda pairs: np.array([score[i] for i in pairs[:, 1]])  # noqa: E731
    # user 0's positive item 0 is second (rank 1), user 1's item 4 is first (rank 0)
    assert hit_rate_at_k(fn, np.array([0, 1]), np.array([0, 4]), negatives, k=1) == 0.5
    assert hit_rate_at_k(fn, np.array([0, 1]), np.array([0, 4]), negatives, k=2) == 1.0


def test_popularity_baseline():
    X = np.array([[0, 0], [1, 0], [2, 1]])
    y = np.array([5.0, 3.0, 1.0])
    model = PopularityBaseline(3, shrink=1.0).fit(X, y)
    # item 0: (5 + 3 + 3) / 3, item 1: (1 + 3) / 2, item 2 unseen: the global mean 3
    np.testing.assert_allclose(
        model.predict(np.array([[0, 0], [0, 1], [0, 2]])), [11 / 3, 2.0, 3.0]
    )
    assert model.popularity(np.array([[0, 0], [0, 1], [0, 2]])).tolist() == [2, 1, 0]


def test_load_ratings_falls_back_to_synthetic(tmp_path):
    data, source = load_ratings(tmp_path, n_users=20, n_items=30, n_ratings=200)
    assert source == "synthetic" and data.X.shape[1] == 2


def test_learned_models_beat_popularity():
    data = make_ratings(300, 500, 20_000, seed=0)
    results = run_recommendation(data, epochs=10, lr=5e-3, seed=0)["results"]
    popular = results["popularity"]
    for name in ("neural CF", "matrix factorization"):
        assert results[name]["rmse"] <= popular["rmse"] - 0.15, name
        assert results[name]["hit_rate@10"] >= popular["hit_rate@10"] + 0.10, name


@pytest.mark.parametrize("seed", [0, 1])
def test_synthetic_ratings_match_the_movielens_format(seed):
    data = make_ratings(50, 80, 1000, seed=seed)
    assert data.X.dtype == np.int64 and data.y.dtype == np.float32
    assert set(np.unique(data.y)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
