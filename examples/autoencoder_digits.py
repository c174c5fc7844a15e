"""An autoencoder with a 2-D code on scikit-learn's digits: reconstruction MSE against PCA
with 2 components, a scatter plot of the test digits' codes colored by class, and a grid
of test digits above their reconstructions.

Run: ``python examples/autoencoder_digits.py [--epochs 100] [--out runs/autoencoder]``;
writes ``latent_scatter.png`` and ``reconstructions.png``.
"""

import argparse
from pathlib import Path

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data import load_digits, train_test_split
from gradlab.lab.plots import plot_image_grid, pyplot, save_figure
from gradlab.models.autoencoder import Autoencoder
from gradlab.train import Trainer


def main(epochs: int = 100, out="runs/autoencoder", seed: int = 0) -> dict:
    gradlab.manual_seed(seed)
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        (digits.X / 16.0).astype(np.float32), digits.y, test_size=0.25, seed=seed, stratify=True
    )
    model = Autoencoder(64, hidden_sizes=(128, 64), latent_dim=2)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    trainer = Trainer(
        model,
        nn.MSELoss(),
        optimizer,
        scheduler=optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs),
    )
    trainer.fit(X_train, X_train, epochs=epochs, verbose=0, generator=np.random.default_rng(seed))
    reconstruction = trainer.predict(X_test)
    mean = X_train.mean(axis=0)
    components = np.linalg.svd(X_train - mean, full_matrices=False)[2][:2]
    pca = (X_test - mean) @ components.T @ components + mean
    results = {
        "autoencoder MSE": float(np.mean((reconstruction - X_test) ** 2)),
        "PCA-2 MSE": float(np.mean((pca - X_test) ** 2)),
        "mean-image MSE": float(np.mean((mean - X_test) ** 2)),
    }
    model.eval()
    with gradlab.no_grad():
        codes = model.encode(X_test).numpy()
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 5))
    points = axis.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=8)
    figure.colorbar(points, ax=axis, ticks=range(10), label="digit")
    axis.set_title("2-D codes of the test digits")
    save_figure(figure, Path(out) / "latent_scatter.png")
    pairs = np.concatenate([X_test[:10], np.clip(reconstruction[:10], 0, 1)])
    plot_image_grid(
        pairs,
        Path(out) / "reconstructions.png",
        columns=10,
        title="test digits (top) and their reconstructions (bottom)",
    )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--out", default="runs/autoencoder")
    for name, value in main(**vars(parser.parse_args())).items():
        print(f"{name:16s} {value:.4f}")
