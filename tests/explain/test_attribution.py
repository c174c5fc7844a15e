"""Gradient attribution: exact on a linear model, equal to PyTorch's input gradients on an
MLP, class selection for multi-class outputs, and no side effects on the model."""

import numpy as np
import pytest

import gradlab
from gradlab.explain.attribution import Attribution, feature_attribution, input_gradients
from gradlab.models import MLP, LeNet, LogisticRegression


def _x(n=6, f=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, f)).astype(np.float32)


def test_linear_model_gradient_is_the_weight_and_gradient_x_input_its_terms():
    model = LogisticRegression(4)
    x = _x()
    w = model.linear.weight.numpy()[0]
    grad = feature_attribution(model, x, method="gradient")
    np.testing.assert_allclose(grad.values, np.broadcast_to(w, x.shape), rtol=1e-6)
    np.testing.assert_allclose(grad.mean, w, rtol=1e-6)
    terms = feature_attribution(model, x, method="gradient_x_input")
    np.testing.assert_allclose(terms.values, x * w, rtol=1e-6)
    np.testing.assert_allclose(terms.mean, (x * w).mean(axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(terms.mean_abs, np.abs(x * w).mean(axis=0), rtol=1e-5)
    # the terms add up to the logit minus the bias
    logits = model(gradlab.tensor(x)).numpy().ravel()
    np.testing.assert_allclose(terms.values.sum(axis=1), logits - model.linear.bias.numpy()[0],
                               rtol=1e-5, atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("target", [None, 2, "per-sample"])
def test_mlp_input_gradients_match_torch(target):
    torch = pytest.importorskip("torch")
    model = MLP(4, hidden_sizes=(8,), out_features=3, activation="tanh")
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    ref.load_state_dict({k[len("layers.") :]: torch.from_numpy(np.array(v))
                         for k, v in model.state_dict().items()})  # fmt: skip
    x = _x(7)
    xt = torch.from_numpy(x).requires_grad_(True)
    out = ref(xt)
    if target is None:
        index = out.argmax(dim=1)
    elif target == "per-sample":
        target = np.array([0, 1, 2, 0, 1, 2, 0])
        index = torch.from_numpy(target)
    else:
        index = torch.full((7,), target)
    out.gather(1, index.reshape(-1, 1)).sum().backward()
    grads = input_gradients(model, x, target=target, batch_size=3)  # batches of 3, 3, 1
    np.testing.assert_allclose(grads, xt.grad.numpy(), atol=1e-6, rtol=1e-5)


def test_image_inputs_keep_their_shape():
    x = np.random.default_rng(0).random((3, 1, 8, 8)).astype(np.float32)
    a = feature_attribution(LeNet(), x, target=0)
    assert a.values.shape == (3, 1, 8, 8) and a.mean.shape == (1, 8, 8)
    assert a.top(1)[0][0].startswith("x[0, ")


def test_model_state_is_left_as_it_was():
    model = MLP(4, hidden_sizes=(8,), out_features=1, dropout=0.5, batch_norm=True)
    model.train()
    model.layers[0].weight.requires_grad_(False)
    before = {k: np.array(v) for k, v in model.state_dict().items()}
    a = feature_attribution(model, _x())
    b = feature_attribution(model, _x())
    np.testing.assert_array_equal(a.values, b.values)  # eval mode: dropout off, no batch stats
    assert model.training
    assert [p.requires_grad for p in model.parameters()][:2] == [False, True]
    assert all(p.grad is None for p in model.parameters())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_ranking_table_and_names():
    values = np.array([[1.0, -3.0, 0.5], [1.0, -1.0, -0.5]])
    a = Attribution("gradient", values, ["a", "b", "c"])
    np.testing.assert_allclose(a.mean, [1.0, -2.0, 0.0])
    np.testing.assert_allclose(a.mean_abs, [1.0, 2.0, 0.5])
    assert a.ranking().tolist() == [1, 0, 2]
    assert a.top(2) == [("b", -2.0, 2.0), ("a", 1.0, 1.0)]
    text = a.to_text(2)
    assert text.splitlines()[2].split() == ["b", "-2.0000", "2.0000"]


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    a = Attribution("gradient", _x(), ["f0", "f1", "f2", "f3"])
    path = a.plot(tmp_path / "attr.png", k=3)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_name_the_problem():
    model = MLP(4, hidden_sizes=(8,), out_features=3)
    with pytest.raises(ValueError, match="method must be one of"):
        feature_attribution(model, _x(), method="lime")
    with pytest.raises(ValueError, match="target holds class 5 but the model outputs 3"):
        input_gradients(model, _x(), target=5)
    with pytest.raises(ValueError, match="target has 2 entries for 6 samples"):
        input_gradients(model, _x(), target=[0, 1])
    with pytest.raises(ValueError, match="3 feature_names for inputs of shape"):
        feature_attribution(model, _x(), feature_names=["a", "b", "c"])
