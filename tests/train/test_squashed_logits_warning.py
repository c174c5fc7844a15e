"""A Softmax (Sigmoid) layer feeding CrossEntropyLoss (BCEWithLogitsLoss), which expect logits,
gets one warning: in a manual loop from the loss, in Trainer.fit before training."""

import warnings

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.train import Trainer

X = np.random.default_rng(0).random((8, 4)).astype(np.float32)
Y = np.random.default_rng(1).integers(0, 3, 8)


def test_cross_entropy_on_softmax_warns_once():
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    loss = nn.CrossEntropyLoss()
    with pytest.warns(UserWarning, match="CrossEntropyLoss: its input is the output of a Softmax"):
        loss(model(gradlab.tensor(X)), gradlab.tensor(Y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss(model(gradlab.tensor(X)), gradlab.tensor(Y))


def test_bce_with_logits_on_sigmoid_warns():
    model = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())
    target = gradlab.tensor((Y[:, None] > 0).astype(np.float32))
    with pytest.warns(UserWarning, match="expects logits"):
        nn.BCEWithLogitsLoss()(model(gradlab.tensor(X)), target)


def test_trainer_warns_before_training_once():
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(X, Y, epochs=2, verbose=0)
    messages = [str(w.message) for w in caught if "expects logits" in str(w.message)]
    assert len(messages) == 1 and messages[0].startswith("fit: the model's output comes from")


@pytest.mark.parametrize(
    "model, loss",
    [
        (lambda: nn.Sequential(nn.Linear(4, 3)), nn.CrossEntropyLoss),
        (lambda: nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1), nn.Linear(3, 3)),
         nn.CrossEntropyLoss),
        (lambda: nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1)), nn.NLLLoss),
    ],
)  # fmt: skip
def test_no_warning_on_logits(model, loss):
    m = model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Trainer(m, loss(), optim.SGD(m.parameters(), lr=0.1)).fit(X, Y, epochs=1, verbose=0)
