"""Write the course notebooks (one per chapter of the notes) from the cells below, without
outputs: ``python notebooks/make_notebooks.py``. Edit the cells here, not the .ipynb files;
tests/notebooks/ executes every notebook and checks that the files match this script."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt

import gradlab
from gradlab import nn, optim"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}


def md(text: str) -> tuple[str, str]:
    return ("markdown", text.strip("\n"))


def code(text: str) -> tuple[str, str]:
    return ("code", text.strip("\n"))


# --------------------------------------------------------------------------------------------
NOTEBOOKS["01_computation_graph_and_backprop"] = [
    md("""
# 1. The computation graph and backprop by hand

The notes (001 Q2) draw the graph of **f = x·y + z** at x = 7, y = 13, z = 19 and apply the
chain rule: a = x·y = 91, f = a + z = 110, df/dx = y = 13, df/dy = x = 7, df/dz = 1.
gradlab records the same graph while it computes, and `gradlab.explain.graph` shows it with
every forward value and every gradient.
"""),
    code(SETUP),
    code("""
from gradlab.explain import graph

x, y, z = (gradlab.tensor(v, requires_grad=True) for v in (7.0, 13.0, 19.0))
a = x * y
f = a + z
view = graph(f, names={"x": x, "y": y, "z": z, "a": a, "f": f})  # build it before backward
f.backward()
view  # drawn by Graphviz when it is installed, else the same tree as text
"""),
    code("""
print("f =", f.item())
print("df/dx =", x.grad.item(), " df/dy =", y.grad.item(), " df/dz =", z.grad.item())
assert (f.item(), x.grad.item(), y.grad.item(), z.grad.item()) == (110.0, 13.0, 7.0, 1.0)
"""),
    md("""
The chain rule along each path: df/dx = df/da · da/dx = 1 · y = 13 (the notes write da/dz
there, a slip), df/dy = 1 · x = 7, df/dz = 1. `view.to_text()` prints the same tree in a
terminal, and `view.render("graph.svg")` writes the picture.

## Backprop through a small net, unit by unit

The notes' worked example (003, example 8): a 3-2-1 sigmoid net, input X = (1, 0, 1), label
1, learning rate 0.9. `backprop_trace` runs the forward pass, `backward()` and one SGD step
with gradlab's autograd, and lays out the notes' three tables with the arithmetic of every
number: net input and output, the error Err_j = -dL/dI_j, and each update.
"""),
    code("""
from gradlab.explain import EXAMPLE_7, EXAMPLE_8, backprop_trace

trace = backprop_trace(EXAMPLE_8, keep_graph=True)
trace
"""),
    code("""
err = {unit.name: round(unit.error, 4) for layer in trace.units[1:] for unit in layer}
print("errors:", err)  # the notes: 0.1311, -0.0065, -0.0087
assert err == {"4": -0.0087, "5": -0.0065, "6": 0.1312}
"""),
    md("The loss's whole computation graph, as it stood after `backward()`:"),
    code("trace.graph"),
    md("""
The exam's exercise (003 Part III, example 7): a 2-2-2 ReLU net, MSE, one SGD step on w21
with learning rate 0.1. The notes find dMSE/dw21 = -1.5 and w21 → 0.65.
"""),
    code("""
trace7 = backprop_trace(EXAMPLE_7)
print(f"loss {trace7.loss:.4g}")
trace7
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["02_activations_losses_and_worked_examples"] = [
    md("""
# 2. Activations, losses and the worked examples

Activation functions and their slopes (002: sigmoid, tanh, ReLU, leaky ReLU, ELU, swish),
the notes' loss examples with their numbers, and the binary classifier of 002 Q4 trained
with a progress bar.
"""),
    code(SETUP),
    code("""
import gradlab.nn.functional as F

activations = {
    "sigmoid": F.sigmoid, "tanh": F.tanh, "ReLU": F.relu,
    "leaky ReLU (0.1)": lambda t: F.leaky_relu(t, 0.1), "ELU": F.elu, "swish (SiLU)": F.silu,
}
grid = np.linspace(-4, 4, 161)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for name, fn in activations.items():
    z = gradlab.tensor(grid, requires_grad=True)
    out = fn(z)
    out.sum().backward()  # the slope at every point, by autograd
    left.plot(grid, out.detach().numpy(), label=name)
    right.plot(grid, np.asarray(z.grad), label=name)
left.set(title="activation f(z)", xlabel="z"); right.set(title="slope f'(z)", xlabel="z")
for axis in (left, right):
    axis.grid(alpha=0.3)
left.legend(); plt.show()
"""),
    md("""
Sigmoid's slope is at most 0.25 and vanishes for large |z|, which is why deep sigmoid nets
learn slowly (vanishing gradients); ReLU passes a slope of 1 wherever it is active.

## The notes' numbers

Logistic regression (003): x = (1, 2, 3), a = (0.01, 0.02, 0.03), b = 0.05 gives z = 0.19
and p = σ(z) = 0.5474, class 1. Binary cross-entropy: y = 1, P = 0.8 gives 0.2231; y = 0,
P = 0.3 gives 0.3567. MSE of y = (3, -0.5, 2) against ŷ = (2.5, 0, 2) is 0.167.
"""),
    code("""
x = gradlab.tensor([1.0, 2.0, 3.0])
a = gradlab.tensor([0.01, 0.02, 0.03])
z = (x * a).sum() + 0.05
p = F.sigmoid(z)
print(f"z = {z.item():.2f}, p = {p.item():.4f}, class {int(p.item() > 0.5)}")

bce = nn.BCELoss()
print(f"BCE(y=1, P=0.8) = {bce(gradlab.tensor([0.8]), gradlab.tensor([1.0])).item():.4f}")
print(f"BCE(y=0, P=0.3) = {bce(gradlab.tensor([0.3]), gradlab.tensor([0.0])).item():.4f}")
mse = nn.MSELoss()(gradlab.tensor([2.5, 0.0, 2.0]), gradlab.tensor([3.0, -0.5, 2.0]))
print(f"MSE = {mse.item():.3f}")
"""),
    md("""
The regression losses against the error e = ŷ - y: MSE grows with e², MAE with |e|, Huber
is quadratic near 0 and linear beyond δ (the standard form δ|e| - ½δ²; the notes drop the
square), and the quantile (pinball) loss weighs under- and over-prediction differently.
"""),
    code("""
e = np.linspace(-3, 3, 121)
pred, zero = gradlab.tensor(e), gradlab.tensor(np.zeros_like(e))
losses = {
    "MSE": nn.MSELoss(reduction="none"), "MAE": nn.L1Loss(reduction="none"),
    "Huber δ=1": nn.HuberLoss(reduction="none", delta=1.0),
    "quantile 0.9": nn.QuantileLoss(quantile=0.9, reduction="none"),
}
plt.figure(figsize=(6, 4))
for name, loss in losses.items():
    plt.plot(e, loss(pred, zero).numpy(), label=name)
plt.ylim(0, 4); plt.xlabel("error ŷ - y"); plt.grid(alpha=0.3); plt.legend(); plt.show()
"""),
    md("""
## A binary classifier (002 Q4, the notes' worked example 12)

`make_classification(1000, 20, random_state=42)`, a 64-32-1 net, Adam(1e-3), binary
cross-entropy, 20 epochs at batch 32. The notes report a test accuracy of 0.865. gradlab's
`Trainer.fit` is Keras's `fit`: in a notebook it draws a live bar per epoch with the loss,
metrics and validation values. The last Linear gives a logit and `BCEWithLogitsLoss` holds
the sigmoid (the numerically stable form of the same loss).
"""),
    code("""
from gradlab.data import make_classification, train_test_split
from gradlab.train import Trainer, classification_report

X, y = make_classification(n_samples=1000, n_features=20, n_classes=2, random_state=42)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=42)
rng = np.random.default_rng(0)
model = nn.Sequential(nn.Linear(20, 64, generator=rng), nn.ReLU(),
                      nn.Linear(64, 32, generator=rng), nn.ReLU(),
                      nn.Linear(32, 1, generator=rng))
model.summary((20,), print_fn=None)  # shown as a table
"""),
    code("""
trainer = Trainer(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=1e-3),
                  metrics=["accuracy"])
history = trainer.fit(X_train, y_train, epochs=20, batch_size=32,
                      validation_data=(X_test, y_test), generator=rng)
"""),
    code("history  # the curves and the per-epoch values"),
    code("""
test = trainer.evaluate(X_test, y_test)
print(f"test loss {test['loss']:.4f}, test accuracy {test['accuracy']:.4f}")
predicted = (trainer.predict(X_test).reshape(-1) > 0).astype(int)
print(classification_report(y_test, predicted))
assert abs(test["accuracy"] - 0.865) <= 0.03
"""),
    md("""
### The notes' Keras program

The notes write example 12 in Keras. Here it is as they print it, with only the imports
changed (`tensorflow` becomes `gradlab`), running on `gradlab.keras`: a sigmoid output,
`'binary_crossentropy'` and Keras's own progress lines.
"""),
    code("""
import gradlab as tf
from gradlab.keras.models import Sequential
from gradlab.keras.layers import Dense
from gradlab.keras.optimizers import Adam
from sklearn.model_selection import train_test_split
from sklearn.metrics import classification_report
from sklearn.datasets import make_classification

X, y = make_classification(n_samples=1000, n_features=20, n_classes=2, random_state=42)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

model = Sequential([
    Dense(64, activation='relu', input_shape=(X_train.shape[1],)),
    Dense(32, activation='relu'),
    Dense(1, activation='sigmoid') # Sigmoid activation for binary classification
])
model.compile(optimizer=Adam(learning_rate=0.001), loss='binary_crossentropy', metrics=['accuracy'])
history = model.fit(X_train, y_train, epochs=20, batch_size=32, validation_data=(X_test, y_test))

test_loss, test_accuracy = model.evaluate(X_test, y_test)
print(f"Test Loss: {test_loss:.4f}, Test Accuracy: {test_accuracy:.4f}")
y_pred_probs = model.predict(X_test).flatten() # Flatten to get predictions in 1D
y_pred = (y_pred_probs > 0.5).astype(int) # Convert probabilities to binary predictions
print(classification_report(y_test, y_pred))
assert test_accuracy > 0.8  # the notes: 0.865 (Keras's random start differs)
"""),
    md("""
The notes' parameter count (002 Q7): Linear(100, 64), ReLU, Linear(64, 10) has 7,114
parameters, 650 of them in the last layer. A module shows itself as a table:
"""),
    code("nn.Sequential(nn.Linear(100, 64), nn.ReLU(), nn.Linear(64, 10))"),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["03_optimizers_and_schedules"] = [
    md("""
# 3. Optimizers and learning-rate schedules

One AdaGrad step by hand (003), the optimizers of 002 Q4 side by side, the schedules of 001
and 002 Q5 (step, exponential, cosine, the cyclical windows, 1cycle, warm restarts), and the
learning-rate range test behind the notes' quiz of loss curves A-D.
"""),
    code(SETUP),
    md("""
AdaGrad (003): η = 0.1, parameters w = (0.5, -0.3), b = 0.1, gradients (0.2, -0.4, 0.1).
On the first step the accumulated squared gradient is g², so each parameter moves by
η·g/|g| = ±0.1: w = (0.4, -0.2), b = 0.0.
"""),
    code("""
params = gradlab.tensor([0.5, -0.3, 0.1], requires_grad=True)  # w1, w2, b
g = gradlab.tensor([0.2, -0.4, 0.1])
(params * g).sum().backward()  # a loss whose gradient is g
optimizer = optim.Adagrad([params], lr=0.1, eps=1e-10)
optimizer.step()
print([round(v, 6) for v in params.tolist()])
"""),
    md("""
## Five optimizers on the same net

An MLP on scikit-learn's digits (8x8 images, 10 classes), the same initial weights for
every optimizer, 8 epochs each: SGD, SGD with momentum 0.9, Adam, RMSprop and AdaGrad with
the notes' settings.
"""),
    code("""
from gradlab.data import load_digits, train_test_split
from gradlab.models import MLP
from gradlab.train import Trainer

digits = load_digits()
X = (digits.X / 16.0).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, digits.y, test_size=0.25, seed=0,
                                                    stratify=True)
optimizers = {
    "SGD 0.01": lambda p: optim.SGD(p, lr=0.01),
    "momentum 0.9": lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
    "Adam 1e-3": lambda p: optim.Adam(p, lr=1e-3),
    "RMSprop 1e-3": lambda p: optim.RMSprop(p, lr=1e-3),
    "AdaGrad 1e-2": lambda p: optim.Adagrad(p, lr=1e-2),
}
histories = {}
for name, make in optimizers.items():
    gradlab.manual_seed(0)
    model = MLP(64, hidden_sizes=(64,), out_features=10)
    trainer = Trainer(model, nn.CrossEntropyLoss(), make(model.parameters()),
                      metrics=["accuracy"])
    histories[name] = trainer.fit(X_train, y_train, epochs=8, batch_size=32,
                                  validation_data=(X_test, y_test), verbose=0,
                                  generator=np.random.default_rng(0))

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for name, h in histories.items():
    epochs = np.arange(1, len(h) + 1)
    left.plot(epochs, h["loss"], marker="o", label=name)
    right.plot(epochs, h["val_accuracy"], marker="o", label=name)
left.set(title="training loss", xlabel="epoch", yscale="log")
right.set(title="test accuracy", xlabel="epoch")
for axis in (left, right):
    axis.grid(alpha=0.3)
right.legend(); plt.show()
"""),
    md("""
The notes (002 Q4, example 14) compare SGD with momentum, Adam, RMSprop and AdaGrad in
Keras. Their optimizers and training loop, running on `gradlab.keras`, here with a small
Dense net on the same digits and 5 epochs (their CNN on CIFAR-10 is in notebook 5):
"""),
    code("""
from gradlab.keras import layers, models
from gradlab.keras.optimizers import SGD, Adam, RMSprop, Adagrad

def create_model():
    return models.Sequential([
        layers.Input((64,)),
        layers.Dense(64, activation='relu'),
        layers.Dense(10, activation='softmax'),
    ])

optimizers = {
    'SGD': SGD(learning_rate=0.01, momentum=0.9),
    'Adam': Adam(learning_rate=0.001),
    'RMSprop': RMSprop(learning_rate=0.001),
    'Adagrad': Adagrad(learning_rate=0.01)
}
history_per_optimizer = {}
for name, optimizer in optimizers.items():
    model = create_model()
    model.compile(optimizer=optimizer, loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    history = model.fit(X_train, y_train, epochs=5, validation_data=(X_test, y_test),
                        batch_size=64, verbose=0)
    history_per_optimizer[name] = history

plt.figure(figsize=(6, 3.5))
for name, history in history_per_optimizer.items():
    plt.plot(history.history['accuracy'], marker="o", label=f'{name} - train')
    plt.plot(history.history['val_accuracy'], linestyle="--", label=f'{name} - val')
plt.title('Accuracy per Optimizer'); plt.xlabel('Epoch'); plt.legend(fontsize=7); plt.show()
"""),
    md("""
Plain SGD at 0.01 is the slowest; momentum and the adaptive methods get there in a few
epochs. `gradlab compare optimizers` runs the notes' CNN version of this comparison.

## Schedules

Every scheduler with a closed form can be plotted without training. `schedule_curves` holds
the notes' set (001's "some more learning rates in one plot", 002 Q5) and shows itself as a
figure and a table:
"""),
    code("""
from gradlab.explain import schedule_curves, schedule_plot

schedule_curves(60)
"""),
    md("""
Your own schedules, by scheduler, function or list. The notes' step decay (001) is
`lr0 · drop^floor(epoch / epochs_drop)`, PyTorch's `StepLR`:
"""),
    code("""
from gradlab.optim import lr_scheduler as S

schedule_plot({
    "step_decay(0.01, 0.5, 10)": S.step_decay(0.01, 0.5, 10),
    "StepLR(10, 0.5)": S.plot_ready(S.StepLR, lr=0.01, step_size=10, gamma=0.5),
    "ExponentialLR(e^-0.05)": S.plot_ready(S.ExponentialLR, lr=0.01, gamma=np.exp(-0.05)),
    "CosineAnnealingLR(50)": S.plot_ready(S.CosineAnnealingLR, lr=0.01, T_max=50),
}, steps=50, title="decays over 50 epochs")
"""),
    md("""
### The notes' schedules as Keras callbacks

The notes (001, 002 Q5) write step decay, exponential decay and cosine annealing as
functions of the epoch for Keras's `LearningRateScheduler`. Their code, running on
`gradlab.keras` with a one-layer model on 256 digits; the history records each epoch's rate.
"""),
    code("""
import math

import gradlab as tf
from gradlab.keras.callbacks import LearningRateScheduler

def step_decay(epoch):
    initial_lr = 0.01
    drop = 0.5
    epochs_drop = 10
    return initial_lr * (drop ** (epoch // epochs_drop))

def exponential_decay(epoch):
    initial_lr = 0.01
    decay_rate = 0.05
    return initial_lr * tf.math.exp(-decay_rate * epoch)

total_epochs = 40

def cosine_annealing(epoch):
    initial_lr = 0.01
    return initial_lr * (1 + math.cos(math.pi * epoch / total_epochs)) / 2

rates = {}
for schedule in (step_decay, exponential_decay, cosine_annealing):
    model = tf.keras.Sequential([tf.keras.Input((64,)),
                                 tf.keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    lr_schedule = LearningRateScheduler(schedule)
    model.fit(X_train[:256], y_train[:256], epochs=total_epochs, callbacks=[lr_schedule],
              verbose=0)
    rates[schedule.__name__] = model.history.history["learning_rate"]

plt.figure(figsize=(6, 3.5))
for name, values in rates.items():
    plt.plot(values, marker=".", label=name)
plt.xlabel("epoch"); plt.ylabel("learning rate"); plt.grid(alpha=0.3); plt.legend(); plt.show()
assert np.allclose(rates["step_decay"][9:11], [0.01, 0.005])  # halved at epoch 10
"""),
    md("""
## Picking a learning rate: the range test

Train for 100 batches while the learning rate grows from 1e-6 to 10, and watch the loss
(Smith, 2017). Where it falls fastest is a good learning rate (the notes' curve D); before
it the loss barely moves (B), past its minimum it plateaus high (C) and then explodes (A).
"""),
    code("""
from gradlab.explain import lr_range_test

gradlab.manual_seed(0)
model = MLP(64, hidden_sizes=(64,), out_features=10)
result = lr_range_test(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                       X_train, y_train, min_lr=1e-6, max_lr=10.0, steps=100,
                       generator=np.random.default_rng(0))
print(result.to_text())
result
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["04_regularization_and_overfitting"] = [
    md("""
# 4. Regularization and overfitting

The penalties of 003 with their numbers, then an over-parameterized net on a small training
set: how L2 (weight decay), dropout and early stopping narrow the gap between training and
validation loss; and too-small, right-sized and too-large nets side by side.
"""),
    code(SETUP),
    md("""
003: data loss 0.4, weights w = (0.5, -0.3), λ = 0.1. L1 adds λ·Σ|w| = 0.08 (total 0.48);
L2 adds λ·Σw² = 0.034 (total 0.434).
"""),
    code("""
w = nn.Parameter(gradlab.tensor([0.5, -0.3]))
l1, l2 = nn.l1_penalty([w], 0.1), nn.l2_penalty([w], 0.1)
print(f"L1 {l1.item():.3f}, total {0.4 + l1.item():.3f}; L2 {l2.item():.3f}, "
      f"total {0.4 + l2.item():.3f}")
"""),
    md("""
## Four ways to fight overfitting

200 training digits (of 1,797) and a 64-128-128-10 net: enough capacity to memorize them.
The same net and the same initial weights with nothing, weight decay, dropout, and early
stopping on the validation loss.
"""),
    code("""
from gradlab.data import load_digits, train_test_split
from gradlab.models import MLP
from gradlab.train import EarlyStopping, Trainer

digits = load_digits()
X = (digits.X / 16.0).astype(np.float32)
X_rest, X_small, y_rest, y_small = train_test_split(X, digits.y, test_size=200, seed=0,
                                                    stratify=True)
X_val, y_val = X_rest[:600], y_rest[:600]

variants = {
    "nothing": dict(),
    "weight decay 0.5": dict(weight_decay=0.5),
    "dropout 0.5": dict(dropout=0.5),
    "early stopping": dict(callbacks=[EarlyStopping(patience=5, restore_best_weights=True)]),
}
histories = {}
for name, setting in variants.items():
    gradlab.manual_seed(0)
    model = MLP(64, hidden_sizes=(128, 128), out_features=10,
                dropout=setting.get("dropout", 0.0))
    opt = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=setting.get("weight_decay", 0.0))
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, metrics=["accuracy"],
                      callbacks=setting.get("callbacks", []))
    histories[name] = trainer.fit(X_small, y_small, epochs=40, batch_size=32,
                                  validation_data=(X_val, y_val), verbose=0,
                                  generator=np.random.default_rng(0))

fig, axes = plt.subplots(1, 4, figsize=(15, 3.4), sharey=True)
for axis, (name, h) in zip(axes, histories.items()):
    epochs = np.arange(1, len(h) + 1)
    axis.plot(epochs, h["loss"], label="training")
    axis.plot(epochs, h["val_loss"], label="validation")
    axis.set(title=f"{name}\\n{len(h)} epochs, val acc {h['val_accuracy'][-1]:.3f}", xlabel="epoch",
             yscale="log")
    axis.grid(alpha=0.3)
axes[0].legend(); plt.show()
"""),
    md("""
With nothing, the training loss heads to zero while the validation loss turns up: the net
memorizes its 200 examples. Weight decay (AdamW's, decoupled from the gradient) and dropout
keep the training loss from collapsing; early stopping ends the run once the validation loss
has not improved for 5 epochs and restores the weights of its best epoch.

A History shows its curves and per-epoch values:
"""),
    code('histories["early stopping"]'),
    md("""
## Underfitting and overfitting: model size

`gradlab compare fitting` trains a too-small, a right-sized and a too-large net on two
moons and draws learning curves and decision boundaries (a short run here; the bar shows
every run's last values while it trains).
"""),
    code("""
import tempfile
from pathlib import Path

from IPython.display import Image, display

from gradlab.cli import main

out = Path(tempfile.mkdtemp()) / "fitting"
main(["compare", "fitting", "--epochs", "15", "--seeds", "1", "--out", str(out)])
display(Image(filename=str(out / "decision_boundaries.png")))
display(Image(filename=str(out / "learning_curves.png")))
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["05_cnn_and_rnn_lstm"] = [
    md("""
# 5. Convolutional and recurrent nets

The conv output size of 003 Q7, a LeNet-style CNN on the digits images, and an LSTM that
reads each digit row by row (002: FNN, CNN, RNN, LSTM).
"""),
    code(SETUP),
    md("""
003 Q7: a 32x32x32 input, 8 filters of 6x6, stride 2, padding 1:
(32 - 6 + 2·1) / 2 + 1 = 15, so the output is 15 x 15 x 8.
"""),
    code("""
conv = nn.Conv2d(in_channels=32, out_channels=8, kernel_size=6, stride=2, padding=1)
print(tuple(conv(gradlab.zeros(1, 32, 32, 32)).shape))  # (batch, channels, height, width)
"""),
    code("""
from gradlab.data import load_digits, train_test_split
from gradlab.models import LeNet, SequenceClassifier
from gradlab.train import Trainer

digits = load_digits()
images = (digits.X / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)  # NCHW
X_train, X_test, y_train, y_test = train_test_split(images, digits.y, test_size=0.25, seed=0,
                                                    stratify=True)
gradlab.manual_seed(0)
cnn = LeNet(in_channels=1, num_classes=10, image_size=8)
cnn.summary((1, 8, 8), print_fn=None)
"""),
    code("""
trainer = Trainer(cnn, nn.CrossEntropyLoss(), optim.Adam(cnn.parameters(), lr=3e-3),
                  metrics=["accuracy"])
history = trainer.fit(X_train, y_train, epochs=5, batch_size=32,
                      validation_data=(X_test, y_test), generator=np.random.default_rng(0))
history
"""),
    code("""
predicted = trainer.predict(X_test[:16]).argmax(axis=1)
fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for axis, image, label, guess in zip(axes.flat, X_test, y_test, predicted):
    axis.imshow(image[0], cmap="gray_r"); axis.axis("off")
    axis.set_title(f"{guess}" + ("" if guess == label else f" ({label})"),
                   color="black" if guess == label else "red")
plt.suptitle("LeNet's guesses (the true label in brackets when wrong)"); plt.show()
"""),
    md("""
## An LSTM reading rows

The same images as sequences: 8 time steps (the rows), 8 features each. The LSTM's final
hidden state feeds a linear head; its gates are PyTorch's (i, f, g, o), so `state_dict`
moves to `torch.nn.LSTM` as it is.
"""),
    code("""
sequences_train, sequences_test = X_train[:, 0], X_test[:, 0]  # (N, T=8, features=8)
gradlab.manual_seed(0)
lstm = SequenceClassifier(input_size=8, num_classes=10, hidden_size=64, cell="lstm")
trainer = Trainer(lstm, nn.CrossEntropyLoss(), optim.Adam(lstm.parameters(), lr=5e-3),
                  metrics=["accuracy"])
history = trainer.fit(sequences_train, y_train, epochs=6, batch_size=32,
                      validation_data=(sequences_test, y_test),
                      generator=np.random.default_rng(0))
print({name: tuple(p.shape) for name, p in lstm.rnn.named_parameters()})
history
"""),
]

NOTEBOOKS["05_cnn_and_rnn_lstm"] += [
    md("""
## The notes' CNN in Keras

The notes' CNN (002 Q4, example 14) is written in Keras for CIFAR-10's 32x32 colour images.
Its `create_model`, running on `gradlab.keras` (channels last, as Keras has it). gradlab
never downloads datasets, so instead of CIFAR-10 the digits are scaled up to 32x32 with
three equal channels; 500 of them, one epoch.
"""),
    code("""
from gradlab.keras import layers, models
from gradlab.keras.optimizers import Adam

def to_rgb32(batch):  # (N, 1, 8, 8) -> (N, 32, 32, 3)
    big = np.kron(batch[:, 0], np.ones((4, 4), dtype=np.float32))
    return np.repeat(big[..., None], 3, axis=-1)

x_train, x_test = to_rgb32(X_train[:500]), to_rgb32(X_test[:200])

def create_model():
    model = models.Sequential([
        layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation='relu'),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation='relu'),
        layers.Flatten(),
        layers.Dense(64, activation='relu'),
        layers.Dense(10, activation='softmax') # 10 classes for CIFAR-10
    ])
    return model

model = create_model()
model.compile(optimizer=Adam(learning_rate=0.001), loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])
model.summary()
history = model.fit(x_train, y_train[:500], epochs=1, validation_data=(x_test, y_test[:200]),
                    batch_size=64)
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["06_gan_and_autoencoder"] = [
    md("""
# 6. Autoencoders and GANs

An autoencoder squeezes the digits through a 2-D code (003: encoder-decoder, autoencoder),
and a GAN learns a ring of eight Gaussians (002: generator against discriminator).
"""),
    code(SETUP),
    code("""
from gradlab.data import load_digits
from gradlab.models import Autoencoder
from gradlab.train import Trainer

digits = load_digits()
X = (digits.X / 16.0).astype(np.float32)
gradlab.manual_seed(0)
autoencoder = Autoencoder(64, hidden_sizes=(64, 32), latent_dim=2)
trainer = Trainer(autoencoder, nn.MSELoss(), optim.Adam(autoencoder.parameters(), lr=3e-3))
history = trainer.fit(X, X, epochs=25, batch_size=64, verbose=0,
                      generator=np.random.default_rng(0))
history
"""),
    code("""
with gradlab.no_grad():
    codes = autoencoder.encode(gradlab.tensor(X)).numpy()
    rebuilt = autoencoder(gradlab.tensor(X[:8])).numpy()
fig = plt.figure(figsize=(12, 4.5))
scatter = fig.add_subplot(1, 2, 1)
points = scatter.scatter(codes[:, 0], codes[:, 1], c=digits.y, cmap="tab10", s=6)
fig.colorbar(points, ax=scatter, label="digit")
scatter.set(title="the 2-D codes of all digits", xlabel="code 1", ylabel="code 2")
for k in range(8):
    for row, image in enumerate((X[k], rebuilt[k])):
        axis = fig.add_subplot(4, 16, 8 + 16 * (row + 1) + k + 1)
        axis.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1); axis.axis("off")
plt.show()
"""),
    md("""
## A GAN on a ring of Gaussians

The generator maps 2-D noise to points; the discriminator tells them from real samples of
eight Gaussians on a circle. Mode coverage counts how many of the eight the generator's
samples reach (a collapsed GAN covers one or two).
"""),
    code("""
from gradlab.data import make_gaussian_mixture
from gradlab.lab.applications.gan_mixture import run_gan_mixture, sample

result = run_gan_mixture(steps=1000, seed=0)
coverage = result["coverage"]
print(f"modes covered: {coverage['covered']} of {coverage['n_modes']}, "
      f"samples within 3σ of a mode: {coverage['quality']:.0%}")
real = make_gaussian_mixture(1000, n_modes=8, radius=2.0, std=0.1, seed=1).X
fake = sample(result["generator"], 1000)
plt.figure(figsize=(5, 5))
plt.scatter(real[:, 0], real[:, 1], s=4, alpha=0.4, label="real")
plt.scatter(fake[:, 0], fake[:, 1], s=4, alpha=0.4, label="generated")
plt.axis("equal"); plt.legend(); plt.title("GAN samples against the data"); plt.show()
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["07_tuning_with_optuna"] = [
    md("""
# 7. Hyperparameter tuning with Optuna

The notes' search (002 Q7): the learning rate log-uniform in 1e-5..1e-2, the batch size 32,
64 or 128, Adam or SGD with momentum 0.9, for the binary classifier of chapter 2. First
with Optuna directly around gradlab's `Trainer`, then the notes' own Keras objective, then
with `gradlab.lab.tuning.tune` and a config file, which shows a bar over the trials.
"""),
    code(SETUP),
    code("""
import optuna

from gradlab.data import make_classification, train_test_split
from gradlab.models import MLP
from gradlab.train import Trainer

optuna.logging.set_verbosity(optuna.logging.WARNING)
X, y = make_classification(n_samples=1000, n_features=20, n_classes=2, random_state=42)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, seed=42)

def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-2, log=True)
    batch_size = trial.suggest_categorical("batch_size", [32, 64, 128])
    name = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    gradlab.manual_seed(0)
    model = MLP(20, hidden_sizes=(64, 32), out_features=1)
    opt = (optim.Adam(model.parameters(), lr=lr) if name == "adam"
           else optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    trainer = Trainer(model, nn.BCEWithLogitsLoss(), opt, metrics=["accuracy"])
    history = trainer.fit(X_train, y_train, epochs=8, batch_size=batch_size,
                          validation_data=(X_val, y_val), verbose=0)
    return history["val_accuracy"][-1]

study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=8)
print("best parameters:", study.best_params, f"validation accuracy {study.best_value:.3f}")
"""),
    code("""
values = [t.value for t in study.trials]
plt.figure(figsize=(6, 3.5))
plt.plot(range(len(values)), values, "o", label="trial")
plt.plot(range(len(values)), np.maximum.accumulate(values), label="best so far")
plt.xlabel("trial"); plt.ylabel("validation accuracy"); plt.grid(alpha=0.3); plt.legend()
plt.show()
"""),
    md("""
### The notes' Keras objective

The notes' own objective (002 Q7, example 13) builds a Keras model in every trial. Their
code, running on `gradlab.keras`, with 5 epochs and 4 trials instead of 20 and 20:
"""),
    code("""
import gradlab as tf
from gradlab.keras.models import Sequential
from gradlab.keras.layers import Dense
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

X, y = make_classification(n_samples=1000, n_features=20, random_state=42)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=42)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_val = scaler.transform(X_val)

def objective(trial):
    # the notes' suggest_loguniform, deprecated since Optuna 3, is this call:
    learning_rate = trial.suggest_float('learning_rate', 1e-5, 1e-2, log=True)
    batch_size = trial.suggest_categorical('batch_size', [32, 64, 128])
    optimizer_choice = trial.suggest_categorical('optimizer', ['adam', 'sgd'])
    model = Sequential([
        Dense(64, activation='relu', input_shape=(X_train.shape[1],)),
        Dense(32, activation='relu'),
        Dense(1, activation='sigmoid')
    ])
    if optimizer_choice == 'adam':
        optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    else:
        optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    model.compile(optimizer=optimizer, loss='binary_crossentropy', metrics=['accuracy'])
    history = model.fit(X_train, y_train, epochs=5, batch_size=batch_size,
                        validation_data=(X_val, y_val), verbose=0)
    val_accuracy = history.history['val_accuracy'][-1]
    return val_accuracy

study = optuna.create_study(direction='maximize', sampler=optuna.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=4)
print("Best hyperparameters: ", study.best_params)
"""),
    md("""
## The same search from a config

`examples/configs/tune_example13.toml` declares the data, the model and the search space;
`gradlab tune` runs it from the shell. Here it runs in the notebook with fewer epochs and
trials, in memory (`storage="memory"`; by default the study is kept in a SQLite file and a
second run resumes it).
"""),
    code("""
import tomllib
from pathlib import Path

from gradlab.lab.config import parse_config
from gradlab.lab.tuning import EXTRA_SECTIONS
from gradlab.lab.tuning.study import tune

path = Path("../examples/configs/tune_example13.toml")
raw = tomllib.loads(path.read_text())
raw["training"]["epochs"] = 5  # a short run for the notebook
config = parse_config(raw, path, extra_sections=EXTRA_SECTIONS)
result = tune(config, trials=6, storage="memory", verbose=0)
print("best parameters:", result.best_params, f"value {result.best_value:.3f}")
"""),
]

# --------------------------------------------------------------------------------------------
NOTEBOOKS["08_applications_diagnosis_and_recommendation"] = [
    md("""
# 8. Two applications: medical diagnosis and recommendation

The notes' fully connected nets for diagnosis from patient records and for recommending
items from embeddings (000, 001).
"""),
    code(SETUP),
    md("""
## Medical diagnosis

Breast-cancer records (scikit-learn's 30 features), an MLP with dropout, class-weighted
binary cross-entropy, early stopping; the decision threshold is chosen on validation data
for recall (a missed tumour costs more than a false alarm), and gradients rank the
features.
"""),
    code("""
from gradlab.lab.applications.medical_diagnosis import medical_diagnosis

result = medical_diagnosis(epochs=60, seed=0)
print(result.summary())
"""),
    code("""
fpr, tpr, _ = result.roc
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
left.plot(fpr, tpr, label=f"ROC, AUC {result.roc_auc:.3f}")
left.plot([0, 1], [0, 1], "k--", linewidth=0.8)
left.set(xlabel="false positive rate", ylabel="true positive rate (recall)",
         title="test patients"); left.legend()
top = result.attribution.top(8)  # (feature, signed mean, mean |gradient|)
right.barh([name for name, _, _ in top][::-1], [score for _, _, score in top][::-1])
right.set(title="features by gradient attribution", xlabel="mean |d logit / d feature|")
plt.tight_layout(); plt.show()
"""),
    code("result.history"),
    md("""
## Recommendation

Ratings in MovieLens-100k's format (synthetic here; `u.data` is used when present): a
matrix factorization and a neural collaborative filter (user and item embeddings into an
MLP) against a popularity baseline, by RMSE and hit rate at 10.
"""),
    code("""
from gradlab.lab.applications.recommendation import run_recommendation

found = run_recommendation(epochs=4, seed=0)
print(f"{found['source']}: {found['n_users']} users, {found['n_items']} items, "
      f"{found['n_ratings']} ratings")
for name, metrics in found["results"].items():
    print(f"  {name:<22} RMSE {metrics['rmse']:.3f}   hit rate@10 {metrics['hit_rate@10']:.3f}")
"""),
    code("""
plt.figure(figsize=(6, 3.5))
for name, losses in found["histories"].items():
    plt.plot(np.arange(1, len(losses) + 1), losses, marker="o", label=name)
plt.xlabel("epoch"); plt.ylabel("training MSE"); plt.grid(alpha=0.3); plt.legend(); plt.show()
"""),
]


def build(name: str, cells: list[tuple[str, str]]):
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                       "name": "python3"}  # fmt: skip
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, text in cells:
        make = new_markdown_cell if kind == "markdown" else new_code_cell
        notebook.cells.append(make(text))
    for k, cell in enumerate(notebook.cells):  # stable ids: the files only change with the cells
        cell["id"] = f"{name[:2]}-{k:02d}"
    return notebook


def main(argv=None) -> int:
    for name, cells in NOTEBOOKS.items():
        path = HERE / f"{name}.ipynb"
        nbformat.write(build(name, cells), path)
        print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
