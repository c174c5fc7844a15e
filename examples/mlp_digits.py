"""``gradlab.models.MLP`` on scikit-learn's digits with ``Trainer.fit``: 64-256-128-10,
ReLU, dropout 0.2, Adam 3e-3 with a cosine schedule, 30 epochs.

(``train_digits_mlp.py`` trains a similar net with a hand-written PyTorch-style loop.)
Run: ``python examples/mlp_digits.py``.
"""

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data import load_digits, train_test_split
from gradlab.models import MLP
from gradlab.train import Trainer, metrics


def train(epochs: int = 30, seed: int = 0, verbose: bool = True) -> float:
    """Train on a stratified 75/25 split (``seed``) and return the test accuracy."""
    data = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        data.X / 16.0, data.y, test_size=0.25, seed=seed, stratify=True
    )
    gradlab.manual_seed(seed)
    model = MLP(64, hidden_sizes=(256, 128), out_features=10, dropout=0.2)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, metrics=["accuracy"],
                      scheduler=schedule)  # fmt: skip
    trainer.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    predicted = trainer.predict(X_test).argmax(axis=1)
    accuracy = metrics.accuracy(y_test, predicted)
    if verbose:
        model.summary((64,))
        print(metrics.classification_report(y_test, predicted))
        print(f"seed {seed}: test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    accuracies = [train(seed=seed, verbose=seed == 0) for seed in range(5)]
    print(
        f"test accuracy over seeds 0-4: {np.round(accuracies, 4).tolist()}, "
        f"mean {np.mean(accuracies):.4f}, min {np.min(accuracies):.4f}"
    )
