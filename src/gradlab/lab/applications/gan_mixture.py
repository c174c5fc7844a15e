"""A GAN on a 2-D Gaussian mixture, and on digits: the adversarial training loop, mode
coverage, and the plots (samples over the data, the share of samples per mode, a grid of
generated digits).

``train_gan`` alternates one discriminator step and one generator step per batch with the
objectives of :mod:`gradlab.models.gan`. A mode counts as covered when at least a quarter of
its fair share (``1 / (4 K)`` of K modes) of the generated samples lie within 3 standard
deviations of its center; "quality" is the share of samples within 3 std of any center.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import gradlab
from gradlab import optim
from gradlab.data.synthetic_tasks import make_gaussian_mixture
from gradlab.lab.plots import pyplot, save_figure
from gradlab.models.gan import Discriminator, Generator, discriminator_loss, generator_loss

__all__ = [
    "mode_coverage",
    "plot_coverage",
    "run_gan_mixture",
    "sample",
    "train_gan",
]


def train_gan(
    generator,
    discriminator,
    data,
    steps: int = 2000,
    batch_size: int = 128,
    lr: float = 1e-3,
    betas=(0.5, 0.999),
    saturating: bool = False,
    seed: int = 0,
    log_every: int = 0,
    *,
    d_optimizer=None,
    g_optimizer=None,
    rng: np.random.Generator | None = None,
) -> dict:
    """Train ``generator`` against ``discriminator`` on rows of ``data`` (N, F).

    Each step: a batch of real rows and one of noise z ~ N(0, I); one Adam step on
    ``discriminator_loss(D(x), D(G(z)))`` (G's output detached), then one on
    ``generator_loss(D(G(z')))`` for fresh noise. Returns {"d_loss": [...], "g_loss": [...]}
    per step.

    To continue a run over several calls (``gradlab train`` logs one call per epoch), pass
    the optimizers (``d_optimizer``, ``g_optimizer``: any gradlab optimizers over each
    net's parameters; default Adam(lr, betas)) and ``rng`` (default
    ``numpy.random.default_rng(seed)``) of the previous call.
    """
    rng = np.random.default_rng(seed) if rng is None else rng
    data = np.asarray(data, dtype=gradlab.get_default_dtype())
    d_opt = d_optimizer or optim.Adam(discriminator.parameters(), lr=lr, betas=betas)
    g_opt = g_optimizer or optim.Adam(generator.parameters(), lr=lr, betas=betas)
    history = {"d_loss": [], "g_loss": []}
    latent = generator.latent_dim
    generator.train()
    discriminator.train()
    for step in range(steps):
        real = gradlab.tensor(data[rng.integers(0, len(data), size=batch_size)])
        z = gradlab.randn(batch_size, latent, generator=rng)
        d_opt.zero_grad()
        d_loss = discriminator_loss(discriminator(real), discriminator(generator(z).detach()))
        d_loss.backward()
        d_opt.step()

        g_opt.zero_grad()
        z = gradlab.randn(batch_size, latent, generator=rng)
        g_loss = generator_loss(discriminator(generator(z)), saturating=saturating)
        g_loss.backward()
        g_opt.step()
        history["d_loss"].append(float(d_loss.numpy()))
        history["g_loss"].append(float(g_loss.numpy()))
        if log_every and (step + 1) % log_every == 0:
            print(
                f"step {step + 1:5d}  d_loss {np.mean(history['d_loss'][-log_every:]):.4f}  "
                f"g_loss {np.mean(history['g_loss'][-log_every:]):.4f}"
            )
    return history


def sample(generator, n: int, seed: int = 1) -> np.ndarray:
    """``n`` generator samples (n, out_features) as a NumPy array, in eval mode, no grad."""
    rng = np.random.default_rng(seed)
    generator.eval()
    with gradlab.no_grad():
        return generator(gradlab.randn(n, generator.latent_dim, generator=rng)).numpy()


def mode_coverage(samples, centers, std: float, radius_stds: float = 3.0) -> dict:
    """How generated ``samples`` (N, 2) cover the mixture's ``centers`` (K, 2).

    Returns {"shares": (K,) share of samples within ``radius_stds * std`` of each center,
    "quality": share within that distance of any center, "covered": number of modes whose
    share is at least 1 / (4 K), "n_modes": K}.
    """
    samples, centers = np.asarray(samples, np.float64), np.asarray(centers, np.float64)
    distance = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
    nearest = distance.argmin(axis=1)
    close = distance[np.arange(len(samples)), nearest] <= radius_stds * std
    k = len(centers)
    shares = np.bincount(nearest[close], minlength=k) / len(samples)
    return {
        "shares": shares,
        "quality": float(close.mean()),
        "covered": int((shares >= 1.0 / (4 * k)).sum()),
        "n_modes": k,
    }


def plot_coverage(real, fake, centers, coverage: dict, path) -> Path:
    """Two panels: generated samples over the real ones with the centers marked, and the
    share of samples per mode against the fair share 1/K and the coverage threshold."""
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.4))
    left.scatter(real[:, 0], real[:, 1], s=3, alpha=0.3, label="real", color="tab:blue")
    left.scatter(fake[:, 0], fake[:, 1], s=3, alpha=0.3, label="generated", color="tab:orange")
    left.scatter(centers[:, 0], centers[:, 1], marker="x", color="black", label="mode centers")
    left.set_aspect("equal")
    left.set_title("samples")
    left.legend(loc="upper right", fontsize=8, markerscale=3)
    k = len(centers)
    right.bar(np.arange(k), coverage["shares"], color="tab:orange")
    right.axhline(1.0 / k, color="black", linestyle="--", label="fair share 1/K")
    right.axhline(1.0 / (4 * k), color="tab:red", linestyle=":", label="covered above 1/(4K)")
    right.set_xlabel("mode")
    right.set_ylabel("share of generated samples within 3 std")
    right.set_title(f"{coverage['covered']}/{k} modes covered, quality {coverage['quality']:.2f}")
    right.legend(fontsize=8)
    return save_figure(figure, path)


def run_gan_mixture(
    n_modes: int = 8,
    std: float = 0.1,
    radius: float = 2.0,
    steps: int = 3000,
    batch_size: int = 128,
    latent_dim: int = 2,
    hidden_sizes=(64, 64),
    lr: float = 1e-3,
    seed: int = 0,
    n_samples: int = 2000,
    out_dir=None,
    log_every: int = 0,
) -> dict:
    """Train a GAN on a ring of ``n_modes`` Gaussians and measure mode coverage.

    Returns {"coverage": mode_coverage(...), "history": ..., "generator", "discriminator",
    "figure": path or None}; with ``out_dir`` writes ``gan_mixture_coverage.png``.
    """
    gradlab.manual_seed(seed)
    data = make_gaussian_mixture(20_000, n_modes, radius, std, seed=seed)
    generator = Generator(latent_dim, hidden_sizes, 2)
    discriminator = Discriminator(2, hidden_sizes)
    history = train_gan(
        generator, discriminator, data.X, steps, batch_size, lr, seed=seed, log_every=log_every
    )
    fake = sample(generator, n_samples, seed=seed + 1)
    coverage = mode_coverage(fake, data.extra["centers"], std)
    figure = None
    if out_dir is not None:
        figure = plot_coverage(
            data.X[:n_samples],
            fake,
            data.extra["centers"],
            coverage,
            Path(out_dir) / "gan_mixture_coverage.png",
        )
    return {
        "coverage": coverage,
        "history": history,
        "generator": generator,
        "discriminator": discriminator,
        "figure": figure,
    }
