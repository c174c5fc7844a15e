"""SequenceClassifier and Forecaster: shapes, gradients, PyTorch parity, training, and the
quality bars (digits read row by row >= 0.95 for LSTM and GRU; a seasonal forecast at least
25% below the last-value forecast's RMSE)."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import load_digits, make_seasonal_series, sliding_windows, train_test_split
from gradlab.models.recurrent import Forecaster, SequenceClassifier
from gradlab.train import Trainer, metrics


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional,num_layers", [(False, 1), (True, 2)])
def test_sequence_classifier_shapes_and_gradients(cell, bidirectional, num_layers):
    gradlab.manual_seed(0)
    model = SequenceClassifier(
        5,
        num_classes=3,
        hidden_size=6,
        cell=cell,
        num_layers=num_layers,
        bidirectional=bidirectional,
    )
    x = gradlab.randn(4, 7, 5, requires_grad=True)
    out = model(x)
    assert out.shape == (4, 3)
    out.sum().backward()
    assert x.grad.shape == (4, 7, 5)
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name


def test_forecaster_shapes():
    model = Forecaster(hidden_size=8, horizon=3)
    assert model(gradlab.randn(4, 10)).shape == (4, 3)
    assert model(gradlab.randn(4, 10, 1)).shape == (4, 3)
    two = Forecaster(input_size=2, hidden_size=8, cell="lstm")
    out = two(gradlab.randn(4, 10, 2))
    assert out.shape == (4, 1)
    out.sum().backward()
    assert all(p.grad is not None for p in two.parameters())


def test_errors_name_the_model():
    with pytest.raises(ValueError, match=r"SequenceClassifier: cell='transformer'"):
        SequenceClassifier(8, cell="transformer")
    with pytest.raises(
        ValueError,
        match=r"SequenceClassifier\(input_size=8\): input has shape "
        r"\(4, 8, 3\), expected \(B, T, 8\)",
    ):
        SequenceClassifier(8)(gradlab.randn(4, 8, 3))
    with pytest.raises(ValueError, match=r"Forecaster\(input_size=1\).*or \(B, T\)"):
        Forecaster()(gradlab.randn(4))


@pytest.mark.parametrize("cell,bidirectional", [("lstm", False), ("gru", True)])
def test_sequence_classifier_matches_torch(cell, bidirectional):
    torch = pytest.importorskip("torch")
    gradlab.manual_seed(1)
    model = SequenceClassifier(
        4, num_classes=3, hidden_size=5, cell=cell, bidirectional=bidirectional
    )

    class Reference(torch.nn.Module):
        def __init__(self):
            super().__init__()
            layer = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
            self.rnn = layer(4, 5, batch_first=True, bidirectional=bidirectional)
            self.head = torch.nn.Linear(10 if bidirectional else 5, 3)

        def forward(self, x):
            _, state = self.rnn(x)
            h = state[0] if cell == "lstm" else state
            return self.head(torch.cat([h[-2], h[-1]], 1) if bidirectional else h[-1])

    ref = Reference()
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 6, 4)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    expected = ref(xt)
    got_x = gradlab.tensor(x, requires_grad=True)
    got = model(got_x)
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), atol=1e-5, rtol=1e-4)
    weights = np.random.default_rng(1).standard_normal((3, 3)).astype(np.float32)
    (got * gradlab.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(got_x.grad, xt.grad.numpy(), atol=1e-5, rtol=1e-4)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(
            dict(model.named_parameters())[name].grad,
            p.grad.numpy(),
            atol=1e-5,
            rtol=1e-4,
            err_msg=name,
        )


def _digit_rows(seed=0):
    digits = load_digits()
    rows = (digits.X / 16.0).reshape(-1, 8, 8).astype(np.float32)  # 8 steps of 8 pixels
    return train_test_split(rows, digits.y, test_size=0.25, seed=seed, stratify=True)


def test_short_training_lowers_the_loss():
    gradlab.manual_seed(0)
    X_train, _, y_train, _ = _digit_rows()
    model = SequenceClassifier(8, hidden_size=16, cell="gru")
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2))
    losses = trainer.fit(
        X_train, y_train, epochs=3, verbose=0, generator=np.random.default_rng(0)
    ).history["loss"]
    assert losses[-1] < 0.6 * losses[0]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_digits_read_row_by_row_reach_095(cell):
    gradlab.manual_seed(0)
    X_train, X_test, y_train, y_test = _digit_rows()
    model = SequenceClassifier(8, num_classes=10, hidden_size=64, cell=cell)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        scheduler=optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=15),
    )
    trainer.fit(X_train, y_train, epochs=15, verbose=0, generator=np.random.default_rng(0))
    accuracy = metrics.accuracy(y_test, trainer.predict(X_test).argmax(axis=1))
    assert accuracy >= 0.95


def test_forecaster_beats_last_value_by_25_percent():
    gradlab.manual_seed(0)
    series = make_seasonal_series(n=1000, period=50, noise=0.1, seed=0).y
    windows = sliding_windows(series, window=24, horizon=1)
    split = int(0.8 * len(windows.X))  # train on the past, test on the future
    model = Forecaster(hidden_size=32, cell="gru")
    trainer = Trainer(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=1e-2))
    trainer.fit(
        windows.X[:split],
        windows.y[:split],
        epochs=20,
        verbose=0,
        generator=np.random.default_rng(0),
    )
    X_test, y_test = windows.X[split:], windows.y[split:]
    model_rmse = metrics.rmse(y_test[:, 0], trainer.predict(X_test)[:, 0])
    last_value_rmse = metrics.rmse(y_test[:, 0], X_test[:, -1, 0])
    assert model_rmse <= 0.75 * last_value_rmse
