"""Training: metrics and checkpoints (the fit loop and callbacks join later)."""

from gradlab.train.checkpoint import CheckpointError, load, save
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

__all__ = [
    "CheckpointError", "accuracy", "classification_report", "confusion_matrix", "f1", "load",
    "mae", "precision", "predictions_from_output", "r2", "recall", "rmse", "roc_auc", "save",
]  # fmt: skip
