"""A generator and its discriminator held in one module, so a config can name a GAN and a
run can save both nets in one file (state-dict keys ``generator.*`` and
``discriminator.*``)."""

from __future__ import annotations

from gradlab import nn
from gradlab.models.gan import Discriminator, Generator
from gradlab.nn import functional as F

__all__ = ["GANPair"]

OUTPUT_ACTIVATIONS = ("none", "tanh", "sigmoid")


class _SquashedGenerator(Generator):
    """A Generator whose samples go through tanh or sigmoid (data scaled to [-1, 1] or
    [0, 1]); same parameters and state-dict keys as Generator."""

    def __init__(self, latent_dim, hidden_sizes, out_features, activation: str):
        super().__init__(latent_dim, hidden_sizes, out_features)
        self.activation = activation

    def forward(self, z):
        out = super().forward(z)
        return F.tanh(out) if self.activation == "tanh" else F.sigmoid(out)


class GANPair(nn.Module):
    """``generator`` (:class:`~gradlab.models.Generator`) and ``discriminator``
    (:class:`~gradlab.models.Discriminator`) for samples of ``in_features`` values.

    Args:
        in_features: F, the size of one (flattened) data sample: the generator's output and
            the discriminator's input.
        latent_dim: the size of the generator's noise z.
        hidden_sizes: the generator's hidden layers.
        discriminator_hidden_sizes: the discriminator's (default: ``hidden_sizes``).
        output_activation: "none", "tanh" or "sigmoid" on the generator's samples.

    ``forward(z)`` (B, latent_dim) -> samples (B, F): the generator.
    """

    def __init__(
        self,
        in_features: int,
        latent_dim: int = 2,
        hidden_sizes: tuple[int, ...] = (64, 64),
        discriminator_hidden_sizes: tuple[int, ...] | None = None,
        output_activation: str = "none",
    ):
        super().__init__()
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"GANPair: output_activation={output_activation!r}, expected one of "
                f"{OUTPUT_ACTIVATIONS}"
            )
        self.in_features, self.latent_dim = int(in_features), int(latent_dim)
        hidden_sizes = tuple(hidden_sizes)
        if output_activation == "none":
            self.generator = Generator(latent_dim, hidden_sizes, in_features)
        else:
            self.generator = _SquashedGenerator(
                latent_dim, hidden_sizes, in_features, output_activation
            )
        d_sizes = tuple(discriminator_hidden_sizes or hidden_sizes)
        self.discriminator = Discriminator(in_features, d_sizes)

    def forward(self, z):
        return self.generator(z)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, latent_dim={self.latent_dim}"
