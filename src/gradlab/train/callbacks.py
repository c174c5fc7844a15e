"""Callbacks for :class:`~gradlab.train.trainer.Trainer` (Keras's semantics).

A callback sees the trainer through ``self.trainer`` (``trainer.model``,
``trainer.optimizer``, ``trainer.stop_training``, ``trainer.history``) and gets hooks:
``on_train_begin/end(logs)``, ``on_epoch_begin/end(epoch, logs)``,
``on_batch_begin/end(batch, logs)``. Epochs and batches are 0-based. At the end of an
epoch ``logs`` holds "loss", the metrics, "val_*" and "lr"; at the end of a batch "batch",
"size" and "loss".

``state_dict()`` / ``load_state_dict()`` hold everything a callback needs to go on exactly
from the end of any batch (a resumed ``fit`` calls ``on_train_begin`` and then
``load_state_dict``, and does not call ``on_epoch_begin`` again within an epoch).
"""

from gradlab.train.callback_base import Callback, CallbackList
from gradlab.train.logging_callbacks import CSVLogger, GradientFlow
from gradlab.train.lr_callbacks import LearningRateScheduler, ReduceLROnPlateau
from gradlab.train.monitoring import EarlyStopping, ModelCheckpoint, TerminateOnNaN, template_fields

__all__ = [
    "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "GradientFlow",
    "LearningRateScheduler", "ModelCheckpoint", "ReduceLROnPlateau", "TerminateOnNaN",
    "template_fields",
]  # fmt: skip
