"""IDX files (the format of MNIST and Fashion-MNIST) and the two loaders that read them.

An IDX file is: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64), a byte giving the number of dimensions d, then d big-endian
uint32 sizes, then the data, big-endian, C order. The first four bytes read as one
big-endian integer are the "magic number": 2051 (0x803) for MNIST images (uint8, 3 dims),
2049 (0x801) for labels (uint8, 1 dim). Files may be gzip-compressed (``.gz``).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from gradlab.data.bunch import Bunch
from gradlab.data.download import DatasetFormatError, Remote, data_home, require

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IMAGES_MAGIC = 0x803
LABELS_MAGIC = 0x801
_MAGIC_NAMES = {
    IMAGES_MAGIC: "uint8 images, 3 dimensions",
    LABELS_MAGIC: "uint8 labels, 1 dimension",
}


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetFormatError(f"{path}: corrupted or truncated gzip data ({exc})") from exc


def read_idx(path, magic: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or gzip) into an array of its shape, in native byte order.

    ``magic``: the expected first four bytes as a big-endian integer (e.g. 0x803), if any.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if magic is not None:
        found = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
        if found != magic:
            shown = "none (file shorter than 4 bytes)" if found is None else f"0x{found:08x}"
            raise DatasetFormatError(
                f"{path}: magic number {shown}, expected 0x{magic:08x} "
                f"({_MAGIC_NAMES.get(magic, 'IDX')})"
            )
    if len(raw) < 4:
        raise DatasetFormatError(f"{path}: {len(raw)} bytes is too short for an IDX header")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DatasetFormatError(
            f"{path}: not an IDX file (magic number 0x{raw[:4].hex()}; expected 00 00, a type "
            f"byte in {[hex(k) for k in _DTYPES]}, and a dimension count)"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetFormatError(
            f"{path}: truncated IDX header ({len(raw)} bytes; {ndim} dimensions need {header})"
        )
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        kind = "truncated" if found < expected else "longer than its header says"
        raise DatasetFormatError(
            f"{path}: IDX file is {kind}: header shape {shape} of {dtype.name} needs {expected} "
            f"data bytes, found {found}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
_MNIST = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        9912422,
    ),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        28881,
    ),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        1648877,
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        4542,
    ),
}
_FASHION_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
_FASHION = {
    "train-images-idx3-ubyte.gz": (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        26421880,
    ),
    "train-labels-idx1-ubyte.gz": (
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        29515,
    ),
    "t10k-images-idx3-ubyte.gz": (
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        4422102,
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        5148,
    ),
}
FASHION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip


def _find(directory: Path, base: str) -> Path | None:
    for name in (base, base + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def _load_idx_pair(name, subdir, table, mirrors, classes, root, train, download):
    directory = data_home(root) / subdir
    bases = _FILES[bool(train)]
    missing = [base + ".gz" for base in bases if _find(directory, base) is None]
    if missing:
        remotes = [
            Remote(f, tuple(m + f for m in mirrors), table[f][0], table[f][1]) for f in missing
        ]
        where = f"{mirrors[0]} (the .gz files, or the same files un-gzipped)"
        require(name, directory, missing, remotes, where, download)
    images_path, labels_path = (_find(directory, base) for base in bases)
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if images.shape[1:] != (28, 28):
        raise DatasetFormatError(
            f"{images_path}: images of shape {images.shape[1:]}, expected (28, 28)"
        )
    if images.shape[0] != labels.shape[0]:
        raise DatasetFormatError(
            f"{images_path} has {images.shape[0]} images but {labels_path} has "
            f"{labels.shape[0]} labels"
        )
    if labels.size and labels.max() > 9:
        raise DatasetFormatError(f"{labels_path}: label {int(labels.max())}, expected 0..9")
    X = (images.astype(np.float32) / np.float32(255.0))[:, None, :, :]
    split = "training" if train else "test"
    return Bunch(
        X=X,
        y=labels.astype(np.int64),
        target_names=classes,
        description=f"{name} {split} set: 28x28 grayscale images scaled to [0, 1]",
    )


def load_mnist(root=None, train: bool = True, download: bool = True) -> Bunch:
    """MNIST handwritten digits from ``<root>/mnist/`` (see :func:`data_home` for root).

    Needs ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (``t10k-*`` when
    ``train=False``), plain or ``.gz``; downloads the ``.gz`` files (SHA-256 checked) when
    absent and ``download`` is true.

    Returns:
        Bunch with X float32 (N, 1, 28, 28) in [0, 1] (``X.reshape(N, -1)`` for an MLP),
        y int64 (N,) in 0..9, target_names "0".."9".
    """
    classes = [str(d) for d in range(10)]
    return _load_idx_pair("MNIST", "mnist", _MNIST, _MNIST_MIRRORS, classes, root, train, download)


def load_fashion_mnist(root=None, train: bool = True, download: bool = True) -> Bunch:
    """Fashion-MNIST from ``<root>/fashion-mnist/``: the same files, layout and result as
    :func:`load_mnist`, with the 10 clothing classes as target_names."""
    return _load_idx_pair(
        "Fashion-MNIST", "fashion-mnist", _FASHION, _FASHION_MIRRORS, FASHION_CLASSES,
        root, train, download,
    )  # fmt: skip
