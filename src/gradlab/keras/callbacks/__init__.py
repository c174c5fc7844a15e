"""Callbacks, as ``keras.callbacks``, with Keras 3's semantics (checked against Keras).

A callback sees the model as ``self.model`` (``model.optimizer``, ``model.stop_training``)
and ``self.params`` (epochs, steps, verbose), and gets ``on_train_begin/end``,
``on_epoch_begin/end(epoch, logs)``, ``on_train_batch_begin/end(batch, logs)`` (also named
``on_batch_begin/end``), ``on_test_*`` and ``on_predict_*``. Epochs and batches are 0-based.
"""

from gradlab.keras.callbacks.base import (
    Callback,
    CallbackList,
    CSVLogger,
    History,
    LambdaCallback,
    LearningRateScheduler,
    TerminateOnNaN,
)
from gradlab.keras.callbacks.monitor import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau

__all__ = [
    "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ModelCheckpoint", "ReduceLROnPlateau", "TerminateOnNaN",
]  # fmt: skip
