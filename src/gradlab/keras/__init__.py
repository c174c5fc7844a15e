"""gradlab.keras: Keras 3's API with Keras's semantics and defaults, on gradlab's engine.

``from gradlab.keras import layers, models, optimizers`` (or ``import gradlab as tf`` and
``tf.keras.*``) runs Keras programs: channels-last layers with glorot_uniform kernels, Keras's
optimizers (epsilon 1e-7, ...), compile/fit/evaluate/predict with Keras's logs, History and
progress bar, callbacks, losses, metrics, datasets from Keras's cache. A Keras model is a
gradlab Module, trained by gradlab's autograd and optimizers, so ``gradlab.explain`` works on
it.
"""

from gradlab.keras import (
    activations,
    backend,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    utils,
)
from gradlab.keras import backend as config
from gradlab.keras.layers import Input, Layer
from gradlab.keras.models import Model, Sequential

__version__ = "3.0.0 (gradlab)"

__all__ = [
    "Input",
    "Layer",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "regularizers",
    "utils",
]
