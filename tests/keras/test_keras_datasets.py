"""keras.datasets read Keras's cache files (real formats, small sizes) with Keras's shapes and
dtypes; missing files give an error naming them and where they go."""

import pickle

import numpy as np
import pytest
from keras_cache import write_cifar10, write_fashion_mnist, write_mnist

from gradlab.keras import datasets
from gradlab.keras.datasets.cache import DatasetNotFoundError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def test_mnist(cache):
    write_mnist(cache)
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    assert x_train.shape == (12, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (12,) and y_train.dtype == np.uint8
    assert x_test.shape == (6, 28, 28) and y_test.shape == (6,)


def test_fashion_mnist(cache):
    write_fashion_mnist(cache)
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()
    assert x_train.shape == (12, 28, 28) and x_train.dtype == np.uint8
    assert y_train.dtype == np.uint8 and y_test.shape == (6,)


@pytest.mark.parametrize("layout", ["keras3", "keras2"])
def test_cifar10(cache, layout):
    batches = write_cifar10(cache, layout=layout)
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (100, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (100, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (20, 32, 32, 3) and y_test.shape == (20, 1)
    data, labels = batches["data_batch_2"]
    # channels last: pixel (row 1, col 2) of image 0 of batch 2, in the R, G, B planes
    np.testing.assert_array_equal(x_train[20, 1, 2], data[0, [34, 1024 + 34, 2048 + 34]])
    assert y_train[20, 0] == labels[0]


def test_cifar10_refuses_pickles_that_run_code(cache):
    write_cifar10(cache)
    folder = cache / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": np.zeros((1, 3072), np.uint8), b"labels": [print]}, f)
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        datasets.cifar10.load_data()


@pytest.mark.parametrize(
    "name, file",
    [
        ("mnist", "mnist.npz"),
        ("fashion_mnist", "train-labels-idx1-ubyte.gz"),
        ("cifar10", "data_batch_1"),
    ],
)
def test_missing_files_are_named(cache, name, file):
    with pytest.raises(DatasetNotFoundError) as err:
        getattr(datasets, name).load_data()
    message = str(err.value)
    assert file in message and str(cache) in message and "does not download" in message
