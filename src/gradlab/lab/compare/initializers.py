"""Weight initialization in a deep network (notes 002, weight initialization and vanishing
gradient assignments): zeros, small normal, Xavier (Glorot) and He (Kaiming), plus a large
normal, in a deep ReLU MLP; per-layer gradient norms at initialization and during training
show which initializations make the gradient vanish or explode on its way back."""

from __future__ import annotations

import math
import warnings

import numpy as np

from gradlab import nn, optim
from gradlab.lab.compare.callbacks import LayerGradients
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
from gradlab.lab.compare.figures import plot_layer_profile
from gradlab.lab.compare.nets import linear_layers, mlp, signal_ratio
from gradlab.lab.plots import plot_curves
from gradlab.train import GradientFlow

DEPTH, WIDTH = 10, 64  # hidden layers
LR, MOMENTUM, BATCH = 0.01, 0.9, 32  # the notes' SGD setting
VANISH, EXPLODE = 1e-2, 1e2

# (name, description, init function, std of a WIDTH x WIDTH layer's weights)
INITIALIZERS = [
    ("zeros", "every weight 0 (nn.init.zeros_)", lambda w: nn.init.zeros_(w), 0.0),
    ("small_normal", "N(0, 0.01²) (nn.init.normal_(std=0.01))",
     lambda w: nn.init.normal_(w, std=0.01), 0.01),
    ("xavier", "Xavier/Glorot normal, Var(W) = 2 / (n_in + n_out)",
     lambda w: nn.init.xavier_normal_(w), math.sqrt(2 / (2 * WIDTH))),
    ("he", "He/Kaiming normal, Var(W) = 2 / n_in (nonlinearity='relu')",
     lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2 / WIDTH)),
    ("large_normal", "N(0, 1) (nn.init.normal_(std=1))", lambda w: nn.init.normal_(w, std=1.0),
     1.0),
]  # fmt: skip
EXPECTED = {name: std * math.sqrt(WIDTH / 2) for name, *_, std in INITIALIZERS}
"""The factor by which the back-propagated error changes per hidden ReLU layer of width n
with weights of standard deviation σ: σ·√(n/2) (half the units pass the gradient)."""


def verdict(ratio: float, finite_loss: bool = True) -> str:
    """The rule the report states: r = ||∂L/∂z|| at the first layer / at the output layer,
    on the first batch. r = 0: no gradient reaches the first layer; r < 1e-2: vanishing;
    r > 1e2 (or a loss that overflows): exploding; otherwise stable."""
    if not finite_loss or (math.isfinite(ratio) and ratio > EXPLODE):
        return "exploding"
    if not math.isfinite(ratio):
        return "undefined"
    if ratio == 0.0:
        return "vanishing (none reaches the first layer)"
    return "vanishing" if ratio < VANISH else "stable"


def _variant(name, text, init, std) -> Variant:
    def build(data):
        model = mlp(data, (WIDTH,) * DEPTH, activation="relu")
        layers = linear_layers(model)
        for _, layer in layers:
            init(layer.weight)
            nn.init.zeros_(layer.bias)
        return Setup(model, nn.CrossEntropyLoss(),
                     optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM),
                     callbacks=[LayerGradients(layers), GradientFlow()])  # fmt: skip

    return Variant(name, build, f"weights: {text}; biases: 0")


def _geomean(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan
    if (values == 0).any():
        return 0.0
    return float(np.exp(np.mean(np.log(values))))


class Initializers(Experiment):
    name = "initializers"
    title = "weight initialization, vanishing and exploding gradients"
    summary = "zeros, small normal, Xavier, He (and large normal) in a deep ReLU net"
    notes = (
        "The notes (002, weight initialization and vanishing-gradient assignments) say that "
        "weights initialized too small make gradients vanish as they propagate back, too "
        "large make them explode, and that Xavier (Var = 2/(n_in + n_out), for sigmoid/tanh) "
        "and He (Var = 2/n_in, for ReLU) initialization keep the variance of activations and "
        "gradients about the same across layers. Zero weights are the classic mistake: every "
        "unit of a layer computes the same thing and gets the same (here: no) gradient."
    )
    datasets = FLAT
    default_data = "digits"
    default_epochs = 15
    default_seeds = 3

    def parts(self, options: Options) -> list[Part]:
        data = load(options.data, self.datasets, limit=options.limit,
                    where=f"gradlab compare {self.name}")  # fmt: skip
        return [Part(
            title=f"Initializers in a {DEPTH}-hidden-layer ReLU MLP on {data.name}",
            data=data,
            variants=[_variant(*spec) for spec in INITIALIZERS],
            metrics=("accuracy",),
            columns=[
                Column("val_accuracy", "test accuracy", "max"),
                Column("loss", "training loss", "min"),
                Column("signal_ratio", "signal ratio r at init", ""),
                Column("weight_grad_first", "‖∂L/∂W₁‖ at init", ""),
                Column("weight_grad_last", "‖∂L/∂W_out‖ at init", ""),
            ],
            batch_size=BATCH,
            curves=(("loss", "training loss", True), ("val_accuracy", "test accuracy", False)),
            setup=(
                f"MLP {data.in_features} → {DEPTH} × {WIDTH} → {data.num_classes} with ReLU, "
                f"cross-entropy, SGD(lr={LR}, momentum={MOMENTUM}) (the notes' SGD), batch "
                f"{BATCH}; only the initialization of the weights changes (biases 0). "
                "Gradient norms are measured on the first batch, before any update.\n\n"
                "**The rule.** With z_l a layer's output (before the activation), r = "
                "‖∂L/∂z‖ at the first layer / ‖∂L/∂z‖ at the output layer is the part of the "
                f"error signal that survives back-propagation through the {DEPTH} hidden "
                f"layers. Gradients **vanish** when r < {VANISH:g}, **explode** when "
                f"r > {EXPLODE:g} (or the loss overflows), and are **stable** in between; "
                f"r^(1/{DEPTH}) is the average factor per layer (1 is ideal); for a ReLU layer "
                f"of width n = {WIDTH} whose weights have standard deviation σ, theory expects "
                "σ·√(n/2). r is the geometric mean over seeds. The weight gradients "
                "‖∂L/∂W_l‖ = ‖δ_l a_(l-1)ᵀ‖ "
                "combine the shrinking (or growing) error δ with the activations, which shrink "
                "(or grow) the other way, so across layers they can look flat even when the "
                "error signal vanishes; their level is what shows it: tiny everywhere when "
                "the signal vanishes, huge when it explodes (Glorot & Bengio, 2010)."
            ),
        )]  # fmt: skip

    def finish_run(self, part, run, trainer, setup) -> None:
        layers, flow = setup.callbacks[0], setup.callbacks[1]
        signal = layers.at_init.get("signal", [math.nan])
        weight = layers.at_init.get("weight", [math.nan])
        run.extra["layer_names"] = layers.names
        run.extra["signal_at_init"] = signal
        run.extra["weight_grad_at_init"] = weight
        run.extra["signal_per_epoch"] = layers.signal
        run.extra["weight_grad_per_epoch"] = {n: flow.norms.get(f"{n}.weight", [])
                                              for n in layers.names}  # fmt: skip
        run.final["signal_ratio"] = signal_ratio(signal)
        run.final["weight_grad_first"] = weight[0]
        run.final["weight_grad_last"] = weight[-1]

    def _verdicts(self, result) -> dict[str, tuple[float, str]]:
        out = {}
        for variant in result.variant_names:
            ratio = _geomean(result.values(variant, "signal_ratio"))
            diverged = any("stopped_at" in r.extra for r in result.runs_of(variant))
            out[variant] = (ratio, verdict(ratio, finite_loss=not diverged))
        return out

    def extend_report(self, result, report, out_dir) -> None:
        names = next((r.extra["layer_names"] for r in result.runs if "layer_names" in r.extra),
                     None)  # fmt: skip
        if not names:
            return
        labels = [f"{i + 1}" if i < len(names) - 1 else "out" for i in range(len(names))]
        report.heading("Vanishing or exploding?", 3)
        rows = []
        for variant, (ratio, text) in self._verdicts(result).items():
            per_layer = ratio ** (1 / (len(names) - 1)) if ratio > 0 else ratio
            stopped = [r.extra["stopped_at"] for r in result.runs_of(variant)
                       if "stopped_at" in r.extra]  # fmt: skip
            note = f"loss not finite at epoch {stopped[0][0]}" if stopped else ""
            rows.append([variant, ratio, per_layer, EXPECTED.get(variant, math.nan), text, note])
        report.table(["initializer", "r (first / output)", "factor per layer",
                      "theory σ·√(n/2)", "verdict", "training"], rows)  # fmt: skip
        for key, ylabel, file in (
            ("signal_at_init", "‖∂L/∂z_l‖ (back-propagated error)", "signal_at_init.png"),
            ("weight_grad_at_init", "‖∂L/∂W_l‖ (weight gradient)", "weight_grad_at_init.png"),
        ):
            profiles = {v: np.array([r.extra[key] for r in result.runs_of(v) if key in r.extra])
                        for v in result.variant_names}  # fmt: skip
            path = plot_layer_profile(profiles, out_dir / result.part.file(file), ylabel, labels,
                                      title=f"{ylabel.split(' (')[0]} per layer at "
                                      "initialization")  # fmt: skip
            report.image(path.relative_to(out_dir), f"{ylabel} per layer at initialization")
        first = {}
        for v in result.variant_names:
            stacked = stack_ragged([r.extra["weight_grad_per_epoch"].get(names[0], [])
                                    for r in result.runs_of(v)])  # fmt: skip
            first[v] = np.where(np.isfinite(stacked) & (stacked > 0), stacked, np.nan)
        if any(np.isfinite(c).any() for c in first.values()):
            with warnings.catch_warnings():  # variants without a finite value: no line
                warnings.simplefilter("ignore", RuntimeWarning)
                path = plot_curves(
                    first,  # every variant, so colours match the other plots
                    out_dir / result.part.file("first_layer_grad.png"),
                    "‖∂L/∂W₁‖, mean over the epoch's batches",
                    log_y=True,
                    title="first layer's weight gradient during training",
                )
            report.image(path.relative_to(out_dir), "first layer's weight gradient per epoch")

    def conclusions(self, results) -> list[str]:
        pr = results[0]
        lines = [
            f"{v}: {text} (r = {ratio:.3g})" for v, (ratio, text) in self._verdicts(pr).items()
        ]
        best, acc = pr.best("val_accuracy", "max")
        if best is not None:
            lines.append(f"highest final test accuracy: {best} ({acc:.4f})")
        return lines


EXPERIMENT = Initializers()
