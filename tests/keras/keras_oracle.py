"""Real Keras 3 on its PyTorch backend, as the oracle of gradlab.keras (skips without it)."""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":  # pragma: no cover
    pytest.skip("the Keras oracle runs on its torch backend", allow_module_level=True)


def same_weights(k_layer, g_layer):
    """Copy the Keras layer's weights into the gradlab layer (same layouts and order)."""
    g_layer.set_weights([np.asarray(w) for w in k_layer.get_weights()])


def knp(t):
    """A Keras (torch) tensor as NumPy."""
    return keras.ops.convert_to_numpy(t)
