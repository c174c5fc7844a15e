"""Small dataset files in Keras's real cache formats and layout, for tests."""

import gzip
import pickle

import numpy as np


def write_mnist(datasets, n_train=12, n_test=6, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(
        datasets / "mnist.npz",
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n_train, dtype=np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, n_test, dtype=np.uint8),
    )


def _idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def write_fashion_mnist(datasets, n_train=12, n_test=6, seed=0):
    rng = np.random.default_rng(seed)
    folder = datasets / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        _idx(
            folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8), 2049
        )
        _idx(
            folder / f"{prefix}-images-idx3-ubyte.gz",
            rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            2051,
        )


def write_cifar10(datasets, per_batch=20, n_test=20, seed=0, layout="keras3"):
    """data_batch_1..5 and test_batch as the python-version pickles (protocol 2, bytes keys,
    data uint8 (N, 3072) with the red, green and blue planes, labels a list of ints)."""
    rng = np.random.default_rng(seed)
    folder = datasets / (
        "cifar-10-batches-py-target/cifar-10-batches-py"
        if layout == "keras3"
        else "cifar-10-batches-py"
    )
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for name, n in [(f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test_batch", n_test)]:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n)]
        batches[name] = (data, labels)
        with open(folder / name, "wb") as f:
            pickle.dump(
                {
                    b"batch_label": name.encode(),
                    b"labels": labels,
                    b"data": data,
                    b"filenames": [b"x.png"] * n,
                },
                f,
                protocol=2,
            )
    return batches
