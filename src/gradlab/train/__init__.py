"""Training: the Keras-style fit loop (Trainer, History, callbacks), metrics and checkpoints."""

from gradlab.train.backup import BackupAndRestore
from gradlab.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientFlow,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from gradlab.train.checkpoint import CheckpointError, load, save
from gradlab.train.history import History
from gradlab.train.metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    f1,
    mae,
    precision,
    predictions_from_output,
    r2,
    recall,
    rmse,
    roc_auc,
)
from gradlab.train.tensorboard import TensorBoard
from gradlab.train.trainer import Trainer

__all__ = [
    "BackupAndRestore", "Callback", "CSVLogger", "CheckpointError", "EarlyStopping",
    "GradientFlow", "History", "LearningRateScheduler", "ModelCheckpoint", "ReduceLROnPlateau",
    "TensorBoard", "TerminateOnNaN", "Trainer",
    "accuracy", "classification_report", "confusion_matrix", "f1", "load", "mae", "precision",
    "predictions_from_output", "r2", "recall", "rmse", "roc_auc", "save",
]  # fmt: skip
