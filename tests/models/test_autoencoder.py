"""Autoencoder: shapes, gradients, errors, training, and the quality bar: with a 2-D code,
its test reconstruction MSE on digits is at least 15% below that of the best linear 2-D code
(PCA with 2 components, fitted on the same training digits)."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import load_digits, train_test_split
from gradlab.models.autoencoder import Autoencoder, mlp_layers
from gradlab.train import Trainer


def test_shapes_and_gradients():
    gradlab.manual_seed(0)
    model = Autoencoder(12, hidden_sizes=(8, 6), latent_dim=3, activation="tanh")
    x = gradlab.randn(5, 12, requires_grad=True)
    assert model.encode(x).shape == (5, 3)
    assert model.decode(gradlab.randn(5, 3)).shape == (5, 12)
    out = model(x)
    assert out.shape == (5, 12)
    out.sum().backward()
    assert x.grad.shape == (5, 12)
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())
    # (B, 3, 4) images are flattened
    assert model(gradlab.randn(2, 3, 4)).shape == (2, 12)
    # encoder 12-8-6-3, decoder 3-6-8-12
    sizes = [m.weight.shape for m in model.modules() if isinstance(m, nn.Linear)]
    assert sizes == [(8, 12), (6, 8), (3, 6), (6, 3), (8, 6), (12, 8)]


def test_mlp_layers_put_activations_between_layers_only():
    layers = mlp_layers("test", [4, 5, 2], "relu")
    assert [type(m).__name__ for m in layers] == ["Linear", "ReLU", "Linear"]


def test_errors():
    with pytest.raises(
        ValueError,
        match=r"Autoencoder\(in_features=12\): input has shape "
        r"\(5, 10\), expected \(B, 12\)",
    ):
        Autoencoder(12)(gradlab.randn(5, 10))
    with pytest.raises(ValueError, match=r"Autoencoder\(latent_dim=2\): code has shape"):
        Autoencoder(12).decode(gradlab.randn(5, 3))
    with pytest.raises(ValueError, match=r"Autoencoder: activation='swish'"):
        Autoencoder(12, activation="swish")


def _digits():
    digits = load_digits()
    return train_test_split(
        (digits.X / 16.0).astype(np.float32), digits.y, test_size=0.25, seed=0, stratify=True
    )


def _train(model, X, epochs):
    trainer = Trainer(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=3e-3))
    history = trainer.fit(X, X, epochs=epochs, verbose=0, generator=np.random.default_rng(0))
    return trainer, history.history["loss"]


def test_short_training_lowers_the_loss():
    gradlab.manual_seed(0)
    X_train, *_ = _digits()
    _, losses = _train(Autoencoder(64, (32,), 2), X_train, epochs=3)
    assert losses[-1] < 0.7 * losses[0]


def test_two_dimensional_code_beats_pca_by_15_percent():
    gradlab.manual_seed(0)
    X_train, X_test, _, _ = _digits()
    trainer, _ = _train(Autoencoder(64, (128, 64), 2), X_train, epochs=30)
    autoencoder_mse = float(np.mean((trainer.predict(X_test) - X_test) ** 2))
    mean = X_train.mean(axis=0)
    components = np.linalg.svd(X_train - mean, full_matrices=False)[2][:2]
    pca = (X_test - mean) @ components.T @ components + mean
    pca_mse = float(np.mean((pca - X_test) ** 2))
    assert autoencoder_mse <= 0.85 * pca_mse
