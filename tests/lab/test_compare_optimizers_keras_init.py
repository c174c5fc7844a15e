"""``gradlab compare optimizers`` builds the notes' CNN with Keras's initialization."""

import numpy as np

from gradlab import nn
from gradlab.lab.compare.optimizers import OPTIMIZERS, _variant


class _Data:
    sample_shape = (3, 32, 32)
    num_classes = 10


def test_variants_use_glorot_uniform_and_zero_biases():
    setup = _variant(*OPTIMIZERS[0]).build(_Data())
    layers = [m for m in setup.model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert len(layers) == 5
    for layer in layers:
        w = layer.weight.numpy()
        receptive = int(np.prod(w.shape[2:])) if w.ndim == 4 else 1
        limit = np.sqrt(6.0 / ((w.shape[0] + w.shape[1]) * receptive))
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
        assert not layer.bias.numpy().any()
