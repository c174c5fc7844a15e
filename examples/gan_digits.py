"""A GAN on scikit-learn's 8x8 digits (pixels scaled to [-1, 1], a tanh on the generator's
output), trained with the notes' objectives; writes a PNG grid of generated digits.

Run: ``python examples/gan_digits.py [--steps 6000] [--out runs/gan]``.
"""

import argparse
from pathlib import Path

import numpy as np

import gradlab
from gradlab import nn
from gradlab.data import load_digits
from gradlab.lab.applications.gan_mixture import sample, train_gan
from gradlab.lab.plots import plot_image_grid
from gradlab.models.gan import Discriminator, Generator


class TanhGenerator(nn.Sequential):
    """Generator followed by tanh: samples in [-1, 1] like the scaled pixels."""

    def __init__(self, latent_dim: int):
        super().__init__(Generator(latent_dim, (128, 256), 64), nn.Tanh())
        self.latent_dim = latent_dim


def main(steps: int = 6000, out="runs/gan", seed: int = 0) -> Path:
    gradlab.manual_seed(seed)
    pixels = load_digits().X / 8.0 - 1.0  # 0..16 -> -1..1
    generator, discriminator = TanhGenerator(16), Discriminator(64, (256, 128))
    history = train_gan(
        generator,
        discriminator,
        pixels,
        steps=steps,
        batch_size=64,
        lr=2e-4,
        seed=seed,
        log_every=1000,
    )
    print(
        f"final d_loss {np.mean(history['d_loss'][-200:]):.3f}  "
        f"g_loss {np.mean(history['g_loss'][-200:]):.3f}"
    )
    images = (sample(generator, 50, seed=seed + 1) + 1.0) / 2.0
    return plot_image_grid(
        images, Path(out) / "gan_digits.png", columns=10, title=f"GAN samples after {steps} steps"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--out", default="runs/gan")
    print(f"wrote {main(**vars(parser.parse_args()))}")
