"""Module.summary: one row per layer with output shape and parameter count, and the totals
(example 10 of the notes: Linear(100, 64), ReLU, Linear(64, 10) has 7,114 parameters)."""

import numpy as np

import gradlab
from gradlab import nn
from gradlab.nn import Module
from gradlab.nn.summary import count_parameters


class Relu(Module):
    """A local stand-in for nn.ReLU (written elsewhere), so this test needs only this file."""

    def forward(self, x):
        return x.relu()


def notes_model():
    return nn.Sequential(nn.Linear(100, 64), Relu(), nn.Linear(64, 10))


def rows(text):
    return [line.split() for line in text.splitlines()]


def test_notes_example_10_totals_and_rows():
    printed = []
    text = notes_model().summary((100,), print_fn=printed.append)
    assert printed == [text]
    lines = text.splitlines()
    assert lines[0] == 'Model: "Sequential"'
    assert "Total params: 7,114 (27.79 KB)" in lines  # as the notes' Keras summary prints
    assert "Trainable params: 7,114 (27.79 KB)" in lines
    assert "Non-trainable params: 0 (0.00 B)" in lines
    table = rows(text)
    assert ["0", "(Linear)", "(None,", "64)", "6,464"] in table
    assert ["1", "(Relu)", "(None,", "64)", "0"] in table
    assert ["2", "(Linear)", "(None,", "10)", "650"] in table
    assert count_parameters(notes_model()) == 7114


def test_non_trainable_and_frozen_counts():
    model = notes_model()
    model[0].requires_grad_(False)
    text = model.summary(100, print_fn=None)  # an int input shape is accepted
    assert "Trainable params: 650 (2.54 KB)" in text
    assert "Non-trainable params: 6,464 (25.25 KB)" in text
    assert count_parameters(model, trainable_only=True) == 650


def test_nested_model_shapes_modes_and_no_graph():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.BatchNorm2d(3), nn.Flatten())
            self.head = nn.Linear(48, 5)
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            return self.drop(self.head(self.features(x)))

    net = Net()
    net.features.eval()  # mixed modes are restored as they were
    text = net.summary((3, 4, 4), print_fn=None)
    table = rows(text)
    assert ["features.0", "(BatchNorm2d)", "(None,", "3,", "4,", "4)", "6"] in table
    assert ["features.1", "(Flatten)", "(None,", "48)", "0"] in table
    assert ["head", "(Linear)", "(None,", "5)", "245"] in table
    assert "Total params: 251" in text
    assert net.training and net.head.training and not net.features.training
    assert not net.features[0].training
    assert int(net.features[0].num_batches_tracked.numpy()) == 0  # ran in eval mode
    assert all(p.grad is None for p in net.parameters())


def test_leaf_model_and_integer_input():
    emb = nn.Embedding(10, 4)
    text = emb.summary((7,), dtype=np.int64, print_fn=None)
    assert ["Embedding", "(Embedding)", "(None,", "7,", "4)", "40"] in rows(text)
    assert "Total params: 40" in text


def test_summary_dtype_follows_default():
    seen = []
    model = nn.Sequential(nn.Identity())
    model.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].dtype))
    model.summary((2,), print_fn=None)
    assert seen == [gradlab.get_default_dtype()]
