"""Underfitting and overfitting side by side (notes 003, "Overfitting and Underfitting";
"How to select number of hidden layers").

A too-small, a right-sized and a too-large MLP learn the same small, noisy 2-D training
set (two moons or three spiral arms), with the same optimizer and epochs. The too-small
net cannot bend its boundary enough: training and test accuracy are both low
(underfitting). The too-large net bends it around the noise of the training points:
training loss near 0, test loss rising (overfitting). The report draws each net's learning
curves (training against validation loss) and its decision boundary as an image.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab import nn, optim
from gradlab.lab.compare.boundaries import Grid, class_probabilities, plot_boundaries
from gradlab.lab.compare.datasets import _standardize
from gradlab.lab.compare.experiment import Column, Data, Experiment, Options, Part, Setup, Variant
from gradlab.lab.compare.generalization import (
    TrainingSetLoss,
    add_gap_history,
    plot_gap_panels,
)
from gradlab.models import MLP

SEED = 0
N_TRAIN, N_TEST = 200, 1000
NOISE = {"moons": 0.3, "spirals": 0.25}
LR, BATCH = 0.01, 32
SIZES = [
    ("too_small", (2,), "one hidden layer of 2 units: at most two bends in the boundary"),
    ("right_sized", (8,), "one hidden layer of 8"),
    ("too_large", (256, 256, 256), "three hidden layers of 256"),
]


def _data(name: str, limit: int | None) -> Data:
    from gradlab import data as D

    n_train = N_TRAIN if limit is None else int(limit)
    total = n_train + N_TEST
    if name == "moons":
        bunch = D.make_moons(total, noise=NOISE[name], seed=SEED)
        text = f"make_moons(noise={NOISE[name]})"
    else:
        bunch = D.make_spirals(total, n_classes=3, noise=NOISE[name], seed=SEED)
        text = f"make_spirals(3 arms, noise={NOISE[name]})"
    x_train, x_test = _standardize(bunch.X[:n_train], bunch.X[n_train:])
    y_train, y_test = bunch.y[:n_train], bunch.y[n_train:]
    return Data(name, x_train, y_train, x_test, y_test, "classification",
                f"{text}: {n_train} training points (few and noisy, so a big net can "
                f"memorize them) and {N_TEST} test points from the same distribution, "
                "standardized with the training statistics",
                num_classes=int(bunch.y.max()) + 1)  # fmt: skip


def _parameters(model) -> int:
    return sum(int(np.prod(p.shape)) for p in model.parameters())


def _variant(name: str, hidden: tuple, text: str) -> Variant:
    def build(data):
        model = MLP(2, hidden_sizes=hidden, out_features=data.num_classes)
        return Setup(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=LR),
                     callbacks=[TrainingSetLoss(data.x_train, data.y_train)])  # fmt: skip

    return Variant(name, build, f"MLP 2 → {' → '.join(map(str, hidden))} → classes: {text}")


class Fitting(Experiment):
    name = "fitting"
    title = "underfitting and overfitting: too small, right-sized, too large"
    summary = "too-small, right-sized and too-large nets on 2-D data, with decision boundaries"
    notes = (
        "The notes (003) describe underfitting ('the model is too simple to capture the "
        "underlying patterns ..., poor performance on both training and validation data'; "
        "remedy: more capacity) and overfitting ('learns the training data too well, including "
        "noise and outliers', 'common in models with high capacity and limited training "
        "data'), and choosing the number of layers by 'the trade-off between model complexity "
        "and generalization performance'."
    )
    datasets = ("moons", "spirals")
    default_data = "moons"
    default_epochs = 300
    default_seeds = 3

    def parts(self, options: Options) -> list[Part]:
        data = _data(options.data, options.limit)
        data.extra["grid"] = Grid(np.concatenate([data.x_train, data.x_test]))
        return [Part(
            title=f"Model size on {data.name}",
            data=data,
            variants=[_variant(*spec) for spec in SIZES],
            metrics=("accuracy",),
            columns=[
                Column("parameters", "parameters", "", 6),
                Column("final_train_accuracy", "train accuracy", ""),
                Column("final_val_accuracy", "test accuracy", "max"),
                Column("final_train_loss", "train loss", ""),
                Column("final_val_loss", "test loss", "min"),
                Column("final_gap", "test − train loss", "min"),
                Column("best_val_loss", "lowest test loss", "min"),
            ],
            batch_size=BATCH,
            curves=(("gap", "test − training loss", False), ("val_loss", "test loss", True),
                    ("val_accuracy", "test accuracy", False)),  # fmt: skip
            setup=(
                f"Every net: ReLU, cross-entropy, Adam(lr={LR:g}), batch {BATCH}, the same "
                "epochs; only the hidden layers differ. Training and test loss are both "
                "measured after each epoch in eval mode (the 'test' set is the validation "
                "set here). The boundary images show seed 0's net."
            ),
        )]  # fmt: skip

    def finish_run(self, part, run, trainer, setup) -> None:
        measured = next(c for c in setup.callbacks if isinstance(c, TrainingSetLoss))
        add_gap_history(run, measured)
        data = part.data
        val = run.history.get("val_loss", [])
        run.final.update({
            "parameters": float(_parameters(setup.model)),
            "final_train_loss": measured.loss[-1], "final_train_accuracy": measured.accuracy[-1],
            "final_val_loss": run.final.get("val_loss", math.nan),
            "final_val_accuracy": run.final.get("val_accuracy", math.nan),
            "final_gap": run.history["gap"][-1] if run.history["gap"] else math.nan,
            "best_val_loss": float(np.nanmin(val)) if len(val) else math.nan,
        })  # fmt: skip
        if run.seed == 0:
            grid = data.extra["grid"]
            # with the run (it may be trained in another process); "_" keeps it out of JSON
            run.extra["_grid_probabilities"] = class_probabilities(setup.model, grid.points)

    def extend_report(self, result, report, out_dir) -> None:
        path = plot_gap_panels(
            result,
            out_dir / result.part.file("learning_curves.png"),
            title="learning curves: training vs test loss",
        )
        report.heading("Learning curves", 3)
        report.paragraph(
            "Training (blue) and test (orange) loss per epoch, log scale, same axes. Both high "
            "and close together: underfitting. Training falling towards 0 while test turns "
            "up: overfitting."
        )
        report.image(path.relative_to(out_dir), "learning curves per model size")
        grids = {r.variant: r.extra["_grid_probabilities"] for r in result.runs
                 if "_grid_probabilities" in r.extra}  # fmt: skip
        if not grids:
            return
        data = result.part.data
        titles = {}
        for v in grids:
            run = [r for r in result.runs_of(v) if r.seed == 0][0]
            titles[v] = (f"{v}: train {run.final['final_train_accuracy']:.3f}, "
                         f"test {run.final['final_val_accuracy']:.3f}")  # fmt: skip
        path = plot_boundaries(grids, data.extra["grid"], data.x_train, data.y_train,
                               out_dir / result.part.file("decision_boundaries.png"),
                               titles=titles,
                               title=f"decision boundaries on the {len(data.x_train)} "
                               "training points (seed 0)")  # fmt: skip
        report.heading("Decision boundaries", 3)
        report.paragraph(
            "Each net's predicted class over the plane (deeper colour: more confident), its "
            "boundary in black, and the training points; accuracies of seed 0 in the titles."
        )
        report.image(path.relative_to(out_dir), "decision boundaries per model size")

    def conclusions(self, results) -> list[str]:
        pr = results[0]
        lines = []
        for v in pr.variant_names:
            train, test = pr.mean(v, "final_train_accuracy"), pr.mean(v, "final_val_accuracy")
            rise = pr.mean(v, "final_val_loss") - pr.mean(v, "best_val_loss")
            lines.append(f"{v}: train accuracy {train:.3f}, test {test:.3f}; test loss ended "
                         f"{rise:.3f} above its lowest epoch")  # fmt: skip
        best, acc = pr.best("final_val_accuracy", "max")
        if best is not None:
            lines.append(f"highest test accuracy: {best} ({acc:.3f})")
        widest, gap = pr.best("final_gap", "max")
        if widest is not None:
            lines.append(overfitting_line(widest, gap))
        return lines


def overfitting_line(variant: str, gap: float) -> str:
    """The conclusion about the widest test − train loss gap: overfitting only when the test
    loss is above the training loss (a negative gap means no net fits its training points
    better than unseen ones, as early in training or with heavy noise)."""
    if gap > 0:
        return f"widest test − train loss gap (overfitting): {variant} ({gap:.3f})"
    return (f"no net overfits: every test loss is at or below its training loss (the largest "
            f"gap, {variant}'s, is {gap:.3f})")  # fmt: skip


EXPERIMENT = Fitting()
