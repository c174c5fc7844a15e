"""File loaders (IDX, CIFAR-10 binary, MovieLens u.data) on small files in the real formats,
their errors, and the download path with the network replaced (tests never touch it)."""

import gzip
import hashlib
import io
import socket
import struct
import tarfile
import urllib.error

import numpy as np
import pytest

from gradlab.data import download as dl
from gradlab.data.datasets import (
    DatasetFormatError,
    DatasetNotFoundError,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
    load_movielens_100k,
    read_idx,
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("GRADLAB_DATA", raising=False)


def idx_bytes(array, type_byte=0x08, dtype=">u1"):
    header = struct.pack(">BBBB", 0, 0, type_byte, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(dtype).tobytes()


def write_mnist(directory, prefix, n, seed, compress):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in [(f"{prefix}-images-idx3-ubyte", idx_bytes(images)),
                       (f"{prefix}-labels-idx1-ubyte", idx_bytes(labels))]:  # fmt: skip
        if compress:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_from_idx_files(tmp_path, compress):
    images, labels = write_mnist(tmp_path / "mnist", "train", 5, 0, compress)
    test_images, test_labels = write_mnist(tmp_path / "mnist", "t10k", 3, 1, compress)
    train = load_mnist(root=tmp_path, download=False)
    assert train.X.shape == (5, 1, 28, 28) and train.X.dtype == np.float32
    np.testing.assert_allclose(train.X[:, 0], images / 255.0, rtol=1e-6)
    assert train.y.dtype == np.int64 and train.y.tolist() == labels.tolist()
    test = load_mnist(root=tmp_path, train=False, download=False)
    assert test.y.tolist() == test_labels.tolist()
    np.testing.assert_allclose(test.X[:, 0], test_images / 255.0, rtol=1e-6)


def test_fashion_mnist_and_gradlab_data_env(tmp_path, monkeypatch):
    _, labels = write_mnist(tmp_path / "fashion-mnist", "train", 4, 2, True)
    monkeypatch.setenv("GRADLAB_DATA", str(tmp_path))
    bunch = load_fashion_mnist(download=False)
    assert bunch.y.tolist() == labels.tolist() and bunch.target_names[9] == "Ankle boot"


def test_read_idx_other_types_big_endian(tmp_path):
    data = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5
    (tmp_path / "x.idx").write_bytes(idx_bytes(data, 0x0D, ">f4"))
    out = read_idx(tmp_path / "x.idx")
    assert out.dtype == np.float32 and out.dtype.byteorder in "=<"
    np.testing.assert_array_equal(out, data)


def test_truncated_idx_names_the_file(tmp_path):
    write_mnist(tmp_path / "mnist", "train", 3, 0, False)
    path = tmp_path / "mnist" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetFormatError, match=r"train-images-idx3-ubyte: IDX file is truncated"):
        load_mnist(root=tmp_path, download=False)
    path.write_bytes(b"\x00\x00\x08")
    with pytest.raises(DatasetFormatError, match="train-images-idx3-ubyte: magic number none"):
        load_mnist(root=tmp_path, download=False)


def test_wrong_idx_file_names_the_magic_number(tmp_path):
    directory = tmp_path / "mnist"
    write_mnist(directory, "train", 3, 0, False)
    labels = (directory / "train-labels-idx1-ubyte").read_bytes()
    (directory / "train-images-idx3-ubyte").write_bytes(labels)  # labels where images belong
    with pytest.raises(DatasetFormatError, match=r"magic number 0x00000801, expected 0x00000803"):
        load_mnist(root=tmp_path, download=False)


def test_truncated_gzip_and_mismatched_counts(tmp_path):
    directory = tmp_path / "mnist"
    write_mnist(directory, "train", 3, 0, True)
    gz = directory / "train-labels-idx1-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:-12])
    with pytest.raises(DatasetFormatError, match=r"train-labels-idx1-ubyte.gz: corrupted or trunc"):
        load_mnist(root=tmp_path, download=False)
    gz.write_bytes(gzip.compress(idx_bytes(np.zeros(4, np.uint8))))
    with pytest.raises(DatasetFormatError, match="has 3 images but .* has 4 labels"):
        load_mnist(root=tmp_path, download=False)


def test_missing_files_without_download_say_what_to_put_where(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(root=tmp_path, download=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert str(tmp_path / "mnist") in message and "https://" in message
    assert "download=False" in message
    for loader, name in [(load_cifar10, "data_batch_1.bin"), (load_movielens_100k, "u.data")]:
        with pytest.raises(DatasetNotFoundError, match=name):
            loader(root=tmp_path, download=False)


def cifar_batch(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    pixels = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    raw = np.concatenate([labels[:, None], pixels], axis=1).tobytes()
    return raw, labels, pixels


def test_load_cifar10_binary_batches(tmp_path):
    directory = tmp_path / "cifar-10-batches-bin"
    directory.mkdir()
    expected_labels, expected_pixels = [], []
    for i in range(1, 6):
        raw, labels, pixels = cifar_batch(i, seed=i)  # batch i has i records
        (directory / f"data_batch_{i}.bin").write_bytes(raw)
        expected_labels.append(labels)
        expected_pixels.append(pixels)
    raw, test_labels, _ = cifar_batch(4, seed=9)
    (directory / "test_batch.bin").write_bytes(raw)
    train = load_cifar10(root=tmp_path, download=False)
    assert train.X.shape == (15, 3, 32, 32) and train.X.dtype == np.float32
    pixels = np.concatenate(expected_pixels)
    # the first 1024 bytes after the label are the red plane, row-major
    np.testing.assert_allclose(train.X[:, 0].reshape(15, -1), pixels[:, :1024] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(train.X[:, 2].reshape(15, -1), pixels[:, 2048:] / 255.0, rtol=1e-6)
    assert train.y.tolist() == np.concatenate(expected_labels).tolist()
    assert train.target_names[0] == "airplane"
    assert (
        load_cifar10(root=tmp_path, train=False, download=False).y.tolist() == test_labels.tolist()
    )


def test_cifar10_truncated_or_wrong_file(tmp_path):
    directory = tmp_path / "cifar-10-batches-bin"
    directory.mkdir()
    raw, _, _ = cifar_batch(2, 0)
    (directory / "test_batch.bin").write_bytes(raw[:-1])
    with pytest.raises(DatasetFormatError, match=r"test_batch.bin: 6145 bytes is not a whole"):
        load_cifar10(root=tmp_path, train=False, download=False)
    bad = bytearray(raw)
    bad[3073] = 200  # the second record's label
    (directory / "test_batch.bin").write_bytes(bytes(bad))
    with pytest.raises(DatasetFormatError, match="record 1 has label 200"):
        load_cifar10(root=tmp_path, train=False, download=False)


def test_load_movielens_u_data(tmp_path):
    directory = tmp_path / "ml-100k"
    directory.mkdir()
    lines = ["196\t242\t3\t881250949", "186\t302\t3\t891717742", "1\t1\t5\t874965758"]
    (directory / "u.data").write_text("\n".join(lines) + "\n")
    bunch = load_movielens_100k(root=tmp_path, download=False)
    assert bunch.X.tolist() == [[195, 241], [185, 301], [0, 0]]
    assert bunch.y.dtype == np.float32 and bunch.y.tolist() == [3.0, 3.0, 5.0]
    assert bunch.extra["n_users"] == 196 and bunch.extra["n_items"] == 302
    assert bunch.extra["timestamp"].tolist() == [881250949, 891717742, 874965758]
    (directory / "u.data").write_text(lines[0] + "\n196\t242\tthree\t881250949\n")
    with pytest.raises(DatasetFormatError, match=r"u.data, line 2: .*three"):
        load_movielens_100k(root=tmp_path, download=False)
    (directory / "u.data").write_text("196\t242\t9\t881250949\n")
    with pytest.raises(DatasetFormatError, match="rating 9"):
        load_movielens_100k(root=tmp_path, download=False)


# ---------------------------------------------------------------- download, network replaced
class FakeResponse(io.BytesIO):
    pass


def serve(monkeypatch, payloads):
    """Replace the one function that opens URLs: url -> bytes, or an exception to raise."""
    calls = []

    def fake_urlopen(url, timeout):
        calls.append(url)
        result = payloads[url]
        if isinstance(result, Exception):
            raise result
        return FakeResponse(result)

    monkeypatch.setattr(dl, "_urlopen", fake_urlopen)
    return calls


def tar_gz(members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_download_verifies_checksum_and_tries_mirrors(tmp_path, monkeypatch):
    good = b"the real file"
    remote = dl.Remote(
        "f.bin", ("https://a/f.bin", "https://b/f.bin"), hashlib.sha256(good).hexdigest()
    )
    calls = serve(monkeypatch, {"https://a/f.bin": urllib.error.URLError("no route"),
                                "https://b/f.bin": good})  # fmt: skip
    path = dl.download(remote, tmp_path)
    assert path.read_bytes() == good and calls == ["https://a/f.bin", "https://b/f.bin"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]  # no partial files left

    serve(monkeypatch, {"https://a/f.bin": b"tampered", "https://b/f.bin": TimeoutError("slow")})
    (tmp_path / "f.bin").unlink()
    with pytest.raises(dl.DownloadError, match="does not match the expected"):
        dl.download(remote, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_require_downloads_and_extracts_archive_members(tmp_path, monkeypatch):
    raw, labels, _ = cifar_batch(3, 0)
    archive = tar_gz({"cifar-10-batches-bin/test_batch.bin": raw, "evil/../../x": b"no"})
    remote = dl.Remote("c.tar.gz", ("https://x/c.tar.gz",), hashlib.sha256(archive).hexdigest())
    calls = serve(monkeypatch, {"https://x/c.tar.gz": archive})
    members = {"c.tar.gz": {"cifar-10-batches-bin/test_batch.bin": "test_batch.bin"}}
    dl.require("CIFAR", tmp_path, ["test_batch.bin"], [remote], "x", True, members)
    assert (tmp_path / "test_batch.bin").read_bytes() == raw and len(calls) == 1
    assert not (tmp_path.parent / "x").exists()
    # the verified archive already present is reused without the network, even when
    # downloading is disabled
    (tmp_path / "test_batch.bin").unlink()
    dl.require("CIFAR", tmp_path, ["test_batch.bin"], [remote], "x", False, members)
    assert (tmp_path / "test_batch.bin").is_file() and len(calls) == 1


def test_failed_download_becomes_dataset_not_found(tmp_path, monkeypatch):
    mirrors = [m + "train-images-idx3-ubyte.gz" for m in
               ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                "https://storage.googleapis.com/cvdf-datasets/mnist/",
                "http://yann.lecun.com/exdb/mnist/")]  # fmt: skip
    offline = urllib.error.URLError("Name or service not known")
    serve(monkeypatch, {url: offline for url in mirrors})
    with pytest.raises(DatasetNotFoundError, match="Name or service not known") as info:
        load_mnist(root=tmp_path, download=True)
    assert str(tmp_path / "mnist") in str(info.value)
