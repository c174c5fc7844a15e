"""Logistic regression (notes 003): p = σ(w·x + b), trained on binary cross-entropy.

The model returns logits so that training uses the stable ``nn.BCEWithLogitsLoss``
(σ and BCE fused, log-sum-exp form); :meth:`LogisticRegression.predict_proba` applies σ.
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import no_grad
from gradlab.backend import xp
from gradlab.nn import functional as F
from gradlab.nn.linear import Linear
from gradlab.nn.module import Module
from gradlab.tensor import Tensor

__all__ = ["LogisticRegression"]


class LogisticRegression(Module):
    """One linear unit on flat features; its logit z = w·x + b.

    Args:
        in_features: F, the number of features.

    Submodule ``linear`` = ``nn.Linear(F, 1)`` (weight (1, F), bias (1,)).
    Input (B, F) (or (B, ...) flattened to F), output (B, 1) logits.
    """

    def __init__(self, in_features: int, *, generator=None):
        super().__init__()
        self.in_features = int(in_features)
        self.linear = Linear(self.in_features, 1, generator=generator)

    def forward(self, x):
        """(B, F) -> (B, 1) logits."""
        if x.ndim > 2:
            x = x.reshape(x.shape[0], -1)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"LogisticRegression(in_features={self.in_features}): input has shape "
                f"{tuple(x.shape)}, expected (B, {self.in_features})"
            )
        return self.linear(x)

    def _logits(self, x) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(xp.asarray(x, dtype=self.linear.weight.dtype))
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                return self.forward(x)
        finally:
            self.train(was_training)

    def predict_proba(self, x) -> np.ndarray:
        """P(y = 1 | x), (B,)."""
        return F.sigmoid(self._logits(x)).numpy().reshape(-1)

    def predict(self, x, threshold: float = 0.5) -> np.ndarray:
        """Labels (B,) int64: 1 where P(y = 1 | x) > threshold."""
        return (self.predict_proba(x) > threshold).astype(np.int64)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}"
