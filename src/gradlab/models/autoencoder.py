"""An autoencoder (the notes, 003 Q51): an encoder maps the input to a low-dimensional latent
code, a decoder maps the code back, and both are trained together to reduce the
reconstruction error.

Both halves are MLPs: in_features -> hidden_sizes... -> latent_dim (linear) for the encoder,
the mirror image for the decoder (linear output, so train on inputs scaled to [0, 1] with
MSE). Also home of :func:`mlp_layers`, the Linear/activation stack the GAN models share.
"""

from __future__ import annotations

from gradlab import nn
from gradlab.tensor import Tensor

__all__ = ["ACTIVATIONS", "Autoencoder", "activation_module", "mlp_layers"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def activation_module(model: str, name: str) -> nn.Module:
    """A fresh activation module by name ("relu", "leaky_relu" (slope 0.2), "tanh", ...)."""
    key = str(name).lower()
    if key not in ACTIVATIONS:
        raise ValueError(f"{model}: activation={name!r}, expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[key]()


def mlp_layers(model: str, sizes, activation: str) -> nn.Sequential:
    """Linear(sizes[0], sizes[1]), activation, ..., Linear(sizes[-2], sizes[-1]): an activation
    after every layer but the last."""
    sizes = [int(s) for s in sizes]
    if any(s <= 0 for s in sizes):
        raise ValueError(f"{model}: layer sizes {sizes}, expected positive integers")
    layers = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if k < len(sizes) - 2:
            layers.append(activation_module(model, activation))
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """MLP encoder and decoder around a ``latent_dim`` code.

    Args:
        in_features: input size F (a (B, ...) input is flattened to (B, F)).
        hidden_sizes: the encoder's hidden layers; the decoder uses them in reverse.
        latent_dim: size of the code (2 gives a plottable latent space).
        activation: hidden-layer activation by name.

    Shapes: forward (B, F) -> reconstruction (B, F); encode (B, F) -> (B, latent_dim);
    decode (B, latent_dim) -> (B, F).
    """

    def __init__(
        self, in_features: int, hidden_sizes=(64,), latent_dim: int = 2, activation: str = "relu"
    ):
        super().__init__()
        hidden = [int(h) for h in hidden_sizes]
        self.in_features, self.latent_dim = int(in_features), int(latent_dim)
        self.encoder = mlp_layers("Autoencoder", [in_features, *hidden, latent_dim], activation)
        self.decoder = mlp_layers(
            "Autoencoder", [latent_dim, *hidden[::-1], in_features], activation
        )

    def _flat(self, x) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim > 2:
            x = x.reshape(x.shape[0], -1)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Autoencoder(in_features={self.in_features}): input has shape "
                f"{tuple(x.shape)}, expected (B, {self.in_features})"
            )
        return x

    def encode(self, x) -> Tensor:
        """(B, F) -> latent codes (B, latent_dim)."""
        return self.encoder(self._flat(x))

    def decode(self, z) -> Tensor:
        """(B, latent_dim) -> reconstructions (B, F)."""
        z = z if isinstance(z, Tensor) else Tensor(z)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"Autoencoder(latent_dim={self.latent_dim}): code has shape {tuple(z.shape)}, "
                f"expected (B, {self.latent_dim})"
            )
        return self.decoder(z)

    def forward(self, x) -> Tensor:
        return self.decoder(self.encode(x))
