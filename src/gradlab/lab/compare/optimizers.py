"""Optimizers on the notes' CNN (notes 002, Optimizers Q4; worked example 14): SGD, SGD with
momentum, Adam, RMSprop and AdaGrad with the notes' settings, training the CIFAR-10 network
(conv32-pool-conv64-pool-conv64-dense64-10) for 10 epochs with batch 64.

The notes run it on CIFAR-10; that runs here when CIFAR-10's binary batches are in the cache
directory (``gradlab.data.data_home()``), on a subset by default (``--limit 0`` for all
50,000 images). Without them it runs on the 8x8 digits as 1x8x8 images, zero-padded to
1x18x18 because the network's three 3x3 "valid" convolutions and two poolings need at
least 18 pixels (the digits keep their resolution; the canvas grows).
"""

from __future__ import annotations

import numpy as np

from gradlab import nn, optim
from gradlab.data.download import data_home
from gradlab.lab.compare.datasets import cifar10_available, load
from gradlab.lab.compare.experiment import Column, Experiment, Options, Part, Setup, Variant
from gradlab.models import NotesCNN

BATCH = 64
FILE_LIMIT = 2000  # default training subset of CIFAR-10 / MNIST (--limit 0 for all)
DIGITS_SIDE = 18  # the smallest image the network's three 'valid' convolutions take

# The notes use Keras; its defaults differ from PyTorch's where they matter, so they are
# passed explicitly: epsilon 1e-7, RMSprop rho 0.9, Adagrad initial accumulator 0.1.
OPTIMIZERS = [
    ("sgd", "SGD(lr=0.01), no momentum",
     lambda p: optim.SGD(p, lr=0.01)),
    ("momentum", "SGD(lr=0.01, momentum=0.9): the notes' 'SGD'",
     lambda p: optim.SGD(p, lr=0.01, momentum=0.9)),
    ("adam", "Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-7)",
     lambda p: optim.Adam(p, lr=1e-3, eps=1e-7)),
    ("rmsprop", "RMSprop(lr=1e-3, alpha=0.9, eps=1e-7) (Keras's rho=0.9)",
     lambda p: optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-7)),
    ("adagrad", "Adagrad(lr=1e-2, initial_accumulator_value=0.1, eps=1e-7) (Keras's defaults)",
     lambda p: optim.Adagrad(p, lr=1e-2, initial_accumulator_value=0.1, eps=1e-7)),
]  # fmt: skip


def _pad(data, side: int):
    """Zero-pad (N, C, H, W) images to ``side`` x ``side`` around the centre (the digits'
    background is 0, so this only enlarges the canvas, at the digits' own resolution)."""
    for name in ("x_train", "x_test"):
        x = getattr(data, name)
        top, left = (side - x.shape[2]) // 2, (side - x.shape[3]) // 2
        bottom, right = side - x.shape[2] - top, side - x.shape[3] - left
        setattr(data, name, np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right))))
    data.description += f"; zero-padded to {data.sample_shape}"
    return data


def keras_init(model) -> None:
    """Initialize ``model``'s Linear and Conv2d layers as Keras's Dense and Conv2D are (the
    notes' code is Keras): Glorot-uniform weights, zero biases. With PyTorch's default
    initialization plain SGD and AdaGrad barely learn this network in 10 epochs."""
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def _variant(name: str, text: str, make) -> Variant:
    def build(data):
        channels, side = data.sample_shape[0], data.sample_shape[1]
        model = NotesCNN(in_channels=channels, num_classes=data.num_classes, image_size=side)
        keras_init(model)
        return Setup(model, nn.CrossEntropyLoss(), make(model.parameters()))

    return Variant(name, build, text)


class Optimizers(Experiment):
    name = "optimizers"
    title = "optimizers on the notes' CNN"
    summary = "SGD, momentum, Adam, RMSprop, AdaGrad on the notes' CNN (CIFAR-10 or digits)"
    notes = (
        "The notes (002, Optimizers Q4, worked example 14) train the CIFAR-10 CNN "
        "conv32-pool-conv64-pool-conv64-dense64-10 with SGD(0.01, momentum 0.9), "
        "Adam(1e-3), RMSprop(1e-3) and Adagrad(1e-2) for 10 epochs, batch 64, and plot "
        "training/validation accuracy and loss per optimizer. They expect Adam to converge "
        "fastest, SGD with momentum to improve gradually and generalize well, RMSprop to "
        "behave like Adam, and AdaGrad to slow down as its learning rate decays. Plain SGD "
        "(no momentum) is added as the baseline momentum improves on."
    )
    datasets = ("auto", "cifar10", "digits", "mnist", "fashion_mnist")
    default_data = "auto"
    default_epochs = 10
    default_seeds = 2

    def default_limit_for(self, data: str) -> int | None:
        if data == "digits" or (data == "auto" and not cifar10_available()):
            return None
        return FILE_LIMIT

    def parts(self, options: Options) -> list[Part]:
        where = f"gradlab compare {self.name}"
        name, note = options.data, ""
        if name == "auto":
            if cifar10_available():
                name = "cifar10"
            else:
                name = "digits"
                note = (
                    f"CIFAR-10 is not in {data_home() / 'cifar-10-batches-bin'}, so this "
                    "ran on the 8x8 digits (zero-padded to 18x18) instead of the notes' "
                    "CIFAR-10; put the binary batches (data_batch_1.bin ... "
                    "test_batch.bin) there, or pass --data cifar10 to require them."
                )
        data = load(name, self.datasets, images=True, limit=options.limit, where=where)
        if name == "digits":
            data = _pad(data, DIGITS_SIDE)
        data.note = note
        if options.limit is not None and name != "digits":
            data.description += " (--limit 0 for all)"
        return [Part(
            title=f"Optimizers on {data.name}",
            data=data,
            variants=[_variant(*spec) for spec in OPTIMIZERS],
            metrics=("accuracy",),
            columns=[
                Column("val_accuracy", "test accuracy", "max"),
                Column("best_val_accuracy", "best test accuracy", "max"),
                Column("accuracy", "training accuracy", "max"),
                Column("loss", "training loss", "min"),
                Column("val_loss", "test loss", "min"),
            ],
            batch_size=BATCH,
            curves=(("accuracy", "training accuracy", False),
                    ("val_accuracy", "test accuracy", False),
                    ("loss", "training loss", False), ("val_loss", "test loss", False)),
            setup=(
                "The notes' CNN (gradlab.models.NotesCNN: conv 3x3 32 → max-pool 2 → conv 3x3 "
                "64 → max-pool 2 → conv 3x3 64 → dense 64 → classes, ReLU, Keras's initialization: "
                f"Glorot-uniform weights, zero biases), cross-entropy, batch {BATCH}; only the "
                "optimizer changes. "
                "Settings are the notes' (Keras) ones, with Keras's defaults written out "
                "where PyTorch's differ."
            ),
        )]  # fmt: skip

    def conclusions(self, results) -> list[str]:
        pr = results[0]
        lines = []
        best, acc = pr.best("val_accuracy", "max")
        if best is None:
            return lines
        lines.append(f"highest final test accuracy: {best} ({acc:.4f})")
        first = {v: pr.curve(v, "val_accuracy")[:, :1] for v in pr.variant_names}
        first = {v: float(np.nanmean(a)) for v, a in first.items() if np.isfinite(a).any()}
        if first:
            quick = max(first, key=first.get)
            lines.append(f"highest test accuracy after the first epoch: {quick} "
                         f"({first[quick]:.4f})")  # fmt: skip
        low, loss = pr.best("loss", "min")
        lines.append(f"lowest final training loss: {low} ({loss:.4f})")
        return lines


EXPERIMENT = Optimizers()
