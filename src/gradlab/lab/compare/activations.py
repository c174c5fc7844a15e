"""Activation functions in the same network (notes 002, "Activation functions Assignment"
Q5): ReLU, sigmoid, tanh, leaky ReLU, ELU and swish in the hidden layers of one MLP, compared
on convergence (epochs to a test accuracy, loss curves) and final accuracy, with the
back-propagated gradient at initialization to show which ones shrink it."""

from __future__ import annotations

import numpy as np

from gradlab import nn, optim
from gradlab.lab.compare.callbacks import LayerGradients
from gradlab.lab.compare.datasets import FLAT, load
from gradlab.lab.compare.experiment import Column, Experiment, Options, Part, Setup, Variant
from gradlab.lab.compare.nets import linear_layers, mlp, signal_ratio

HIDDEN = (64, 64, 64)
LR = 1e-3
BATCH = 32
MILESTONE = 0.9

ACTIVATIONS = [
    ("relu", "relu", "ReLU, max(0, x)"),
    ("sigmoid", "sigmoid", "sigmoid, 1 / (1 + e^-x)"),
    ("tanh", "tanh", "tanh"),
    ("leaky_relu", "leaky_relu", "leaky ReLU, x if x > 0 else 0.01x"),
    ("elu", "elu", "ELU, x if x > 0 else e^x - 1"),
    ("swish", "silu", "swish (SiLU), x · sigmoid(x)"),
]


def _variant(name: str, module: str, text: str) -> Variant:
    def build(data):
        model = mlp(data, HIDDEN, activation=module)
        gradients = LayerGradients(linear_layers(model))
        return Setup(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=LR),
                     callbacks=[gradients])  # fmt: skip

    return Variant(name, build, f"hidden activation: {text}")


class Activations(Experiment):
    name = "activations"
    title = "activation functions in the same network"
    summary = "ReLU, sigmoid, tanh, leaky ReLU, ELU, swish: convergence and accuracy"
    notes = (
        "The notes (002, activation functions, Q5) ask to try ReLU, sigmoid and tanh "
        "(and name leaky ReLU, ELU and swish) in one simple network and compare convergence "
        "and performance; they expect ReLU to converge fastest and sigmoid/tanh to suffer "
        "from vanishing gradients in deeper networks."
    )
    datasets = FLAT
    default_data = "digits"
    default_epochs = 15
    default_seeds = 3

    def parts(self, options: Options) -> list[Part]:
        data = load(options.data, self.datasets, limit=options.limit,
                    where=f"gradlab compare {self.name}")  # fmt: skip
        hidden = " → ".join(str(h) for h in HIDDEN)
        return [Part(
            title=f"Activations on {data.name}",
            data=data,
            variants=[_variant(*spec) for spec in ACTIVATIONS],
            metrics=("accuracy",),
            columns=[
                Column("val_accuracy", "test accuracy", "max"),
                Column("best_val_accuracy", "best test accuracy", "max"),
                Column("loss", "training loss", "min"),
                Column("val_loss", "test loss", "min"),
                Column("signal_ratio", "signal ratio at init", ""),
            ],
            batch_size=BATCH,
            curves=(("loss", "training loss", True), ("val_loss", "test loss", False),
                    ("val_accuracy", "test accuracy", False)),
            milestone=("val_accuracy", MILESTONE, "test accuracy"),
            setup=(
                f"The same MLP for every variant: {data.in_features} → {hidden} → "
                f"{data.num_classes}, PyTorch's default initialization, cross-entropy, "
                f"Adam(lr={LR}), batch {BATCH}; only the hidden activation changes. "
                "Convergence: the epoch at which the test accuracy first reaches "
                f"{MILESTONE}. Signal ratio: the back-propagated gradient ‖∂L/∂z‖ (z a "
                "layer's pre-activation output) at the first layer over that at the output "
                "layer, on the first batch (at initialization); below 1 the error signal "
                "shrinks on its way back to the input."
            ),
        )]  # fmt: skip

    def finish_run(self, part, run, trainer, setup) -> None:
        gradients = setup.callbacks[0]
        run.extra["signal_at_init"] = gradients.at_init.get("signal", [])
        run.final["signal_ratio"] = signal_ratio(gradients.at_init.get("signal", [np.nan]))

    def conclusions(self, results) -> list[str]:
        pr = results[0]
        lines = []
        best, acc = pr.best("val_accuracy", "max")
        if best is None:
            return lines
        lines.append(f"highest final test accuracy: {best} ({acc:.4f})")
        fastest, epochs = pr.best("epochs_to_milestone", "min")
        if fastest is not None:
            lines.append(f"fastest to test accuracy {MILESTONE}: {fastest} "
                         f"({epochs:.1f} epochs on average)")  # fmt: skip
        never = [v for v in pr.variant_names if np.isnan(pr.mean(v, "epochs_to_milestone"))]
        if never:
            lines.append(f"never reached test accuracy {MILESTONE}: {', '.join(never)}")
        weakest, ratio = pr.best("signal_ratio", "min")
        if weakest is not None:
            lines.append(f"smallest back-propagated gradient at the first layer: {weakest} "
                         f"({ratio:.3g} of the output layer's)")  # fmt: skip
        return lines


EXPERIMENT = Activations()
