"""A 20-layer residual network against its plain twin (the same layers and parameter count,
no shortcuts) on scikit-learn's digits, on the same budget: Adam 1e-3 with cosine annealing,
20 epochs, batch 64 (the last, incomplete batch of each epoch dropped).

Writes into ``runs/resnet_vs_plain/`` (or the directory given as the first argument):
``curves.png`` (training loss and test accuracy per epoch) and ``gradient_norms.png`` (the
L2 norm of each of the 20 weight matrices' gradients, averaged over the first and the last
epoch, from ``gradlab.train.GradientFlow``).
Run: ``python examples/resnet_vs_plain.py [out_dir]``.
"""

import sys
from pathlib import Path

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data import DataLoader, TensorDataset, load_digits, train_test_split
from gradlab.lab.plots import pyplot, save_figure
from gradlab.models import ResNet
from gradlab.train import GradientFlow, Trainer


def train(residual: bool, epochs: int = 20, depth: int = 20, seed: int = 0) -> dict:
    """{"history", "norms" (epochs, depth) per-layer gradient norms, "layers"}."""
    data = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        data.X / 16.0, data.y, test_size=0.25, seed=seed, stratify=True
    )
    gradlab.manual_seed(seed)
    model = ResNet(64, num_classes=10, depth=depth, width=64, residual=residual)
    flow = GradientFlow()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, metrics=["accuracy"],
                      callbacks=[flow], scheduler=schedule)  # fmt: skip
    # drop_last: 1347 % 64 leaves a batch of 3, whose batch-norm statistics are noise
    loader = DataLoader(TensorDataset(X_train.astype(np.float32), y_train), batch_size=64,
                        shuffle=True, drop_last=True)  # fmt: skip
    history = trainer.fit(loader, epochs=epochs, validation_data=(X_test, y_test), verbose=0)
    layers = [name for name, _ in model.linear_layers()]
    norms = np.array([flow.norms[f"{name}.weight"] for name in layers]).T
    return {"history": history, "norms": norms, "layers": layers}


def plot(runs: dict, out: Path) -> list:
    plt = pyplot()
    figure, (loss_axis, acc_axis) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, run in runs.items():
        h = run["history"]
        epochs = np.arange(1, len(h["loss"]) + 1)
        loss_axis.plot(epochs, h["loss"], marker=".", label=name)
        acc_axis.plot(epochs, h["val_accuracy"], marker=".", label=name)
    loss_axis.set(title="training loss", xlabel="epoch", yscale="log")
    acc_axis.set(title="test accuracy", xlabel="epoch")
    for axis in (loss_axis, acc_axis):
        axis.grid(alpha=0.3)
        axis.legend()
    curves = save_figure(figure, out / "curves.png")

    figure, axis = plt.subplots(figsize=(7, 4))
    for (name, run), color in zip(runs.items(), ("tab:blue", "tab:orange")):
        layers = np.arange(1, run["norms"].shape[1] + 1)
        axis.plot(layers, run["norms"][0], marker="o", color=color, label=f"{name}, epoch 1")
        axis.plot(layers, run["norms"][-1], marker="x", linestyle="--", color=color,
                  label=f"{name}, epoch {run['norms'].shape[0]}")  # fmt: skip
    axis.set_xticks(range(1, runs["plain-20"]["norms"].shape[1] + 1))
    axis.set(title="gradient norm per layer (weight matrices, input → output)",
             xlabel="layer", ylabel="mean ||dL/dW|| per batch", yscale="log")  # fmt: skip
    axis.grid(alpha=0.3)
    axis.legend()
    return [curves, save_figure(figure, out / "gradient_norms.png")]


def main(out="runs/resnet_vs_plain", epochs: int = 20) -> dict:
    runs = {"residual-20": train(True, epochs), "plain-20": train(False, epochs)}
    for name, run in runs.items():
        h, norms = run["history"], run["norms"]
        print(f"{name:12s} final training loss {h['loss'][-1]:.4f}  test accuracy "
              f"{h['val_accuracy'][-1]:.4f}  best {max(h['val_accuracy']):.4f}  epoch-1 "
              f"gradient norm first/last layer {norms[0, 0]:.3g} / {norms[0, -1]:.3g}")  # fmt: skip
    for path in plot(runs, Path(out)):
        print(f"wrote {path}")
    return runs


if __name__ == "__main__":
    main(*sys.argv[1:2])
