"""l1_penalty / l2_penalty (the notes' example 5, gradients, finite differences) and MaxNorm."""

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import gradcheck
from gradlab.nn.regularizers import MaxNorm, l1_penalty, l2_penalty


def test_notes_example_5():
    w = gradlab.tensor([0.5, -0.3], requires_grad=True)
    l1, l2 = l1_penalty([w], 0.1), l2_penalty([w], 0.1)
    assert abs(l1.item() - 0.08) < 1e-7 and abs(0.4 + l1.item() - 0.48) < 1e-7
    assert abs(l2.item() - 0.034) < 1e-7 and abs(0.4 + l2.item() - 0.434) < 1e-7


def test_penalty_gradients():
    w = gradlab.tensor([[0.5, -0.3], [2.0, -1.0]], requires_grad=True)
    b = gradlab.tensor([0.25], requires_grad=True)
    (l1_penalty([w, b], 0.1) + l2_penalty([w, b], 0.2)).backward()
    np.testing.assert_allclose(w.grad, 0.1 * np.sign(w.numpy()) + 0.4 * w.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.grad, [0.1 + 0.4 * 0.25], rtol=1e-6)


def test_penalties_gradcheck():
    rng = np.random.default_rng(0)
    a = gradlab.tensor(
        rng.uniform(0.2, 1, (2, 3)) * rng.choice([-1, 1], (2, 3)), requires_grad=True
    )
    b = gradlab.tensor(rng.uniform(0.2, 1, 3), requires_grad=True)
    assert gradcheck(lambda x, y: l1_penalty([x, y], 0.3), (a, b))
    assert gradcheck(lambda x, y: l2_penalty((x, y), 0.3), (a, b))


def test_penalty_accepts_tensor_and_module():
    lin = nn.Linear(3, 2)
    expected = sum(float((p.numpy() ** 2).sum()) for p in lin.parameters()) * 0.5
    np.testing.assert_allclose(l2_penalty(lin, 0.5).item(), expected, rtol=1e-6)
    np.testing.assert_allclose(
        l1_penalty(lin.weight, 1.0).item(), np.abs(lin.weight.numpy()).sum(), rtol=1e-6
    )
    with pytest.raises(TypeError, match="l1_penalty: element 1 is a float, expected a Tensor"):
        l1_penalty([lin.weight, 0.5], 0.1)
    with pytest.raises(ValueError, match="lam must be >= 0, got -1"):
        l2_penalty(lin, -1)


def test_max_norm_rows_of_linear_weight():
    lin = nn.Linear(2, 3)
    lin.weight.numpy()[...] = [[3.0, 4.0], [0.3, 0.4], [0.0, -6.0]]  # row norms 5, 0.5, 6
    lin.bias.numpy()[...] = [10.0, 10.0, 10.0]
    MaxNorm(2.0)(lin)
    np.testing.assert_allclose(lin.weight.numpy(), [[1.2, 1.6], [0.3, 0.4], [0.0, -2.0]], rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(lin.weight.numpy(), axis=1), [2, 0.5, 2], rtol=1e-6)
    np.testing.assert_array_equal(lin.bias.numpy(), [10, 10, 10])  # biases are not constrained


def test_max_norm_dim_1_and_matches_torch_renorm():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(1).normal(0, 2, (4, 5, 3)).astype(np.float32)
    for dim in (0, 1, -1):
        t = gradlab.tensor(w.copy(), requires_grad=True)
        MaxNorm(1.5, dim=dim).apply_to([t])
        expected = torch.renorm(torch.tensor(w), 2, dim, 1.5).numpy()
        np.testing.assert_allclose(t.numpy(), expected, rtol=1e-5, atol=1e-6)
        assert t.grad_fn is None and t.grad is None  # in place, no graph


def test_max_norm_in_place_keeps_identity_and_errors():
    p = nn.Parameter(gradlab.tensor([[3.0, 4.0]]))
    data = p.numpy()
    MaxNorm(1.0)([p])
    assert p.numpy() is data
    np.testing.assert_allclose(data, [[0.6, 0.8]], rtol=1e-6)
    with pytest.raises(ValueError, match="max_value must be positive, got 0"):
        MaxNorm(0)
    with pytest.raises(IndexError, match=r"dim 2 is out of range for a weight of shape \(1, 2\)"):
        MaxNorm(1.0, dim=2)([p])
    assert repr(MaxNorm(3, dim=1)) == "MaxNorm(max_value=3.0, dim=1)"
