"""Transforms: Normalize, Standardize, flips, crops, noise, one-hot."""

import numpy as np
import pytest

import gradlab
from gradlab.data import transforms as T


def images(n=4, c=3, h=5, w=6, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


def test_normalize_per_channel_batch_and_sample():
    x = images()
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    out = T.Normalize(mean, std)(x)
    for c in range(3):
        np.testing.assert_allclose(out[:, c], (x[:, c] - mean[c]) / std[c], rtol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_allclose(T.Normalize(mean, std)(x[0]), out[0], rtol=1e-6)
    tensor_out = T.Normalize(mean, std)(gradlab.tensor(x))
    assert isinstance(tensor_out, gradlab.Tensor)
    np.testing.assert_allclose(tensor_out.numpy(), out, rtol=1e-6)


def test_normalize_scalar_statistics_on_any_shape_and_errors():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(T.Normalize(1.0, 2.0)(x), (x - 1) / 2)
    with pytest.raises(ValueError, match=r"Normalize\(3 channels\): input has shape \(2, 3\)"):
        T.Normalize([0, 0, 0], [1, 1, 1])(x)
    with pytest.raises(ValueError, match="contains 0"):
        T.Normalize([0.0], [0.0])


def test_standardize_matches_sklearn_and_round_trips_state():
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    rng = np.random.default_rng(1)
    train = rng.normal(3.0, 2.0, size=(50, 4))
    train[:, 2] = 5.0  # a constant feature keeps scale 1
    test = rng.normal(3.0, 2.0, size=(7, 4))
    ours = T.Standardize().fit(train)
    ref = preprocessing.StandardScaler().fit(train)
    np.testing.assert_allclose(ours.transform(test), ref.transform(test), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(ours(test)), test, rtol=1e-12)
    restored = T.Standardize()
    restored.load_state_dict(ours.state_dict())
    np.testing.assert_array_equal(restored(test), ours(test))
    assert ours(train.astype(np.float32)).dtype == np.float32


def test_standardize_errors():
    with pytest.raises(RuntimeError, match="call fit"):
        T.Standardize()(np.zeros((2, 3)))
    s = T.Standardize().fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"input has shape \(2, 5\), expected \(N, 3\)"):
        s(np.zeros((2, 5)))


def test_horizontal_flip_probability_extremes_and_per_sample_draws():
    x = images(n=32)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)
    out = T.RandomHorizontalFlip(0.5, generator=np.random.default_rng(4))(x)
    flipped = np.random.default_rng(4).random(32) < 0.5
    for i in range(32):
        np.testing.assert_array_equal(out[i], x[i, ..., ::-1] if flipped[i] else x[i])
    assert 0 < flipped.sum() < 32
    sample = T.RandomHorizontalFlip(1.0)(gradlab.tensor(x[0]))
    assert isinstance(sample, gradlab.Tensor)
    np.testing.assert_array_equal(sample.numpy(), x[0, ..., ::-1])


def test_random_crop_with_padding_cuts_windows_of_the_padded_image():
    x = images(n=6, h=8, w=8)
    out = T.RandomCrop(8, padding=2, generator=np.random.default_rng(9))(x)
    assert out.shape == x.shape
    padded = np.pad(x, [(0, 0), (0, 0), (2, 2), (2, 2)])
    rng = np.random.default_rng(9)
    tops, lefts = rng.integers(0, 5, size=6), rng.integers(0, 5, size=6)
    for i in range(6):
        window = padded[i, :, tops[i] : tops[i] + 8, lefts[i] : lefts[i] + 8]
        np.testing.assert_array_equal(out[i], window)
    np.testing.assert_array_equal(T.RandomCrop((8, 8))(x), x)  # no room to move
    assert T.RandomCrop((3, 4))(x[0]).shape == (3, 3, 4)
    with pytest.raises(ValueError, match="smaller than the crop"):
        T.RandomCrop(10)(x)


def test_gaussian_noise_is_seeded_and_keeps_dtype():
    x = images()
    out = T.GaussianNoise(0.1, generator=np.random.default_rng(2))(x)
    noise = (0.1 * np.random.default_rng(2).standard_normal(x.shape)).astype(np.float32)
    np.testing.assert_allclose(out, x + noise, rtol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(T.GaussianNoise(0.0)(x), x)


def test_compose_applies_in_order():
    x = np.full((1, 3, 2, 2), 2.0, dtype=np.float32)
    out = T.Compose([T.Normalize(1.0, 1.0), T.Normalize(0.0, 0.5)])(x)
    np.testing.assert_array_equal(out, np.full_like(x, 2.0))


def test_one_hot_matches_pytorch():
    torch = pytest.importorskip("torch")
    labels = np.array([[0, 3], [2, 1]], dtype=np.int64)
    ours = T.one_hot(labels, 5)
    ref = torch.nn.functional.one_hot(torch.from_numpy(labels), 5).numpy()
    np.testing.assert_array_equal(ours, ref)
    assert ours.dtype == np.int64 and ours.shape == (2, 2, 5)
    inferred = T.one_hot(np.array([1, 0, 2]))
    np.testing.assert_array_equal(
        inferred, torch.nn.functional.one_hot(torch.tensor([1, 0, 2])).numpy()
    )
    as_tensor = T.OneHot(4)(gradlab.tensor(np.array([3, 0])))
    assert isinstance(as_tensor, gradlab.Tensor) and as_tensor.numpy().tolist() == [
        [0, 0, 0, 1],
        [1, 0, 0, 0],
    ]


def test_one_hot_errors_name_the_label():
    with pytest.raises(ValueError, match=r"label 7 is out of range for num_classes=5"):
        T.one_hot(np.array([1, 7]), 5)
    with pytest.raises(ValueError, match="label -1 is negative"):
        T.one_hot(np.array([-1, 2]), 5)
    with pytest.raises(TypeError, match="integer dtype"):
        T.one_hot(np.array([1.0]), 3)
    with pytest.raises(ValueError, match="empty"):
        T.one_hot(np.array([], dtype=np.int64))
