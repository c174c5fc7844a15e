"""Run a computation on the fast paths and on the readable references (gradlab.nn.reference)
and compare: every output, and the gradient of every input and parameter, in float64."""

import numpy as np

import gradlab
from gradlab import Tensor


def _flat(value):
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flat(v)]
    return [value]


def run(fn, arrays, reference, module=None, seed=0):
    """``fn(*leaves)`` under ``reference_kernels(reference)``, then backward of a weighted sum
    of its outputs. Returns (outputs, input grads, parameter grads, graph op names)."""
    gradlab.manual_seed(seed)
    if module is not None:
        module.zero_grad()
    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    with gradlab.reference_kernels(reference):
        outs = [o for o in _flat(fn(*leaves)) if o is not None]
    ops = {node.op for node in gradlab.explain.graph(outs[0]).ops}
    total = None
    for k, o in enumerate(outs):  # every output element weighs differently
        weights = np.linspace(0.5, 1.5, o.numel()).reshape(o.shape) * (k + 1)
        term = (o * Tensor(weights)).sum()
        total = term if total is None else total + term
    total.backward()
    params = [] if module is None else [p.grad.numpy().copy() for p in module.parameters()]
    return [o.numpy().copy() for o in outs], [t.grad.numpy().copy() for t in leaves], params, ops


def compare(fn, arrays, module=None, rtol=1e-10, atol=1e-12):
    """Fast path and reference agree on values and every gradient; returns the op names of
    (fast graph, reference graph)."""
    fast = run(fn, arrays, False, module)
    ref = run(fn, arrays, True, module)
    for what, got, want in zip(("output", "input grad", "parameter grad"), ref[:3], fast[:3]):
        assert len(got) == len(want), what
        for k, (g, w) in enumerate(zip(got, want)):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"{what} {k}")
    return fast[3], ref[3]
