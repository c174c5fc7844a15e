"""Classify scikit-learn's 8x8 digits with an LSTM and a GRU reading each image row by row
(8 time steps of 8 pixels): SequenceClassifier, Trainer.fit, a cosine schedule.

Run: ``python examples/rnn_digits_rows.py [--epochs 30]`` (needs the lab extra). The test
tests/models/test_recurrent_models.py asserts >= 0.95 after 15 epochs.
"""

import argparse

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data import load_digits, train_test_split
from gradlab.models.recurrent import SequenceClassifier
from gradlab.train import Trainer, metrics


def train(cell: str, epochs: int = 30, seed: int = 0, verbose: int = 0) -> float:
    """Train one cell type and return its test accuracy."""
    gradlab.manual_seed(seed)
    digits = load_digits()
    rows = (digits.X / 16.0).reshape(-1, 8, 8).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        rows, digits.y, test_size=0.25, seed=seed, stratify=True
    )
    model = SequenceClassifier(8, num_classes=10, hidden_size=64, cell=cell)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        metrics=["accuracy"],
        scheduler=optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs),
    )
    trainer.fit(
        X_train, y_train, epochs=epochs, verbose=verbose, generator=np.random.default_rng(seed)
    )
    return metrics.accuracy(y_test, trainer.predict(X_test).argmax(axis=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    for cell in ("lstm", "gru"):
        print(f"{cell.upper()}: test accuracy {train(cell, args.epochs):.4f}")
