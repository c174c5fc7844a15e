"""A gradlab.keras model is a gradlab Module: gradlab's explain, Trainer, optimizers and
state_dict work on it; the Keras API's own checks (errors, save/load, summary, layouts)."""

import numpy as np
import pytest

import gradlab
from gradlab import explain, nn, optim
from gradlab import keras as gk
from gradlab.nn.module import Module
from gradlab.train import Trainer

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 6)).astype(np.float32)
Y = (X[:, :1] > 0).astype(np.float32)


def _model():
    return gk.Sequential(
        [
            gk.Input((6,)),
            gk.layers.Dense(5, activation="relu"),
            gk.layers.Dense(1, activation="sigmoid"),
        ]
    )


def test_model_is_a_module_with_keras_named_parameters():
    model = _model()
    assert isinstance(model, Module)
    names = [n for n, _ in model.named_parameters()]
    layers = [layer.name for layer in model.layers]
    assert names == [f"{layer}.{w}" for layer in layers for w in ("kernel", "bias")]
    assert [tuple(p.shape) for p in model.parameters()] == [(6, 5), (5,), (5, 1), (1,)]


def test_explain_graph_and_gradient_flow_on_a_keras_model():
    model = _model()
    out = model(X[:4])
    loss = nn.BCELoss()(out, gradlab.tensor(Y[:4]))
    text = explain.graph(loss).to_text()
    assert "MatMul" in text and "Sigmoid" in text
    result = explain.gradient_flow(model, nn.BCELoss(), optim.Adam(model.parameters()), X, Y,
                                   batch_size=8, shuffle=False)  # fmt: skip
    assert result.norms.shape == (5, 2)


def test_gradlab_trainer_and_keras_optimizer_train_a_keras_model():
    model = _model()
    opt = gk.optimizers.Adam(learning_rate=0.05)
    opt.build(model.trainable_weights)
    history = Trainer(model, nn.BCELoss(), opt).fit(X, Y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_save_and_load_weights(tmp_path):
    model = _model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    other = _model()  # other automatic layer names, same structure
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))
    wrong = gk.Sequential([gk.Input((6,)), gk.layers.Dense(4)])
    with pytest.raises(ValueError, match="load_weights"):
        wrong.load_weights(path)


def test_summary_lists_layers_shapes_and_params(capsys):
    _model().summary()
    out = capsys.readouterr().out
    assert "(None, 5)" in out and "Total params: 41" in out and "Dense" in out


def test_weights_layouts():
    conv = gk.layers.Conv2D(4, (3, 2))
    conv(np.zeros((1, 6, 6, 3), np.float32))
    assert [w.shape for w in conv.get_weights()] == [(3, 2, 3, 4), (4,)]
    with pytest.raises(ValueError, match="shape"):
        conv.set_weights([np.zeros((4, 3, 3, 2)), np.zeros(4)])
    with pytest.raises(ValueError, match="got 1 arrays"):
        conv.set_weights([np.zeros((3, 2, 3, 4))])


def test_clear_errors():
    model = _model()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(X, Y)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(X, Y[:10], verbose=0)
    with pytest.raises(ValueError, match="expected last dimension 6"):
        model.predict(np.zeros((2, 7), np.float32), verbose=0)
    with pytest.raises(ValueError, match="Unknown optimizer"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="Unknown loss"):
        model.compile(optimizer="adam", loss="binary_cross_entropy")
        model.fit(X, Y, verbose=0)
    with pytest.raises(ValueError, match="Unknown activation"):
        gk.layers.Dense(3, activation="relux")
    with pytest.raises(TypeError, match="unexpected keyword"):
        gk.layers.Dense(3, units2=4)


def test_progress_output(capsys):
    model = _model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, epochs=2, batch_size=16, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    assert lines[1].startswith("3/3 - ") and " - accuracy: " in lines[1] and " - loss: " in lines[1]
    model.fit(X, Y, epochs=1, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    assert "3/3 ━━━━━━━━━━━━━━━━━━━━" in out and "step - accuracy:" in out


def test_evaluate_returns_scalar_without_metrics():
    model = _model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert isinstance(model.evaluate(X, Y, verbose=0), float)


def test_utils_to_categorical():
    out = gk.utils.to_categorical(np.array([[0], [2], [1]]), 3)
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[[0, 2, 1]])
    assert out.dtype == np.float32


def test_fit_draws_a_live_bar_in_a_notebook(monkeypatch, capsys):
    """In a Jupyter kernel the epoch's bar is redrawn in place after every step (carriage
    returns, which notebook output cells honour), as Keras draws it there."""
    from gradlab.keras.models import progbar

    monkeypatch.setattr(progbar, "in_notebook", lambda: True)
    monkeypatch.setattr(progbar.time, "time", iter(range(0, 10_000, 1)).__next__)
    model = gk.Sequential([gk.Input((3,)), gk.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((40, 3), np.float32)
    model.fit(x, np.ones((40, 1), np.float32), batch_size=8, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert out.count("\r") >= 5  # one redraw per step, the last one final
    assert "5/5" in out and "loss" in out
