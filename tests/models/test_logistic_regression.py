"""LogisticRegression: shapes, PyTorch cross-check, and breast_cancer accuracy within one
point of scikit-learn's LogisticRegression."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data import load_breast_cancer, train_test_split, transforms
from gradlab.models import LogisticRegression
from gradlab.train import Trainer, metrics


def test_forward_and_backward_shapes():
    model = LogisticRegression(4)
    x = gradlab.randn(6, 4, requires_grad=True)
    out = model(x)
    assert out.shape == (6, 1)
    out.sum().backward()
    assert x.grad.shape == (6, 4)
    assert model.linear.weight.grad.shape == (1, 4) and model.linear.bias.grad.shape == (1,)
    assert model(gradlab.randn(3, 2, 2)).shape == (3, 1)  # (B, ...) is flattened


def test_matches_torch_logits_probabilities_and_bce_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    y = rng.integers(0, 2, (8, 1)).astype(np.float32)
    model = LogisticRegression(5)
    ref = torch.nn.Linear(5, 1)
    ref.load_state_dict({k[len("linear.") :]: torch.from_numpy(np.array(v))
                         for k, v in model.state_dict().items()})  # fmt: skip
    loss = nn.BCEWithLogitsLoss()(model(gradlab.tensor(x)), gradlab.tensor(y))
    loss.backward()
    ref_out = ref(torch.from_numpy(x))
    ref_loss = torch.nn.BCEWithLogitsLoss()(ref_out, torch.from_numpy(y))
    ref_loss.backward()
    np.testing.assert_allclose(loss.item(), ref_loss.item(), atol=1e-5, rtol=1e-4)
    np.testing.assert_allclose(
        model.linear.weight.grad, ref.weight.grad.numpy(), atol=1e-5, rtol=1e-4
    )
    np.testing.assert_allclose(model.linear.bias.grad, ref.bias.grad.numpy(), atol=1e-5, rtol=1e-4)
    probs = torch.sigmoid(ref_out).detach().numpy().ravel()
    np.testing.assert_allclose(model.predict_proba(x), probs, atol=1e-6)
    np.testing.assert_array_equal(model.predict(x), (probs > 0.5).astype(int))


def test_notes_example_2():
    # notes 003: a = (0.01, 0.02, 0.03), b = 0.05, x = (1, 2, 3) -> p = 0.5474, class 1
    model = LogisticRegression(3)
    model.linear.weight.numpy()[...] = [[0.01, 0.02, 0.03]]
    model.linear.bias.numpy()[...] = [0.05]
    np.testing.assert_allclose(model.predict_proba([[1.0, 2.0, 3.0]]), [0.5474], atol=5e-5)
    assert model.predict([[1.0, 2.0, 3.0]]).tolist() == [1]


def test_wrong_input_shape_is_named():
    with pytest.raises(ValueError, match=r"LogisticRegression\(in_features=4\).*\(2, 3\)"):
        LogisticRegression(4)(gradlab.randn(2, 3))


def _breast_cancer(seed):
    data = load_breast_cancer()
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=0.25, seed=seed, stratify=True
    )
    scaler = transforms.Standardize().fit(X_train)
    return scaler(X_train), scaler(X_test), y_train, y_test


def _train(X, y, epochs, seed=0):
    """Full-batch Adam on mean BCE + scikit-learn's default L2 (C = 1): the penalty
    ||w||² / (2C) on the summed loss is weight_decay 1 / (C·N) on the mean, bias exempt."""
    gradlab.manual_seed(seed)
    model = LogisticRegression(X.shape[1])
    optimizer = optim.Adam(
        [{"params": [model.linear.weight], "weight_decay": 1.0 / len(X)},
         {"params": [model.linear.bias]}],
        lr=0.05,
    )  # fmt: skip
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = Trainer(model, nn.BCEWithLogitsLoss(), optimizer, scheduler=schedule)
    history = trainer.fit(X, y, epochs=epochs, batch_size=len(X), verbose=0)
    return model, history


def test_short_training_lowers_the_loss():
    X, _, y, _ = _breast_cancer(0)
    _, history = _train(X, y, epochs=20)
    assert history["loss"][-1] < 0.5 * history["loss"][0]


@pytest.mark.parametrize("seed", [0, 1])
def test_breast_cancer_accuracy_within_one_point_of_scikit_learn(seed):
    sklearn_linear = pytest.importorskip("sklearn.linear_model")
    X_train, X_test, y_train, y_test = _breast_cancer(seed)
    reference = sklearn_linear.LogisticRegression().fit(X_train, y_train).score(X_test, y_test)
    model, _ = _train(X_train, y_train, epochs=500, seed=seed)
    accuracy = metrics.accuracy(y_test, model.predict(X_test))
    assert abs(accuracy - reference) <= 0.01, (accuracy, reference)
    assert accuracy >= 0.95
