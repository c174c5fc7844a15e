"""NeuralCF and MatrixFactorization: shapes, gradients, the MF formula, id checks, training."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data.synthetic_tasks import make_ratings
from gradlab.models.recommender import MatrixFactorization, NeuralCF
from gradlab.train import Trainer

PAIRS = np.array([[0, 1], [2, 4], [2, 0], [1, 1]])


@pytest.mark.parametrize("model", [NeuralCF(3, 5, 4, (6,)), MatrixFactorization(3, 5, 4)])
def test_shapes_and_gradients(model):
    out = model(PAIRS)
    assert out.shape == (4,)
    out.sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
    # rows of users and items not in the batch get no gradient
    assert not model.user_embedding.weight.grad[~np.isin(np.arange(3), PAIRS[:, 0])].any()
    assert not model.item_embedding.weight.grad[[2, 3]].any()


def test_matrix_factorization_formula():
    gradlab.manual_seed(0)
    model = MatrixFactorization(3, 5, 4)
    model.user_bias.weight.numpy()[:, 0] = [0.1, 0.2, 0.3]
    model.item_bias.weight.numpy()[:, 0] = [-0.1, 0.0, 0.1, 0.2, 0.3]
    P, Q = model.user_embedding.weight.numpy(), model.item_embedding.weight.numpy()
    u, i = PAIRS[:, 0], PAIRS[:, 1]
    expected = 3.0 + model.user_bias.weight.numpy()[u, 0] + model.item_bias.weight.numpy()[i, 0]
    expected = expected + (P[u] * Q[i]).sum(axis=1)
    np.testing.assert_allclose(model(PAIRS).numpy(), expected, rtol=1e-6)


def test_neural_cf_reads_embeddings_and_their_product():
    model = NeuralCF(3, 5, embedding_dim=4, hidden_sizes=(8, 2))
    assert model.mlp[0].weight.shape == (8, 12)
    assert model.mlp[-1].bias.item() == 3.0


def test_ids_are_checked():
    with pytest.raises(
        ValueError,
        match=r"NeuralCF\(num_users=3, num_items=5\): item id 5 is "
        r"out of range \[0, 5\)",
    ):
        NeuralCF(3, 5)(np.array([[0, 5]]))
    with pytest.raises(ValueError, match=r"expected \(B, 2\) integer \(user, item\) pairs"):
        MatrixFactorization(3, 5)(np.array([[0.0, 1.0]]))


@pytest.mark.parametrize("cls", [NeuralCF, MatrixFactorization])
def test_short_training_lowers_the_loss(cls):
    gradlab.manual_seed(0)
    data = make_ratings(100, 200, 5000, seed=0)
    model = cls(100, 200)
    trainer = Trainer(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=1e-2))
    losses = trainer.fit(
        data.X, data.y, epochs=6, batch_size=64, verbose=0, generator=np.random.default_rng(0)
    ).history["loss"]
    assert losses[-1] < 0.6 * losses[0]
