"""Data transforms: Compose, Normalize, Standardize, random augmentations and one-hot labels.

Every transform takes a NumPy array or a gradlab Tensor and returns the same kind (a Tensor
comes back as a new Tensor outside any graph: augmentation is data preparation, not a step
of the model). Input layouts:

- image transforms (Normalize with per-channel statistics, RandomHorizontalFlip,
  RandomCrop) take one sample (C, H, W) or a batch (N, C, H, W); a 2-D input is one (H, W)
  image. Use (N, 1, H, W) for a batch of grayscale images.
- random transforms on a batch draw independently for every sample (each image is flipped
  or not, each gets its own crop offset).
- Standardize works per feature on (N, F) (or (N, ...): statistics over axis 0).
- GaussianNoise and OneHot work on any shape.
"""

from __future__ import annotations

import numpy as np

from gradlab.backend import default_generator
from gradlab.nn.embedding import one_hot
from gradlab.tensor import Tensor


def _unwrap(x):
    """``(array, was_tensor)``."""
    if isinstance(x, Tensor):
        return x.numpy(), True
    return np.asarray(x), False


def _wrap(array, was_tensor):
    return Tensor(array) if was_tensor else array


def _rng(generator):
    return generator if generator is not None else default_generator()


class Compose:
    """Apply transforms one after the other: ``Compose([t1, t2])(x) == t2(t1(x))``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel, as torchvision's ``Normalize``.

    Args:
        mean, std: one number (applied to every element, any shape), or one value per
            channel (then the input must be (C, H, W) or (N, C, H, W) with that C).
    """

    def __init__(self, mean, std):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1 or self.mean.shape != self.std.shape:
            raise ValueError(
                f"Normalize: mean {self.mean.shape} and std {self.std.shape} must be numbers or "
                f"1-D sequences of the same length"
            )
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std {self.std.tolist()} contains 0; division by zero")

    def __call__(self, x):
        array, was_tensor = _unwrap(x)
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)
        mean, std = self.mean.astype(dtype), self.std.astype(dtype)
        channels = mean.shape[0]
        if channels > 1:
            if array.ndim < 3 or array.shape[-3] != channels:
                raise ValueError(
                    f"Normalize({channels} channels): input has shape {array.shape}, expected "
                    f"(C, H, W) or (N, C, H, W) with C = {channels}"
                )
            mean, std = mean[:, None, None], std[:, None, None]
        out = (array.astype(dtype, copy=False) - mean) / std
        return _wrap(out, was_tensor)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class Standardize:
    """Zero mean and unit variance per feature, with statistics fitted on training data.

    ``fit(X_train)`` computes ``mean`` and ``std`` (population std, ddof=0, as scikit-learn's
    ``StandardScaler``; a feature with std 0 keeps scale 1) over axis 0 of X (N, F, ...);
    ``transform(X)`` (also ``__call__``) returns ``(X - mean) / std`` in X's float dtype.
    """

    def __init__(self):
        self.mean = None
        self.std = None

    def fit(self, x) -> Standardize:
        array, _ = _unwrap(x)
        if array.ndim < 1 or array.shape[0] == 0:
            raise ValueError(
                f"Standardize.fit: X has shape {array.shape}; expected (N, ...) with N > 0"
            )
        data = array.astype(np.float64)
        self.mean = data.mean(axis=0)
        std = data.std(axis=0)
        self.std = np.where(std == 0, 1.0, std)
        return self

    def transform(self, x):
        if self.mean is None:
            raise RuntimeError("Standardize: call fit(X_train) before transform")
        array, was_tensor = _unwrap(x)
        if array.shape[1:] != self.mean.shape:
            raise ValueError(
                f"Standardize(fitted on features {self.mean.shape}): input has shape "
                f"{array.shape}, expected (N, {', '.join(map(str, self.mean.shape))})"
            )
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)
        out = (array.astype(dtype, copy=False) - self.mean.astype(dtype)) / self.std.astype(dtype)
        return _wrap(out, was_tensor)

    __call__ = transform

    def fit_transform(self, x):
        return self.fit(x).transform(x)

    def inverse_transform(self, x):
        if self.mean is None:
            raise RuntimeError("Standardize: call fit(X_train) before inverse_transform")
        array, was_tensor = _unwrap(x)
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)
        out = array.astype(dtype, copy=False) * self.std.astype(dtype) + self.mean.astype(dtype)
        return _wrap(out, was_tensor)

    def state_dict(self) -> dict:
        if self.mean is None:
            return {"mean": None, "std": None}
        return {"mean": self.mean.copy(), "std": self.std.copy()}

    def load_state_dict(self, state: dict) -> None:
        mean, std = state["mean"], state["std"]
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64).copy()
        self.std = None if std is None else np.asarray(std, dtype=np.float64).copy()


def _as_images(array: np.ndarray, name: str):
    """View a (C, H, W) / (H, W) sample or (N, C, H, W) batch as (N, ..., H, W)."""
    if array.ndim == 4:
        return array, True
    if array.ndim in (2, 3):
        return array[None], False
    raise ValueError(
        f"{name}: input has shape {array.shape}, expected (H, W), (C, H, W) or (N, C, H, W)"
    )


class RandomHorizontalFlip:
    """Mirror images left-right (along W) with probability ``p``, each sample on its own."""

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p
        self.generator = generator

    def __call__(self, x):
        array, was_tensor = _unwrap(x)
        images, batched = _as_images(array, "RandomHorizontalFlip")
        flip = _rng(self.generator).random(images.shape[0]) < self.p
        out = images.copy()
        out[flip] = images[flip][..., ::-1]
        return _wrap(out if batched else out[0], was_tensor)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


def _pair(value, name):
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"RandomCrop: {name} must be an int or (h, w), got {value}")
    return value


class RandomCrop:
    """Cut a random (h, w) window out of each image, after optional padding.

    Args:
        size: int or (h, w) of the output.
        padding: None, an int (all sides), (left/right, top/bottom) or (left, top, right,
            bottom), as torchvision.
        fill: the value of constant padding.
        padding_mode: "constant", "edge", "reflect" or "symmetric" (NumPy's ``np.pad``).
        generator: the ``numpy.random.Generator`` for the offsets (default generator if None).
    """

    def __init__(
        self,
        size,
        padding=None,
        fill=0,
        padding_mode: str = "constant",
        generator: np.random.Generator | None = None,
    ):
        self.size = _pair(size, "size")
        if padding is None:
            pad = (0, 0, 0, 0)
        elif isinstance(padding, (int, np.integer)):
            pad = (int(padding),) * 4
        elif len(padding) == 2:
            pad = (padding[0], padding[1], padding[0], padding[1])
        elif len(padding) == 4:
            pad = tuple(padding)
        else:
            raise ValueError(f"RandomCrop: padding must be an int, 2 or 4 values; got {padding}")
        if any(p < 0 for p in pad):
            raise ValueError(f"RandomCrop: padding {padding} has a negative value")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(
                f"RandomCrop: padding_mode {padding_mode!r}; expected 'constant', 'edge', "
                f"'reflect' or 'symmetric'"
            )
        self.padding = padding
        self._pad = pad  # left, top, right, bottom
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = generator

    def __call__(self, x):
        array, was_tensor = _unwrap(x)
        images, batched = _as_images(array, "RandomCrop")
        left, top, right, bottom = self._pad
        if any(self._pad):
            widths = [(0, 0)] * (images.ndim - 2) + [(top, bottom), (left, right)]
            kwargs = {"constant_values": self.fill} if self.padding_mode == "constant" else {}
            images = np.pad(images, widths, mode=self.padding_mode, **kwargs)
        h, w = self.size
        height, width = images.shape[-2:]
        if h > height or w > width:
            raise ValueError(
                f"RandomCrop(size={self.size}): image of (padded) size {(height, width)} is "
                f"smaller than the crop"
            )
        n = images.shape[0]
        rng = _rng(self.generator)
        tops = rng.integers(0, height - h + 1, size=n)
        lefts = rng.integers(0, width - w + 1, size=n)
        out = np.empty(images.shape[:-2] + (h, w), dtype=images.dtype)
        for i in range(n):
            out[i] = images[i, ..., tops[i] : tops[i] + h, lefts[i] : lefts[i] + w]
        return _wrap(out if batched else out[0], was_tensor)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class GaussianNoise:
    """Add ``mean + std * N(0, 1)`` noise to every element (any shape; float dtype kept)."""

    def __init__(self, std: float = 0.1, mean: float = 0.0, generator=None):
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std = std
        self.mean = mean
        self.generator = generator

    def __call__(self, x):
        array, was_tensor = _unwrap(x)
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)
        noise = _rng(self.generator).standard_normal(array.shape)
        out = array.astype(dtype) + (self.mean + self.std * noise).astype(dtype)
        return _wrap(out, was_tensor)

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std}, mean={self.mean})"


class OneHot:
    """Transform form of :func:`one_hot`: ``OneHot(10)(y)`` has shape (*y.shape, 10)."""

    def __init__(self, num_classes: int = -1):
        self.num_classes = num_classes

    def __call__(self, x):
        return one_hot(x, self.num_classes)

    def __repr__(self) -> str:
        return f"OneHot(num_classes={self.num_classes})"
