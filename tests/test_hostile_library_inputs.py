"""Library API against hostile values (issue 15), each checked against PyTorch where PyTorch
has the behaviour: binary_cross_entropy's target range, LayerNorm of a constant row, a
parameter given twice to an optimizer, load_state_dict of complex/object/bfloat16 values,
optimizer state of the wrong shape, and a broken optional dependency."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import gradlab
import gradlab.nn.functional as F

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("target", [[1.5, 0.0], [-0.5, 1.0], [float("nan"), 1.0]])
def test_bce_target_outside_0_1_raises_as_torch(target):
    x = [0.3, 0.6]
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(target))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(gradlab.tensor(x), gradlab.tensor(target))
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        gradlab.nn.BCELoss()(gradlab.tensor(x), gradlab.tensor(target))


def test_bce_targets_on_the_edges_match_torch():
    x, t = [0.3, 0.6, 0.9], [0.0, 1.0, 0.25]
    want = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(t))
    got = F.binary_cross_entropy(gradlab.tensor(x), gradlab.tensor(t))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


@pytest.mark.parametrize("n", [3, 1000, 4096])
def test_layer_norm_of_a_constant_float32_row_is_zero_as_torch(n):
    rng = np.random.default_rng(n)
    values = np.concatenate([rng.uniform(-1e5, 1e5, 40), [0.1, 3.7, 123.456, 1e-3]])
    rows = np.repeat(values.astype(np.float32)[:, None], n, axis=1)
    want = torch.nn.functional.layer_norm(torch.from_numpy(rows), (n,)).numpy()
    assert not want.any()
    got = F.layer_norm(gradlab.tensor(rows), (n,)).numpy()
    np.testing.assert_array_equal(got, want)


def test_layer_norm_still_matches_torch_on_random_rows():
    x = np.random.default_rng(0).normal(3, 2, size=(5, 7, 33)).astype(np.float32)
    want = torch.nn.functional.layer_norm(torch.from_numpy(x), (7, 33)).numpy()
    got = F.layer_norm(gradlab.tensor(x), (7, 33)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _duplicate_step(module, cls):
    p = module.nn.Parameter(module.ones(2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizer = cls([p, p], lr=0.1)
    grad = np.ones(2, dtype=np.float32)
    p.grad = torch.from_numpy(grad) if module is torch else grad
    optimizer.step()
    return p.detach().numpy().copy(), [str(w.message) for w in caught]


def test_a_parameter_twice_in_a_group_warns_and_steps_as_torch():
    want, torch_warnings = _duplicate_step(torch, torch.optim.SGD)
    got, our_warnings = _duplicate_step(gradlab, gradlab.optim.SGD)
    assert our_warnings == torch_warnings and "duplicate parameters" in our_warnings[0]
    np.testing.assert_allclose(got, want)  # torch steps it twice too


def test_a_parameter_in_two_groups_raises_as_torch():
    for module in (torch, gradlab):
        p = module.nn.Parameter(module.ones(2))
        with pytest.raises(ValueError, match="some parameters appear in more than one"):
            module.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_load_state_dict_names_bad_dtypes():
    model = gradlab.nn.Linear(2, 1)
    bias = np.zeros(1, dtype=np.float32)
    with pytest.raises(
        RuntimeError, match="weight: expected numbers, got an array of dtype object"
    ):
        model.load_state_dict({"weight": np.array([[1, "x"]], dtype=object), "bias": bias})
    with pytest.raises(RuntimeError, match="dtype <U1"):
        model.load_state_dict({"weight": np.array([["a", "b"]]), "bias": bias})


def test_load_state_dict_of_complex_and_bfloat16_as_torch():
    reference = torch.nn.Linear(2, 1)
    model = gradlab.nn.Linear(2, 1)
    complex_weight = torch.tensor([[1.5 + 2j, -0.5 - 1j]], dtype=torch.complex64)
    state = {"weight": complex_weight, "bias": torch.zeros(1)}
    with pytest.warns(UserWarning, match="imaginary part"):
        reference.load_state_dict(state)
    with pytest.warns(UserWarning, match=r"weight: casting complex64 values to real discards"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.weight.numpy(), reference.weight.detach().numpy())
    state = {"weight": torch.tensor([[1.5, -0.25]], dtype=torch.bfloat16), "bias": torch.ones(1)}
    reference.load_state_dict(state)
    model.load_state_dict(state)
    assert model.weight.numpy().dtype == np.float32
    np.testing.assert_array_equal(model.weight.numpy(), reference.weight.detach().numpy())


def test_optimizer_state_of_the_wrong_shape_is_refused_at_load():
    model = gradlab.nn.Linear(3, 2)
    optimizer = gradlab.optim.Adam(model.parameters(), lr=0.1)
    state = optimizer.state_dict()
    state["state"] = {
        0: {"step": 1.0, "exp_avg": np.zeros((3, 2)), "exp_avg_sq": np.zeros((2, 3))},
    }
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(3, 2\), "
                       r"the parameter has shape \(2, 3\)"):  # fmt: skip
        optimizer.load_state_dict(state)
    assert not optimizer.state  # nothing was loaded


def test_a_broken_optional_dependency_is_reported_as_broken(tmp_path, monkeypatch):
    from gradlab.optional import BrokenDependencyError, MissingDependencyError, require

    package = tmp_path / "brokenpkg_x"
    package.mkdir()
    (package / "__init__.py").write_text("import no_such_dependency_of_brokenpkg\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(BrokenDependencyError) as caught:
        require("brokenpkg_x", "plots")
    message = str(caught.value)
    assert "brokenpkg_x is installed but importing brokenpkg_x fails" in message
    assert "No module named 'no_such_dependency_of_brokenpkg'" in message
    assert isinstance(caught.value, MissingDependencyError)  # callers catch it as before
    sys.modules.pop("brokenpkg_x", None)
    with pytest.raises(MissingDependencyError, match="not_installed_pkg_y is not installed"):
        require("not_installed_pkg_y", "plots")
    (tmp_path / "crashing_pkg_w.py").write_text("raise RuntimeError('bad build')\n")
    with pytest.raises(BrokenDependencyError, match=r"RuntimeError: bad build"):
        require("crashing_pkg_w", "plots")
