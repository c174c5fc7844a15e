"""models.MLP: layer layout, shapes, PyTorch cross-check, and digits >= 0.97 test accuracy."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import load_digits, train_test_split
from gradlab.models import MLP
from gradlab.train import Trainer, metrics


def test_layout_and_parameter_count_of_notes_example_10():
    # notes 002 Q7: Linear(100, 64), ReLU, Linear(64, 10) has 7,114 parameters
    model = MLP(100, hidden_sizes=(64,), out_features=10)
    assert [type(m).__name__ for m in model.layers] == ["Linear", "ReLU", "Linear"]
    assert sum(p.numpy().size for p in model.parameters()) == 7114
    full = MLP(8, hidden_sizes=[16, 4], out_features=3, activation="tanh", dropout=0.2,
               batch_norm=True)  # fmt: skip
    assert [type(m).__name__ for m in full.layers] == [
        "Linear", "BatchNorm1d", "Tanh", "Dropout",
        "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear",
    ]  # fmt: skip
    assert [type(m).__name__ for m in MLP(4, hidden_sizes=(), out_features=2).layers] == ["Linear"]


@pytest.mark.parametrize("batch_norm", [False, True])
def test_forward_and_backward_shapes(batch_norm):
    model = MLP(64, hidden_sizes=(32, 16), out_features=10, dropout=0.1, batch_norm=batch_norm)
    x = gradlab.randn(5, 8, 8, requires_grad=True)  # (B, 8, 8) is flattened to (B, 64)
    out = model(x)
    assert out.shape == (5, 10)
    out.sum().backward()
    assert x.grad.shape == (5, 8, 8)
    for p in model.parameters():
        assert p.grad is not None and p.grad.shape == p.shape


def test_matches_torch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    model = MLP(6, hidden_sizes=(5, 4), out_features=3, activation="gelu", batch_norm=True)
    ref = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.GELU(),
        torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4), torch.nn.GELU(),
        torch.nn.Linear(4, 3),
    )  # fmt: skip
    state = {k[len("layers.") :]: torch.from_numpy(np.array(v))
             for k, v in model.state_dict().items()}  # fmt: skip
    ref.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((7, 6)).astype(np.float32)
    xt = torch.from_numpy(x).requires_grad_(True)
    xg = gradlab.tensor(x, requires_grad=True)
    out, ref_out = model(xg), ref(xt)
    np.testing.assert_allclose(out.numpy(), ref_out.detach().numpy(), atol=1e-5, rtol=1e-4)
    (out * out).sum().backward()
    (ref_out * ref_out).sum().backward()
    np.testing.assert_allclose(xg.grad, xt.grad.numpy(), atol=1e-5, rtol=1e-4)
    for (name, p), q in zip(model.named_parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), atol=1e-5, rtol=1e-4, err_msg=name)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"MLP: unknown activation 'swish'"):
        MLP(4, activation="swish")
    with pytest.raises(ValueError, match=r"MLP\(in_features=4\).*\(2, 5\)"):
        MLP(4)(gradlab.randn(2, 5))
    with pytest.raises(ValueError, match="dropout must be in"):
        MLP(4, dropout=1.0)
    with pytest.raises(ValueError, match=r"hidden_sizes\[1\] must be >= 1"):
        MLP(4, hidden_sizes=(3, 0))


def _digits(seed=0):
    data = load_digits()
    return train_test_split(data.X / 16.0, data.y, test_size=0.25, seed=seed, stratify=True)


def _train(epochs, seed=0):
    X_train, X_test, y_train, y_test = _digits(seed)
    gradlab.manual_seed(seed)
    model = MLP(64, hidden_sizes=(256, 128), out_features=10, dropout=0.2)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, scheduler=schedule)
    history = trainer.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    accuracy = metrics.accuracy(y_test, trainer.predict(X_test).argmax(axis=1))
    return history, accuracy


def test_short_training_lowers_the_loss():
    history, _ = _train(epochs=2)
    assert history["loss"][1] < history["loss"][0] < 2.3


def test_digits_test_accuracy_at_least_0_97():
    _, accuracy = _train(epochs=20)
    assert accuracy >= 0.97, accuracy
