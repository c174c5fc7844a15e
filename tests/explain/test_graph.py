"""gradlab.explain.graph: structure, values, gradients, text, DOT and rendering."""

import re
import shutil
import sys

import numpy as np
import pytest

import gradlab
from gradlab.explain import GraphvizNotFoundError, graph


def _xyz():
    x = gradlab.tensor(7.0, requires_grad=True)
    y = gradlab.tensor(13.0, requires_grad=True)
    z = gradlab.tensor(19.0, requires_grad=True)
    return x, y, z


def _f_view():
    x, y, z = _xyz()
    a = x * y
    f = a + z
    return graph(f, names={"x": x, "y": y, "z": z, "a": a}), f


def test_nodes_values_and_gradients_of_f_equals_xy_plus_z():
    view, f = _f_view()
    assert len(view.nodes) == 5 and len(view.edges) == 4
    out = view.output
    assert out is view.nodes[0] and out.kind == "op" and out.op == "Add"
    a = view.node("a")
    assert a.kind == "op" and a.op == "Mul"
    assert [n.name for n in a.inputs] == ["x", "y"]
    assert out.inputs == [a, view.node("z")]
    assert {n.name for n in view.leaves} == {"x", "y", "z"}
    assert (out.value, a.value) == (110, 91)
    assert all(n.grad is None for n in view.nodes)  # nothing before backward
    f.backward()
    # read at render time: the view built before backward sees every gradient
    expected = {"x": 13, "y": 7, "z": 1, "a": 1}
    for name, grad in expected.items():
        assert view.node(name).grad == grad
    assert out.grad == 1
    assert all(n.shape == () for n in view.nodes)


def test_edges_follow_data_flow():
    view, _ = _f_view()
    pairs = {(s.title, t.title) for s, t in view.edges}
    assert pairs == {("x", "a = Mul"), ("y", "a = Mul"), ("a = Mul", "Add"), ("z", "Add")}


def test_view_built_after_backward_shows_leaf_gradients_only():
    x, y, z = _xyz()
    f = x * y + z
    f.backward()
    view = graph(f, names={"x": x, "y": y, "z": z})
    assert view.node("x").grad == 13 and view.node("y").grad == 7
    assert view.output.grad is None and view.ops[1].grad is None


def test_constants_shared_tensors_and_names_of_unnamed_nodes():
    x = gradlab.tensor([1.0, 2.0], requires_grad=True)
    w = gradlab.tensor([3.0, 4.0])  # a leaf that does not require grad
    out = (x * 2 + x * w).sum()
    view = graph(out)
    leaf = [n for n in view.leaves if n.requires_grad]
    assert len(leaf) == 1  # x used twice is one node with two edges
    assert sum(1 for s, _ in view.edges if s is leaf[0]) == 2
    constants = [n for n in view.nodes if n.kind == "constant"]
    assert len(constants) == 1 and constants[0].value == 2 and constants[0].title == "const"
    assert {n.title for n in view.leaves} == {"leaf", "tensor"}
    out.backward()
    np.testing.assert_array_equal(leaf[0].grad, [5.0, 6.0])
    assert constants[0].grad is None


def test_small_values_in_full_large_ones_summarised():
    x = gradlab.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, 6.5]], requires_grad=True)
    big = gradlab.tensor(np.arange(12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    view = graph(x.sum() + big.sum(), names={"x": x, "big": big})
    assert view.node("x").details() == ["shape (2, 3)", "value [[1, -2, 3], [4, 5, 6.5]]"]
    assert view.node("big").details() == [
        "shape (3, 4)",
        "value float32 min 0 mean 5.5 max 11",
    ]


def test_text_tree_before_and_after_backward():
    view, f = _f_view()
    before = view.to_text()
    assert "grad" not in before
    f.backward()
    lines = view.to_text().splitlines()
    assert lines[0].startswith("Add  [n0]  scalar  value 110  grad 1")
    assert lines[1].startswith("├── a = Mul") and lines[1].endswith("value 91  grad 1")
    assert lines[2].startswith("│   ├── x") and lines[2].endswith("value 7  grad 13")
    assert lines[3].startswith("│   └── y") and lines[3].endswith("value 13  grad 7")
    assert lines[4].startswith("└── z") and lines[4].endswith("value 19  grad 1")
    assert str(view) == view.to_text()


def test_text_tree_expands_a_shared_op_once():
    x = gradlab.tensor(2.0, requires_grad=True)
    s = x.exp()
    out = s * s
    text = graph(out).to_text()
    assert text.count("Exp") == 2 and "see n1 above" in text
    assert text.count("leaf") == 1


def test_dot_has_labelled_nodes_and_edges():
    view, f = _f_view()
    f.backward()
    dot = view.to_dot()
    assert dot.startswith("digraph gradlab {") and dot.rstrip().endswith("}")
    labels = dict(re.findall(r'^\s+(n\d+) \[label="([^"]*)"', dot, flags=re.M))
    assert len(labels) == 5
    by_title = {label.split("\\n")[0]: node for node, label in labels.items()}
    assert labels[by_title["Add"]] == "Add\\nscalar\\nvalue 110\\ngrad 1"
    assert labels[by_title["a = Mul"]] == "a = Mul\\nscalar\\nvalue 91\\ngrad 1"
    assert labels[by_title["x"]] == "x\\nscalar\\nvalue 7\\ngrad 13"
    edges = set(re.findall(r"^\s+(n\d+) -> (n\d+);", dot, flags=re.M))
    assert edges == {
        (by_title["x"], by_title["a = Mul"]),
        (by_title["y"], by_title["a = Mul"]),
        (by_title["a = Mul"], by_title["Add"]),
        (by_title["z"], by_title["Add"]),
    }


def test_dot_escapes_quotes_in_names():
    x = gradlab.tensor(1.0, requires_grad=True)
    dot = graph(x * 3, names={'say "hi"\\': x}).to_dot()
    assert 'label="say \\"hi\\"\\\\\\nscalar' in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG\r\n\x1a\n")])
def test_render_writes_svg_and_png(tmp_path, suffix, magic):
    view, f = _f_view()
    f.backward()
    path = view.render(tmp_path / f"f{suffix}")
    data = path.read_bytes()
    assert data.startswith(magic)
    if suffix == ".svg":
        assert b"<svg" in data and b"value 110" in data and b"grad 13" in data


def test_render_without_dot_says_how_to_install(tmp_path, monkeypatch):
    # the module that runs dot, reached through sys.modules
    module = sys.modules["gradlab.explain.dot"]
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    view, _ = _f_view()
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as info:
        view.render(tmp_path / "f.svg")
    assert "brew install graphviz" in str(info.value) and "conda" in str(info.value)


def test_render_rejects_unknown_suffix(tmp_path):
    view, _ = _f_view()
    with pytest.raises(ValueError, match=r"'.*f\.txt'.*\.svg, \.png, \.pdf"):
        view.render(tmp_path / "f.txt")


def test_bad_arguments_name_the_problem():
    x = gradlab.tensor(1.0, requires_grad=True)
    other = gradlab.tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match="output must be a gradlab Tensor, got float"):
        graph(1.0)
    with pytest.raises(TypeError, match="'x' is a list, expected a Tensor"):
        graph(x * 2, names={"x": [1.0]})
    with pytest.raises(ValueError, match="'w' not in the graph"):
        graph(x * 2, names={"w": other})
    with pytest.raises(KeyError, match="no node named 'q'"):
        graph(x * 2, names={"x": x}).node("q")


def test_a_leaf_output_and_a_deep_graph():
    x = gradlab.tensor(3.0, requires_grad=True)
    view = graph(x, names={"x": x})
    assert view.nodes == [view.output] and view.output.kind == "leaf"
    y = x
    for _ in range(3000):  # deeper than Python's recursion limit
        y = y * 1.0
    view = graph(y)
    assert len(view.ops) == 3000
    y.backward()
    assert view.output.grad == 1 and x.grad == 1
