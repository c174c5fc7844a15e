"""The perceptron (notes 002, Q5): one neuron, a step activation, and the perceptron
learning rule instead of backpropagation.

For each training sample the perceptron computes ŷ = step(w·x + b) and, when ŷ differs from
the label y ∈ {0, 1}, moves the weights towards the sample:

    w ← w + lr·(y − ŷ)·x,    b ← b + lr·(y − ŷ)

Epochs repeat until an epoch makes no mistake (the data is linearly separable and the rule
has converged, as the perceptron convergence theorem promises) or the epoch budget runs
out (XOR: no line separates the classes, so some sample is always misclassified).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradlab.autograd import no_grad
from gradlab.backend import default_generator, xp
from gradlab.nn import functional as F
from gradlab.nn.linear import Linear
from gradlab.nn.module import Module, Parameter
from gradlab.tensor import Tensor

__all__ = ["Perceptron", "PerceptronFit"]


@dataclass
class PerceptronFit:
    """What :meth:`Perceptron.fit` did.

    ``converged``: an epoch passed with no mistake. ``epochs``: epochs run. ``errors``:
    misclassified samples per epoch (counted while learning, sample by sample).
    """

    converged: bool
    epochs: int
    errors: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        if self.converged:
            return f"converged after {self.epochs} epochs (no mistakes in the last epoch)"
        return (
            f"did not converge in {self.epochs} epochs: {self.errors[-1]} of the samples are "
            f"still misclassified in the last epoch (the classes are not linearly separable "
            f"by this perceptron)"
        )


def _array(x) -> np.ndarray:
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


class Perceptron(Module):
    """Rosenblatt's perceptron: ``step(x @ weight.T + bias)``.

    Args:
        in_features: F, the size of each input sample.

    Parameters: ``weight`` (1, F) and ``bias`` (1,), initialized as ``nn.Linear(F, 1)``.
    Input (B, F), output (B, 1) of 0.0 / 1.0. The step has a zero gradient, so the model
    learns with :meth:`fit` (the perceptron rule), not with an optimizer.
    """

    def __init__(self, in_features: int, *, generator=None):
        super().__init__()
        if int(in_features) < 1:
            raise ValueError(f"Perceptron: in_features must be >= 1, got {in_features}")
        self.in_features = int(in_features)
        layer = Linear(self.in_features, 1, generator=generator)
        self.weight = Parameter(layer.weight.numpy())
        self.bias = Parameter(layer.bias.numpy())

    def _check(self, x, where: str) -> None:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Perceptron(in_features={self.in_features}).{where}: input has shape "
                f"{tuple(x.shape)}, expected (B, {self.in_features})"
            )

    def net_input(self, x):
        """w·x + b, (B, 1): the value the step thresholds at 0."""
        x = x if isinstance(x, Tensor) else Tensor(xp.asarray(x, dtype=self.weight.dtype))
        self._check(x, "forward")
        return F.linear(x, self.weight, self.bias)

    def forward(self, x):
        """(B, F) -> (B, 1) of 0.0 / 1.0: step(w·x + b), with step(0) = 0."""
        return F.step(self.net_input(x))

    def predict(self, x) -> np.ndarray:
        """Class labels (B,) int64 in {0, 1}."""
        with no_grad():
            return self.forward(x).numpy().reshape(-1).astype(np.int64)

    def fit(self, X, y, lr: float = 1.0, epochs: int = 100, shuffle: bool = True,
            generator: np.random.Generator | None = None) -> PerceptronFit:  # fmt: skip
        """Learn with the perceptron rule, one sample at a time, for at most ``epochs``
        epochs; stop after the first epoch without a mistake.

        Args:
            X: (N, F) inputs. y: (N,) labels in {0, 1}.
            lr: the learning rate of the rule.
            shuffle: visit the samples in a new random order every epoch (``generator``,
                falling back to ``gradlab.backend.default_generator()``).
        """
        X = _array(X).astype(self.weight.numpy().dtype, copy=False)
        y = _array(y).reshape(-1)
        self._check(X, "fit")
        if len(y) != len(X):
            raise ValueError(f"Perceptron.fit: X has {len(X)} samples but y has {len(y)} labels")
        if not np.isin(y, (0, 1)).all():
            raise ValueError(
                f"Perceptron.fit: labels must be 0 or 1, got values {np.unique(y).tolist()}"
            )
        rng = generator if generator is not None else default_generator()
        w, b = self.weight.numpy()[0], self.bias.numpy()  # views: updated in place
        targets = y.astype(X.dtype)
        errors: list[int] = []
        for _ in range(int(epochs)):
            order = rng.permutation(len(X)) if shuffle else range(len(X))
            mistakes = 0
            for i in order:
                predicted = 1.0 if float(X[i] @ w + b[0]) > 0.0 else 0.0
                error = targets[i] - predicted
                if error != 0.0:
                    w += lr * error * X[i]
                    b += lr * error
                    mistakes += 1
            errors.append(mistakes)
            if mistakes == 0:
                return PerceptronFit(True, len(errors), errors)
        return PerceptronFit(False, len(errors), errors)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}"
