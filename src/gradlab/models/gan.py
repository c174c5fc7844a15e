"""A generative adversarial network (the notes, 002 "FNN/CNN/RNN/LSTM/GAN" Q5): a generator
maps random noise to fake samples, a discriminator tells real samples from fake ones.

The objectives, with D(x) = sigmoid(discriminator logit) and BCE with logits:

- discriminator: maximize log D(x) + log(1 - D(G(z))), i.e. minimize
  ``BCE(D(x), 1) + BCE(D(G(z)), 0)`` (:func:`discriminator_loss`);
- generator: the notes' "minimize the discriminator's ability to classify fake data", i.e.
  minimize log(1 - D(G(z))) (``saturating=True``), or, as usually trained because its gradient
  does not vanish while D wins, maximize log D(G(z)): minimize ``BCE(D(G(z)), 1)`` (the
  default, "non-saturating"; :func:`generator_loss`).
"""

from __future__ import annotations

from gradlab import nn
from gradlab.creation import full_like
from gradlab.models.autoencoder import mlp_layers
from gradlab.nn.classification_losses import binary_cross_entropy_with_logits as bce_logits
from gradlab.tensor import Tensor

__all__ = ["Discriminator", "Generator", "discriminator_loss", "generator_loss"]


def _as_input(model: str, x, features: int, label: str) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim > 2:
        x = x.reshape(x.shape[0], -1)
    if x.ndim != 2 or x.shape[1] != features:
        raise ValueError(f"{model}: {label} has shape {tuple(x.shape)}, expected (B, {features})")
    return x


class Generator(nn.Module):
    """Noise z (B, latent_dim) -> samples (B, out_features); an MLP with LeakyReLU(0.2) hidden
    layers and a linear output."""

    def __init__(self, latent_dim: int = 2, hidden_sizes=(64, 64), out_features: int = 2):
        super().__init__()
        self.latent_dim, self.out_features = int(latent_dim), int(out_features)
        self.net = mlp_layers("Generator", [latent_dim, *hidden_sizes, out_features], "leaky_relu")

    def forward(self, z) -> Tensor:
        z = _as_input(f"Generator(latent_dim={self.latent_dim})", z, self.latent_dim, "noise")
        return self.net(z)


class Discriminator(nn.Module):
    """Samples (B, in_features) (a (B, ...) input is flattened) -> real-vs-fake logits (B, 1);
    an MLP with LeakyReLU(0.2) hidden layers."""

    def __init__(self, in_features: int = 2, hidden_sizes=(64, 64)):
        super().__init__()
        self.in_features = int(in_features)
        self.net = mlp_layers("Discriminator", [in_features, *hidden_sizes, 1], "leaky_relu")

    def forward(self, x) -> Tensor:
        x = _as_input(
            f"Discriminator(in_features={self.in_features})", x, self.in_features, "input"
        )
        return self.net(x)


def _labels(logits: Tensor, value: float) -> Tensor:
    return full_like(logits, value)


def discriminator_loss(real_logits, fake_logits) -> Tensor:
    """``BCE(real, 1) + BCE(fake, 0)`` with logits, each a mean over its batch: the negative of
    the discriminator's objective log D(x) + log(1 - D(G(z)))."""
    return bce_logits(real_logits, _labels(real_logits, 1.0)) + bce_logits(
        fake_logits, _labels(fake_logits, 0.0)
    )


def generator_loss(fake_logits, saturating: bool = False) -> Tensor:
    """The generator's loss on the discriminator's logits for its samples (B, 1).

    saturating=False (default): ``BCE(fake, 1)`` = -mean log D(G(z)).
    saturating=True: the minimax form mean log(1 - D(G(z))) = -BCE(fake, 0).
    """
    if saturating:
        return -bce_logits(fake_logits, _labels(fake_logits, 0.0))
    return bce_logits(fake_logits, _labels(fake_logits, 1.0))
