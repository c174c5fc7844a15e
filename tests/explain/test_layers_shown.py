"""No view of gradlab.explain loses a layer to an optimization: graph, backprop and gradflow on
Sequential(Linear, ReLU, Linear) and on a Conv2d -> ReLU -> MaxPool2d model, patterns that
Sequential runs as one fused op where no graph is recorded."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.explain import graph
from gradlab.explain.gradflow import gradient_flow
from gradlab.explain.trace import BackpropSpec, backprop_trace

rng = np.random.default_rng(0)


def _dense():
    gradlab.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))


def _conv():
    gradlab.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(2, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 3 * 3, 3)
    )


MODELS = {
    "dense": (_dense, (6, 4), ["LinearOp", "Relu", "LinearOp"]),
    "conv": (_conv, (6, 2, 8, 8), ["Conv2dOp", "Relu", "MaxPool2dOp", "Reshape", "LinearOp"]),
}


def _chain(view):
    """The op nodes from the input side to the output, following each op's first op input."""
    ops = [node.op for node in view.ops]
    return list(reversed(ops))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_graph_shows_every_layer(name, x_requires_grad):
    make, shape, layers = MODELS[name]
    x = gradlab.Tensor(rng.standard_normal(shape).astype(np.float32),
                       requires_grad=x_requires_grad)  # fmt: skip
    view = graph(make()(x))
    assert _chain(view) == layers
    text = view.to_text()
    for op in set(layers):
        assert op in text and op in view.to_dot()


@pytest.mark.parametrize("name", MODELS)
def test_graph_shows_every_layer_under_the_reference_switch(name):
    make, shape, layers = MODELS[name]
    with gradlab.reference_kernels():
        ops = {n.op for n in graph(make()(gradlab.Tensor(rng.standard_normal(shape)))).ops}
    assert "Relu" in ops and "Conv2dOp" not in ops and "MaxPool2dOp" not in ops


def test_backprop_trace_graph_shows_the_relu_between_the_linears():
    spec = BackpropSpec(
        sizes=(3, 2, 1),
        weights=(np.array([[0.2, 0.4, -0.5], [-0.3, 0.1, 0.2]]), np.array([[-0.3, -0.2]])),
        biases=(np.array([-0.4, 0.2]), np.array([0.1])),
        input=np.array([1.0, 0.0, 1.0]),
        target=np.array([1.0]),
        activations=("relu", "identity"),
    )
    trace = backprop_trace(spec, keep_graph=True)
    text = trace.graph.to_text()
    # identity output: I2 and O2 are one tensor
    assert "I1 = LinearOp" in text and "O1 = Relu" in text and "O2 = LinearOp" in text


@pytest.mark.parametrize("name", MODELS)
def test_gradflow_lists_every_layer_with_parameters(name):
    make, shape, _ = MODELS[name]
    model = make()
    x = rng.standard_normal((64, *shape[1:])).astype(np.float32)
    y = rng.integers(0, 3, 64)
    result = gradient_flow(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01),
                           x, y, batch_size=16, generator=np.random.default_rng(0))  # fmt: skip
    first = "0 (Linear)" if name == "dense" else "0 (Conv2d)"
    last = "2 (Linear)" if name == "dense" else "4 (Linear)"
    assert result.layers == [first, last]
    assert result.norms.shape == (4, 2) and (result.norms > 0).all()


def test_explain_gradflow_command_on_a_cnn_lists_every_layer(capsys, tmp_path):
    """``gradlab explain gradflow`` on LeNet (Conv2d -> ReLU -> MaxPool2d twice, then
    Linear -> ReLU): a norm for each of its five layers with parameters."""
    from gradlab.cli import main

    config = tmp_path / "cnn.toml"
    config.write_text(
        '[data]\nname = "digits"\nview = "image"\n[model]\nname = "cnn"\n'
        '[optimizer]\nname = "sgd"\nlr = 0.01\n[training]\nepochs = 1\nbatch_size = 256\n'
    )
    status = main(["explain", "gradflow", str(config)])
    out = capsys.readouterr().out
    assert status == 0, out
    for layer in ("features.0 (Conv2d)", "features.3 (Conv2d)", "classifier.0 (Linear)",
                  "classifier.3 (Linear)", "classifier.5 (Linear)"):  # fmt: skip
        assert layer in out, out
