"""Saved arrays are released by backward: a kept loss holds its graph's structure only."""

import gc
import tracemalloc
import types

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.autograd import Function


def _mlp():
    gradlab.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.Tanh(),
                         nn.Linear(128, 10))  # fmt: skip


def _batch(n=64):
    rng = np.random.default_rng(0)
    x = gradlab.tensor(rng.standard_normal((n, 64)).astype(np.float32))
    y = gradlab.tensor(rng.integers(0, 10, n))
    return x, y


_SKIP = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _reachable_array_bytes(root, exclude_ids) -> int:
    """Bytes of every NumPy array reachable from ``root`` through object references, not
    counting the arrays in ``exclude_ids`` (the model's parameters and their gradients, the
    input batch) or code and modules."""
    seen, stack, total = set(), [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _SKIP):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            if id(obj) not in exclude_ids and obj.base is None:
                total += obj.nbytes
            if obj.base is not None:
                stack.append(obj.base)
            continue
        stack.extend(gc.get_referents(obj))
    return total


def test_kept_loss_reaches_no_activation_arrays_after_backward():
    model, (x, y) = _mlp(), _batch()
    params = {id(p.numpy()) for p in model.parameters()}
    params |= {id(p.numpy().base) for p in model.parameters() if p.numpy().base is not None}
    loss = nn.CrossEntropyLoss()(model(x), y)
    before = _reachable_array_bytes(loss, params | {id(x.numpy())})
    assert before > 100_000  # activations of a 64-row batch: tens of KB each
    loss.backward()
    params |= {id(p.grad.numpy()) for p in model.parameters()}  # the parameters' own
    after = _reachable_array_bytes(loss, params | {id(x.numpy())})
    assert after < 1_000, f"a kept loss still reaches {after} bytes of arrays"


def test_kept_loss_holds_graph_structure_and_second_backward_raises():
    model, (x, y) = _mlp(), _batch()
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    fn = loss.grad_fn
    assert fn is not None and any(isinstance(t, Function) for t in fn.inputs)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_retain_graph_keeps_saved_arrays():
    model, (x, y) = _mlp(), _batch()
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward(retain_graph=True)
    first = [p.grad.numpy().copy() for p in model.parameters()]
    loss.backward()
    for p, g in zip(model.parameters(), first):
        np.testing.assert_allclose(p.grad.numpy(), 2 * g, rtol=1e-6)


def test_memory_held_per_stored_loss_is_a_few_kilobytes():
    """The common ``losses.append(loss)`` loop: PyTorch keeps a few KB per stored loss."""
    model, (x, y) = _mlp(), _batch()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
        return loss

    tracemalloc.start()  # before the warm-up: the arrays it leaves are traced when freed
    try:
        for _ in range(3):  # optimizer state and scratch buffers exist from here on
            step()
        gc.collect()
        start = tracemalloc.get_traced_memory()[0]
        losses = [step() for _ in range(20)]
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert len(losses) == 20
    per_loss = held / 20
    assert per_loss < 4_000, f"{per_loss:.0f} bytes held per stored loss"
