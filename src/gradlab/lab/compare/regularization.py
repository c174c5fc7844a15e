"""Regularization against overfitting (notes 003: L1/L2, dropout, early stopping, data
augmentation, max-norm, "Overfitting and Underfitting"; notes 002: batch norm, weight decay).

One over-parameterized MLP is trained on a small training set (10% of the dataset's
training part by default, so it can memorize it) with nothing, and with each of the notes'
remedies in turn; the whole held-out part is the validation set. What is compared is the
gap between validation and training loss, both measured the same way at the end of every
epoch (see :mod:`~gradlab.lab.compare.generalization`), the validation accuracy, and the
weight norms each remedy leaves.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab import nn, optim
from gradlab.data.transforms import GaussianNoise, RandomCrop
from gradlab.lab.compare.datasets import load
from gradlab.lab.compare.experiment import Column, Data, Experiment, Options, Part, Setup, Variant
from gradlab.lab.compare.generalization import (
    TrainingSetLoss,
    add_gap_history,
    plot_gap_panels,
    weight_norms,
)
from gradlab.lab.compare.nets import outputs_for
from gradlab.models import MLP
from gradlab.nn.module import Module
from gradlab.nn.regularizers import MaxNorm, l1_penalty, l2_penalty
from gradlab.tensor import Tensor
from gradlab.train import EarlyStopping
from gradlab.train.callbacks import Callback

TRAIN_FRACTION = 0.1  # of the training part: small enough to memorize
TEST_CAP = 2000  # validation samples kept at most (MNIST's 10,000 would only cost time)
SPLIT_SEED = 0
HIDDEN = (512, 512)
LR, BATCH = 1e-3, 32
L1_LAMBDA = 1e-4
L2_LAMBDA = 1e-3
WEIGHT_DECAY = 1.0  # AdamW's decoupled decay: w <- w·(1 − lr·1.0) every step
DROPOUT = 0.5
MAX_NORM = 1.0
PATIENCE = 10
SHIFT, NOISE = 1, 0.1  # augmentation: images moved by up to 1 pixel, noise std 0.1

IMAGE_SETS = ("digits", "mnist", "fashion_mnist")


class PenalizedCrossEntropyLoss(nn.CrossEntropyLoss):
    """``nn.CrossEntropyLoss`` + λ·penalty(weights) while the model trains (the notes'
    "Loss = Original Loss + λ Σ|w|" / "+ λ Σw²", over weight matrices only, not biases).

    In eval mode (validation, the training-set measurement) it is the data loss alone, so
    every variant's losses compare. As a subclass of CrossEntropyLoss, the Trainer gives it
    integer class targets and argmax accuracy.
    """

    def __init__(self, model: Module, penalty: str, lam: float):
        super().__init__()
        if penalty not in ("l1", "l2"):
            raise ValueError(
                f"PenalizedCrossEntropyLoss: penalty must be 'l1' or 'l2', got {penalty!r}"
            )
        self.penalty, self.lam = penalty, float(lam)
        self._owner = (model,)  # a tuple, so the model is not registered as a submodule
        self._weights = [p for p in model.parameters() if p.ndim >= 2]

    def forward(self, input, target):  # noqa: A002
        loss = super().forward(input, target)
        if not self._owner[0].training:
            return loss
        fn = l1_penalty if self.penalty == "l1" else l2_penalty
        return loss + fn(self._weights, self.lam)

    def extra_repr(self) -> str:
        return f"+ {self.penalty}_penalty(weights, lam={self.lam:g}) while training"


class Augment(Module):
    """Random changes to each training batch, none at evaluation (as Keras's preprocessing
    layers): images (B, C, H, W) are shifted by up to ``shift`` pixels (zero padding, then a
    random crop back to size) and get Gaussian noise; flat inputs (B, F) get the noise."""

    def __init__(self, shift: int = SHIFT, noise: float = NOISE):
        super().__init__()
        self.shift, self.noise = int(shift), float(noise)

    def forward(self, x):
        if not self.training:
            return x
        array = x.numpy()
        if array.ndim == 4 and self.shift:
            array = RandomCrop(array.shape[-2:], padding=self.shift)(array)
        if self.noise:
            array = GaussianNoise(self.noise)(array)
        return Tensor(array.astype(x.numpy().dtype, copy=False))

    def extra_repr(self) -> str:
        return f"shift={self.shift}, noise={self.noise}"


class ApplyMaxNorm(Callback):
    """Apply the max-norm constraint to the model after every optimizer step."""

    def __init__(self, constraint: MaxNorm):
        self.constraint = constraint

    def on_batch_end(self, batch, logs=None):
        self.constraint(self.trainer.model)


def _mlp(data: Data, **kwargs) -> MLP:
    return MLP(data.in_features, hidden_sizes=HIDDEN, out_features=outputs_for(data), **kwargs)


def _setup(data, model, loss=None, optimizer=None, callbacks=()) -> Setup:
    measured = TrainingSetLoss(data.x_train, data.y_train)
    return Setup(model, loss if loss is not None else nn.CrossEntropyLoss(),
                 optimizer if optimizer is not None else optim.Adam(model.parameters(), lr=LR),
                 callbacks=[measured, *callbacks])  # fmt: skip


def _none(data):
    return _setup(data, _mlp(data))


def _penalty(kind, lam):
    def build(data):
        model = _mlp(data)
        return _setup(data, model, loss=PenalizedCrossEntropyLoss(model, kind, lam))

    return build


def _weight_decay(data):
    model = _mlp(data)
    return _setup(data, model, optimizer=optim.AdamW(model.parameters(), lr=LR,
                                                     weight_decay=WEIGHT_DECAY))  # fmt: skip


def _dropout(data):
    return _setup(data, _mlp(data, dropout=DROPOUT))


def _max_norm(data):
    return _setup(data, _mlp(data), callbacks=[ApplyMaxNorm(MaxNorm(MAX_NORM))])


def _batch_norm(data):
    return _setup(data, _mlp(data, batch_norm=True))


def _augmentation(data):
    return _setup(data, nn.Sequential(Augment(), _mlp(data)))


def _early_stopping(data):
    return _setup(data, _mlp(data), callbacks=[
        EarlyStopping("val_loss", patience=PATIENCE, restore_best_weights=True)])  # fmt: skip


VARIANTS = [
    ("none", "no regularization", _none),
    ("l1", f"loss + {L1_LAMBDA:g}·Σ|w| (L1, lasso)", _penalty("l1", L1_LAMBDA)),
    ("l2", f"loss + {L2_LAMBDA:g}·Σw² (L2, ridge)", _penalty("l2", L2_LAMBDA)),
    ("weight_decay", f"AdamW(weight_decay={WEIGHT_DECAY:g}): decoupled weight decay",
     _weight_decay),
    ("dropout", f"Dropout(p={DROPOUT:g}) after each hidden activation", _dropout),
    ("max_norm", f"MaxNorm({MAX_NORM:g}): each unit's incoming weights rescaled to norm ≤ "
     f"{MAX_NORM:g} after every step", _max_norm),
    ("batch_norm", "BatchNorm1d after each hidden Linear", _batch_norm),
    ("augmentation", f"each training batch shifted by up to {SHIFT} pixel and given "
     f"Gaussian noise (std {NOISE:g}); flat data: the noise only", _augmentation),
    ("early_stopping", f"EarlyStopping(val_loss, patience={PATIENCE}, "
     "restore_best_weights=True)", _early_stopping),
]  # fmt: skip


def _small_training_set(data: Data, limit: int | None) -> Data:
    """Keep a stratified ``limit`` (default 10%) of the training part and at most TEST_CAP
    validation samples, fixed by SPLIT_SEED."""
    rng = np.random.default_rng(SPLIT_SEED)
    n = len(data.x_train)
    size = int(limit) if limit is not None else max(int(round(TRAIN_FRACTION * n)), 1)
    size = min(size, n)
    keep = []
    for label in np.unique(data.y_train):  # stratified: every class keeps its share
        members = np.flatnonzero(data.y_train == label)
        keep.extend(rng.permutation(members)[: max(int(round(size * len(members) / n)), 1)])
    keep = np.sort(np.asarray(keep[: max(size, len(np.unique(data.y_train)))]))
    data.x_train, data.y_train = data.x_train[keep], data.y_train[keep]
    if len(data.x_test) > TEST_CAP:
        keep_test = np.sort(rng.permutation(len(data.x_test))[:TEST_CAP])
        data.x_test, data.y_test = data.x_test[keep_test], data.y_test[keep_test]
    share = f"{len(keep) / n:.0%}" if limit is None else f"{len(keep)} samples"
    data.description += (f"; training on a stratified random {share} of the training part "
                         f"({len(keep)} samples), validating on {len(data.x_test)} held-out "
                         "samples")  # fmt: skip
    return data


class Regularization(Experiment):
    name = "regularization"
    title = "regularization against overfitting"
    summary = ("none, L1, L2, weight decay, dropout, max-norm, batch norm, augmentation, "
               "early stopping")  # fmt: skip
    notes = (
        "The notes (003) define overfitting as a model that learns the training data with its "
        "noise and does badly on new data, common 'in models with high capacity and limited "
        "training data'; remedies: L1 (loss + λΣ|w|, sparse weights), L2 (loss + λΣw², small "
        "weights), dropout (random units zeroed while training, acting as regularization and "
        "applied differently in training and testing), early stopping (stop when validation "
        "performance degrades), data augmentation (modified copies of the inputs) and max-norm "
        "(a cap on each unit's weight norm); notes 002 add weight decay (AdamW) and batch "
        "normalization."
    )
    datasets = (*IMAGE_SETS, "breast_cancer", "wine")
    default_data = "digits"
    default_epochs = 100
    default_seeds = 3

    def parts(self, options: Options) -> list[Part]:
        where = f"gradlab compare {self.name}"
        images = options.data in IMAGE_SETS
        data = _small_training_set(load(options.data, self.datasets, images=images,
                                        where=where), options.limit)  # fmt: skip
        width = " → ".join(str(h) for h in HIDDEN)
        return [Part(
            title=f"Regularization on {len(data.x_train)} {data.name} samples",
            data=data,
            variants=[Variant(n, b, t) for n, t, b in VARIANTS],
            metrics=("accuracy",),
            columns=[
                Column("final_gap", "val − train loss", "min"),
                Column("final_train_loss", "train loss", ""),
                Column("final_val_loss", "val loss", "min"),
                Column("final_train_accuracy", "train accuracy", ""),
                Column("final_val_accuracy", "val accuracy", "max"),
                Column("l2_norm", "‖w‖₂", "", 3),
                Column("l1_norm", "‖w‖₁", "", 5),
                Column("max_row_norm", "max unit ‖w‖₂", "", 3),
                Column("near_zero", "|w| < 1e-3", "", 3),
                Column("epochs", "epochs", "", 4),
            ],
            batch_size=BATCH,
            curves=(("gap", "validation − training loss", False),
                    ("val_loss", "validation loss", False),
                    ("train_loss", "training loss (eval mode)", True),
                    ("val_accuracy", "validation accuracy", False)),  # fmt: skip
            setup=(
                f"Every variant is the same over-parameterized MLP {data.in_features} → "
                f"{width} → {outputs_for(data)} (ReLU, {_parameters(data):,} parameters for "
                f"{len(data.x_train)} training samples), cross-entropy, Adam(lr={LR:g}), "
                f"batch {BATCH}; only the named remedy is added. Training and validation loss "
                "are both measured after each epoch in eval mode on clean inputs, without "
                "any penalty: the training loss the optimizer saw (with dropout, noise or "
                "the penalty) would overstate it. The final numbers are those of the weights "
                "each run ends with (early stopping: the restored best epoch's). Weight norms "
                "are over the weight matrices (biases left out, as the penalties leave them)."
            ),
        )]  # fmt: skip

    def finish_run(self, part, run, trainer, setup) -> None:
        measured = next(c for c in setup.callbacks if isinstance(c, TrainingSetLoss))
        add_gap_history(run, measured)
        data = part.data
        train = trainer.evaluate(data.x_train, data.y_train, batch_size=512)
        val = trainer.evaluate(data.x_test, data.y_test, batch_size=512)
        run.final.update({
            "final_train_loss": train["loss"], "final_val_loss": val["loss"],
            "final_gap": val["loss"] - train["loss"],
            "final_train_accuracy": train["accuracy"], "final_val_accuracy": val["accuracy"],
            "epochs": float(len(run.history.get("loss", []))),
        })  # fmt: skip
        run.final.update(weight_norms(setup.model))
        stopper = [c for c in setup.callbacks if isinstance(c, EarlyStopping)]
        if stopper and stopper[0].stopped_epoch:
            run.extra["best_epoch"] = stopper[0].best_epoch + 1

    def extend_report(self, result, report, out_dir) -> None:
        path = plot_gap_panels(
            result,
            out_dir / result.part.file("train_vs_val.png"),
            title="training vs validation loss per variant",
        )
        report.heading("Training against validation loss", 3)
        report.paragraph(
            "One panel per variant, same axes, log scale (so the training loss's fall towards "
            "0 stays visible): the further apart the curves, the more the net has memorized. "
            "The number in the corner is the final gap, validation − training loss, mean over "
            "seeds."
        )
        report.image(path.relative_to(out_dir), "training vs validation loss per variant")

    def conclusions(self, results) -> list[str]:
        pr = results[0]
        names = pr.variant_names
        lines = []
        gaps = {v: pr.mean(v, "final_gap") for v in names}
        gaps = {v: g for v, g in gaps.items() if math.isfinite(g)}
        remedies = {v: g for v, g in gaps.items() if v != "none"}
        if remedies:
            best = min(remedies, key=remedies.get)
            text = f"closed the gap most: {best} (val − train loss {remedies[best]:.3f}"
            if "none" in gaps:
                text += f", against {gaps['none']:.3f} with no regularization"
            lines.append(text + ")")
            if "none" in gaps:
                smaller = [v for v, g in remedies.items() if g < gaps["none"]]
                lines.append(f"{len(smaller)} of {len(remedies)} remedies ended with a smaller "
                             f"gap than none: {', '.join(smaller) or '-'}")  # fmt: skip
        best, acc = pr.best("final_val_accuracy", "max")
        if best is not None:
            text = f"highest final validation accuracy: {best} ({acc:.4f}"
            if "none" in names:
                text += f"; none {pr.mean('none', 'final_val_accuracy'):.4f}"
            lines.append(text + ")")
        if "l1" in names and "none" in names:
            l1, none = pr.mean("l1", "near_zero"), pr.mean("none", "near_zero")
            lines.append(f"L1 left {l1:.1%} of the weights below 1e-3 (none: {none:.1%}): "
                         "the notes' sparsity")  # fmt: skip
        return lines


def _parameters(data: Data) -> int:
    return sum(int(np.prod(p.shape)) for p in _mlp(data).parameters())


EXPERIMENT = Regularization()
