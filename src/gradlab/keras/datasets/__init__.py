"""``keras.datasets``: mnist, fashion_mnist, cifar10 read from Keras's local cache."""

from gradlab.keras.datasets import cifar10, fashion_mnist, mnist

__all__ = ["cifar10", "fashion_mnist", "mnist"]
