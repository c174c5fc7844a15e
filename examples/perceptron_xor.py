"""The perceptron (notes 002, Q5) on logic gates: it learns AND and OR with the perceptron
rule, cannot learn XOR (no line separates its classes), and a 2-layer MLP can.

Run: ``python examples/perceptron_xor.py``.
"""

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.models import MLP, Perceptron
from gradlab.train import Trainer

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}


def perceptron_on_gates(epochs: int = 100, seed: int = 0, verbose: bool = True) -> dict:
    """{gate: (PerceptronFit, accuracy)} for the perceptron rule on each gate."""
    results = {}
    for gate, labels in GATES.items():
        y = np.array(labels)
        model = Perceptron(2, generator=np.random.default_rng(seed))
        fit = model.fit(X, y, lr=1.0, epochs=epochs, generator=np.random.default_rng(seed))
        accuracy = float(np.mean(model.predict(X) == y))
        results[gate] = (fit, accuracy)
        if verbose:
            print(f"perceptron on {gate:3s}: {fit}; accuracy {accuracy:.2f}")
    return results


def mlp_on_xor(epochs: int = 300, seed: int = 0, verbose: bool = True) -> float:
    """Accuracy of a 2-8-1 tanh MLP trained by backprop on XOR."""
    gradlab.manual_seed(seed)
    y = np.array(GATES["XOR"])
    model = MLP(2, hidden_sizes=(8,), out_features=1, activation="tanh")
    trainer = Trainer(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.05))
    history = trainer.fit(X, y, epochs=epochs, batch_size=4, verbose=0)
    accuracy = float(np.mean((trainer.predict(X).ravel() > 0) == y))
    if verbose:
        print(f"2-layer MLP on XOR: loss {history['loss'][-1]:.4f} after {epochs} epochs; "
              f"accuracy {accuracy:.2f}")  # fmt: skip
    return accuracy


if __name__ == "__main__":
    perceptron_on_gates()
    mlp_on_xor()
