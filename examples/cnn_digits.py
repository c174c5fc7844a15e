"""CNNs from ``gradlab.models``: LeNet on scikit-learn's 8x8 digits, and the notes' CIFAR-10
tutorial network (worked example 14: conv32-pool-conv64-pool-conv64-dense64-10, Adam 1e-3,
batch 64, 10 epochs) on CIFAR-10 when its files are in the data directory (never
downloaded here; see ``gradlab.data.load_cifar10``).

Run: ``python examples/cnn_digits.py [--cifar-epochs N] [--cifar-subset N]``.
"""

import argparse

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data import DatasetNotFoundError, load_cifar10, load_digits, train_test_split
from gradlab.models import CifarTutorialCNN, LeNet
from gradlab.train import Trainer, metrics


def lenet_digits(epochs: int = 60, seed: int = 0, verbose: bool = True) -> float:
    """LeNet on a stratified 75/25 split of digits (``seed``); returns the test accuracy."""
    data = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        data.X.reshape(-1, 1, 8, 8) / 16.0, data.y, test_size=0.25, seed=seed, stratify=True
    )
    gradlab.manual_seed(seed)
    model = LeNet(in_channels=1, num_classes=10, image_size=8)
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, scheduler=schedule)
    trainer.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    predicted = trainer.predict(X_test).argmax(axis=1)
    accuracy = metrics.accuracy(y_test, predicted)
    if verbose:
        model.summary((1, 8, 8))
        print(metrics.classification_report(y_test, predicted))
        print(f"LeNet on digits, seed {seed}: test accuracy {accuracy:.4f}")
    return accuracy


def cifar_tutorial(epochs: int = 10, subset: int | None = None, seed: int = 0):
    """The notes' CIFAR-10 net with Adam(1e-3), batch 64; None when CIFAR-10 is absent."""
    try:
        train, test = load_cifar10(download=False), load_cifar10(train=False, download=False)
    except DatasetNotFoundError as error:
        print(f"CIFAR-10 not trained: {error}")
        return None
    X_train, y_train = train.X[:subset], train.y[:subset]
    gradlab.manual_seed(seed)
    model = CifarTutorialCNN()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
                      metrics=["accuracy"])  # fmt: skip
    history = trainer.fit(X_train, y_train, epochs=epochs, batch_size=64,
                          validation_data=(test.X, test.y), verbose=1)  # fmt: skip
    print(f"CIFAR-10 tutorial CNN: test accuracy {history['val_accuracy'][-1]:.4f} after "
          f"{epochs} epochs on {len(X_train)} training images")  # fmt: skip
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cifar-epochs", type=int, default=10)
    parser.add_argument("--cifar-subset", type=int, default=None)
    args = parser.parse_args()
    accuracies = [lenet_digits(seed=seed, verbose=seed == 0) for seed in range(5)]
    print(
        f"LeNet test accuracy over seeds 0-4: {np.round(accuracies, 4).tolist()}, "
        f"mean {np.mean(accuracies):.4f}, min {np.min(accuracies):.4f}"
    )
    cifar_tutorial(args.cifar_epochs, args.cifar_subset)
