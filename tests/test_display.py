"""Jupyter's display protocol: every ``_repr_*_`` of gradlab's objects returns valid SVG,
HTML or PNG holding the expected numbers, and gradlab never imports IPython to do it."""

import importlib
import io
import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.explain import EXAMPLE_8, backprop_trace, graph, schedule_curves, schedule_plot
from gradlab.optim import lr_scheduler as sched
from gradlab.train import History

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def parse_html(text: str) -> ET.Element:
    """The fragment as XML (gradlab's HTML is well-formed: every tag closed, text escaped)."""
    assert isinstance(text, str) and text
    return ET.fromstring(f"<root>{text}</root>")


def cells(root: ET.Element) -> list[list[str]]:
    """Every table row's cell texts, header rows included."""
    return [["".join(c.itertext()) for c in row] for row in root.iter("tr")]


def png_shape(data: bytes) -> tuple:
    """The decoded image's shape (height, width, channels)."""
    image = pytest.importorskip("matplotlib.image")
    assert data[:8] == PNG_SIGNATURE
    return image.imread(io.BytesIO(data), format="png").shape


def _xyz():
    x, y, z = (gradlab.tensor(v, requires_grad=True) for v in (7.0, 13.0, 19.0))
    f = x * y + z
    view = graph(f, names={"x": x, "y": y, "z": z})
    f.backward()
    return view


# ---------------------------------------------------------------- graph views
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
def test_graph_view_renders_inline_as_svg():
    view = _xyz()
    svg = view._repr_svg_()
    root = ET.fromstring(svg.encode())  # the DOCTYPE is not resolved
    assert root.tag.endswith("svg")
    text = " ".join(root.itertext())
    for expected in ("x", "value 7", "grad 13", "value 110", "grad 7", "Mul", "Add"):
        assert expected in text
    assert view._repr_html_() is None  # the SVG shows, not the text fallback


def test_graph_view_falls_back_to_text_without_graphviz(monkeypatch):
    module = importlib.import_module("gradlab.explain.dot")
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    view = _xyz()
    assert view._repr_svg_() is None
    root = parse_html(view._repr_html_())
    note = "".join(root.find(".//em").itertext())
    assert "Graphviz's dot was not found" in note and "apt-get install graphviz" in note
    assert "".join(root.find(".//pre").itertext()) == view.to_text()
    assert "grad 13" in view.to_text()


def test_graph_view_text_repr_for_ipython():
    view = _xyz()
    printed = []

    class Printer:
        def text(self, value):
            printed.append(value)

    view._repr_pretty_(Printer(), False)
    assert printed == [view.to_text()]
    assert repr(view) == "GraphView(output=Add, 5 nodes)"


# ---------------------------------------------------------------- backprop trace
def test_backprop_trace_shows_its_three_tables_as_html():
    trace = backprop_trace(EXAMPLE_8, keep_graph=True)
    root = parse_html(trace._repr_html_())
    tables = root.findall(".//table")
    assert [t.find("caption").text.split(" (")[0].split(",")[0] for t in tables] == [
        "Net input and output", "Error at each node", "Weight and bias updates: one SGD step"
    ]  # fmt: skip
    forward, errors, updates = (cells(t) for t in tables)
    assert forward[0] == ["unit j", "net input I_j", "output O_j", "I_j = Σ O_i·w_ij + θ_j"]
    out = {row[0]: row for row in forward[1:]}
    assert out["4"][1:3] == ["-0.7", "0.3318"] and out["6"][1:3] == ["-0.1045", "0.4739"]
    err = {row[0]: row for row in errors[1:]}
    assert err["6"][1] == "0.131169" and err["5"][1] == "-0.006542"
    assert err["6"][2] == "(0.4739)(1 - 0.4739)(1 - 0.4739)"
    new = {row[0]: row for row in updates[1:]}
    assert new["w46"][3] == "-0.260829" and new["θ6"][3] == "0.218052"
    assert len(updates) == 1 + 11  # the header and the notes' 11 weights and biases


# ---------------------------------------------------------------- History
def _history(epochs: int) -> History:
    history = History()
    for epoch in range(epochs):
        logs = {"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.01 * epoch,
                "val_loss": 1.2 / (epoch + 1), "lr": 0.01}  # fmt: skip
        history.append(epoch, logs)
    return history


def test_history_shows_as_a_plot_and_a_table():
    pytest.importorskip("matplotlib")
    history = _history(2)
    height, width, _ = png_shape(history._repr_png_())
    assert width > 2 * height  # three panels side by side: loss, accuracy, lr
    root = parse_html(history._repr_html_())
    img = root.find(".//img")
    assert img.get("src").startswith("data:image/png;base64,")
    rows = cells(root.find(".//table"))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "lr"]
    assert rows[1:] == [["1", "1", "0.5", "1.2", "0.01"], ["2", "0.5", "0.51", "0.6", "0.01"]]


def test_long_history_table_shows_its_first_and_last_epochs():
    pytest.importorskip("matplotlib")
    rows = cells(parse_html(_history(30)._repr_html_()).find(".//table"))
    epochs = [row[0] for row in rows[1:]]
    assert epochs == ["1", "2", "3", "4", "5", "6", "…", "25", "26", "27", "28", "29", "30"]


def test_empty_history_has_no_plot():
    assert History()._repr_png_() is None
    assert "no epoch logged" in History()._repr_html_()


# ---------------------------------------------------------------- modules and summaries
def _notes_mlp():
    return nn.Sequential(nn.Linear(100, 64), nn.ReLU(), nn.Linear(64, 10))


def test_module_shows_as_a_keras_style_table():
    root = parse_html(_notes_mlp()._repr_html_())
    assert root.find(".//caption").text == 'Model: "Sequential"'
    rows = cells(root)
    assert rows[0] == ["Layer (type)", "Settings", "Param #"]
    assert rows[1] == ["0 (Linear)", "in_features=100, out_features=64, bias=True", "6,464"]
    assert rows[2] == ["1 (ReLU)", "", "0"]
    assert rows[3][0] == "2 (Linear)" and rows[3][2] == "650"
    assert rows[4] == ["Total params: 7,114 (27.79 KB)"]
    assert rows[6] == ["Non-trainable params: 0 (0.00 B)"]
    single = cells(parse_html(nn.Linear(3, 2)._repr_html_()))
    assert single[1] == ["Linear (Linear)", "in_features=3, out_features=2, bias=True", "8"]


def test_summary_is_its_text_and_an_html_table():
    model = _notes_mlp()
    printed = []
    summary = model.summary((100,), print_fn=printed.append)
    assert isinstance(summary, str) and printed == [summary]
    assert "Total params: 7,114 (27.79 KB)" in summary
    rows = cells(parse_html(summary._repr_html_()))
    assert rows[0] == ["Layer (type)", "Output Shape", "Param #"]
    assert rows[1] == ["0 (Linear)", "(None, 64)", "6,464"]
    assert rows[3] == ["2 (Linear)", "(None, 10)", "650"]
    assert rows[4] == ["Total params: 7,114 (27.79 KB)"]


# ---------------------------------------------------------------- schedules, lr finder
def test_schedule_curves_show_as_a_plot_and_a_table():
    pytest.importorskip("matplotlib")
    curves = schedule_curves(60)
    assert isinstance(curves, dict) and len(curves) == 8
    height, width, _ = png_shape(curves._repr_png_())
    assert width > 2.5 * height  # the three panels
    rows = cells(parse_html(curves._repr_html_()).find(".//table"))
    assert rows[0][:3] == ["step", "0", "6"]
    step = next(r for r in rows if r[0] == "step decay (x0.5 every 10)")
    assert step[1] == "0.01" and step[3] == "0.005"  # epoch 12: one drop


def test_schedule_plot_takes_schedulers_functions_and_sequences():
    pytest.importorskip("matplotlib")
    curves = schedule_plot({
        "StepLR": sched.plot_ready(sched.StepLR, lr=0.1, step_size=2, gamma=0.5),
        "exponential": lambda t: 0.1 * math.exp(-0.5 * t),
        "constant": [0.05] * 5,
    }, steps=5)  # fmt: skip
    np.testing.assert_allclose(curves["StepLR"], [0.1, 0.1, 0.05, 0.05, 0.025])
    np.testing.assert_allclose(curves["exponential"][1], 0.1 * math.exp(-0.5))
    assert png_shape(curves._repr_png_())[0] > 0
    with pytest.raises(ValueError, match="'bad': expected a scheduler"):
        schedule_plot({"bad": np.zeros((2, 2))})


def test_lr_range_test_result_shows_as_a_plot():
    pytest.importorskip("matplotlib")
    from gradlab import optim
    from gradlab.explain import lr_range_test

    gradlab.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x.sum(axis=1) > 0).astype(np.int64)
    model = nn.Linear(4, 2)
    result = lr_range_test(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                           x, y, steps=20, batch_size=16, progress=False)  # fmt: skip
    assert png_shape(result._repr_png_())[0] > 0


# ---------------------------------------------------------------- no IPython
def test_display_needs_no_ipython():
    code = (
        "import sys, gradlab\n"
        "from gradlab import nn\n"
        "from gradlab.explain import EXAMPLE_8, backprop_trace, graph, schedule_curves\n"
        "from gradlab.train import History\n"
        "x = gradlab.tensor(2.0, requires_grad=True)\n"
        "v = graph(x * x)\n"
        "v._repr_html_(); v._repr_svg_()\n"
        "backprop_trace(EXAMPLE_8)._repr_html_()\n"
        "nn.Linear(2, 3)._repr_html_()\n"
        "h = History(); h.append(0, {'loss': 1.0}); h._repr_html_()\n"
        "schedule_curves(12)._repr_html_()\n"
        "assert 'IPython' not in sys.modules, 'IPython was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
