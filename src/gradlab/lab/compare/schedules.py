"""Learning-rate schedules (notes 001 step decay and cyclical rates; 002 Optimizers Q5): the
same MLP and SGD with momentum trained with a constant rate, step decay, exponential decay,
cosine annealing (and warm restarts), cyclical rates with the triangular, Welch and Hann
windows, the 1cycle policy and reduce-on-plateau; the lr each variant used at every batch
is plotted beside the loss and accuracy curves."""

from __future__ import annotations

import math

import numpy as np

from gradlab import nn, optim
from gradlab.lab.compare.callbacks import LrTrace
from gradlab.lab.compare.datasets import FLAT, load
from gradlab.lab.compare.experiment import (
    Column,
    Experiment,
    Options,
    Part,
    Setup,
    Variant,
    stack_ragged,
)
from gradlab.lab.compare.nets import mlp
from gradlab.lab.plots import plot_curves
from gradlab.optim import lr_scheduler as S

HIDDEN = (64, 64)
LR = 0.01  # the notes' initial_lr
MOMENTUM = 0.9
BATCH = 32
MILESTONE = 0.95
CLR_BASE, CLR_MAX = 0.001, 0.02
ONE_CYCLE_MAX = 0.1  # the notes' OneCycleLR(max_lr=0.1)


def _specs(epochs: int, steps: int) -> list[tuple]:
    """(name, description, make_scheduler(optimizer) or None, per) for ``epochs`` epochs of
    ``steps`` batches. Periods given in epochs by the notes are scaled to the run's length:
    with the default 30 epochs they are the notes' values."""
    drop_every = max(1, epochs // 3)
    patience = min(5, max(1, epochs // 6))
    restart = max(1, epochs // 3)
    half_cycle = max(1, (epochs * steps) // 6)  # three full cycles per run
    cyclic = [
        (f"cyclic_{w}", f"CyclicLR({CLR_BASE} ↔ {CLR_MAX}, {w} window, half cycle "
         f"{half_cycle} batches, momentum fixed), per batch",
         (lambda o, w=w: S.CyclicLR(o, base_lr=CLR_BASE, max_lr=CLR_MAX,
                                    step_size_up=half_cycle, cycle_momentum=False, window=w)),
         "batch")
        for w in ("triangular", "welch", "hann")
    ]  # fmt: skip
    return [
        ("constant", f"lr {LR} throughout", None, "epoch"),
        ("step", f"StepLR: {LR} × 0.5^(epoch // {drop_every}) (the notes' step_decay)",
         lambda o: S.StepLR(o, step_size=drop_every, gamma=0.5), "epoch"),
        ("exponential", f"ExponentialLR: {LR} · e^(-0.05·epoch) (the notes' exponential_decay)",
         lambda o: S.ExponentialLR(o, gamma=math.exp(-0.05)), "epoch"),
        ("cosine", f"CosineAnnealingLR: {LR} · (1 + cos(π·epoch/{epochs})) / 2",
         lambda o: S.CosineAnnealingLR(o, T_max=epochs), "epoch"),
        ("cosine_restarts", f"CosineAnnealingWarmRestarts(T_0={restart} epochs)",
         lambda o: S.CosineAnnealingWarmRestarts(o, T_0=restart), "epoch"),
        *cyclic,
        ("1cycle", f"OneCycleLR(max_lr={ONE_CYCLE_MAX}, {epochs * steps} batches, PyTorch's "
         "defaults: 30% warm-up, cosine annealing, momentum cycled 0.95 ↔ 0.85), per batch",
         lambda o: S.OneCycleLR(o, max_lr=ONE_CYCLE_MAX, total_steps=epochs * steps), "batch"),
        ("plateau", f"ReduceLROnPlateau(factor=0.5, patience={patience}) on the test loss",
         lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=patience), "epoch"),
    ]  # fmt: skip


def _variant(name, text, make, per) -> Variant:
    def build(data):
        model = mlp(data, HIDDEN)
        optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        scheduler = make(optimizer) if make is not None else None
        return Setup(model, nn.CrossEntropyLoss(), optimizer, scheduler=scheduler, per=per,
                     callbacks=[LrTrace()])  # fmt: skip

    return Variant(name, build, text)


class Schedules(Experiment):
    name = "schedules"
    title = "learning-rate schedules"
    summary = "constant, step, exponential, cosine, cyclical (3 windows), 1cycle, plateau"
    notes = (
        "The notes (001 Q1; 002 Optimizers Q5) describe step decay (halve the rate every 10 "
        "epochs from 0.01), exponential decay (0.01·e^(-0.05·epoch)), cosine annealing and warm "
        "restarts, cyclical rates between a base and a maximum with a triangular, Welch "
        "(parabolic) or Hann (sinusoidal) window, the 1cycle policy (OneCycleLR, max_lr 0.1) "
        "and reduce-on-plateau (factor 0.5, patience 5 on the validation loss). They expect "
        "decaying rates to settle more smoothly and cyclical / 1cycle rates to converge fast."
    )
    datasets = FLAT
    default_data = "digits"
    default_epochs = 30
    default_seeds = 2

    def parts(self, options: Options) -> list[Part]:
        data = load(options.data, self.datasets, limit=options.limit,
                    where=f"gradlab compare {self.name}")  # fmt: skip
        steps = math.ceil(len(data.x_train) / BATCH)
        hidden = " → ".join(str(h) for h in HIDDEN)
        return [Part(
            title=f"Learning-rate schedules on {data.name}",
            data=data,
            variants=[_variant(*spec) for spec in _specs(options.epochs, steps)],
            metrics=("accuracy",),
            columns=[
                Column("val_accuracy", "test accuracy", "max"),
                Column("best_val_accuracy", "best test accuracy", "max"),
                Column("loss", "training loss", "min"),
                Column("val_loss", "test loss", "min"),
                Column("final_lr", "last lr", ""),
            ],
            batch_size=BATCH,
            curves=(("loss", "training loss", True), ("val_loss", "test loss", False),
                    ("val_accuracy", "test accuracy", False)),
            milestone=("val_accuracy", MILESTONE, "test accuracy"),
            setup=(
                f"The same MLP for every variant ({data.in_features} → {hidden} → "
                f"{data.num_classes}, ReLU), cross-entropy, SGD(lr={LR}, momentum={MOMENTUM}), "
                f"batch {BATCH} ({steps} batches an epoch); only the learning-rate schedule "
                "changes. Epoch schedules step after every epoch, batch schedules after every "
                "batch. Periods the notes give in epochs for 50-epoch runs are scaled to this "
                "run's length (the notes' values at 30 epochs)."
            ),
        )]  # fmt: skip

    def finish_run(self, part, run, trainer, setup) -> None:
        trace = setup.callbacks[0].lrs
        run.extra["lr_trace"] = trace
        run.final["final_lr"] = trace[-1] if trace else math.nan

    def extend_report(self, result, report, out_dir) -> None:
        steps = math.ceil(len(result.part.data.x_train) / result.part.batch_size)
        traces = [[r.extra.get("lr_trace", []) for r in result.runs_of(v)]
                  for v in result.variant_names]  # fmt: skip
        width = max((len(t) for runs in traces for t in runs), default=0)
        if width == 0:
            return
        curves = {v: stack_ragged([*runs, [np.nan] * width])[:-1]
                  for v, runs in zip(result.variant_names, traces)}  # fmt: skip
        x = np.arange(width) / steps
        report.heading("Learning rate per batch", 3)
        for name, group in (("lr_decay.png", ("constant", "step", "exponential", "cosine",
                                              "cosine_restarts", "plateau")),
                            ("lr_cyclical.png", ("constant", "cyclic_triangular", "cyclic_welch",
                                                 "cyclic_hann", "1cycle"))):  # fmt: skip
            chosen = {v: c for v, c in curves.items() if v in group}
            if not chosen:
                continue
            path = plot_curves(chosen, out_dir / result.part.file(name), "learning rate",
                               xlabel="epoch", title="learning rate used at each batch",
                               log_y=name == "lr_decay.png", x=x)  # fmt: skip
            report.image(path.relative_to(out_dir), f"learning rate per batch: {name[3:-4]}")

    def conclusions(self, results) -> list[str]:
        pr = results[0]
        best, acc = pr.best("val_accuracy", "max")
        if best is None:
            return []
        lines = [f"highest final test accuracy: {best} ({acc:.4f}); constant rate: "
                 f"{pr.mean('constant', 'val_accuracy'):.4f}"
                 if "constant" in pr.variant_names else
                 f"highest final test accuracy: {best} ({acc:.4f})"]  # fmt: skip
        fastest, epochs = pr.best("epochs_to_milestone", "min")
        if fastest is not None:
            lines.append(f"fastest to test accuracy {MILESTONE}: {fastest} ({epochs:.1f} epochs)")
        low, loss = pr.best("loss", "min")
        lines.append(f"lowest final training loss: {low} ({loss:.4g})")
        return lines


EXPERIMENT = Schedules()
