"""See a computation graph: every op and input with its shape, forward value and gradient.

``graph(output)`` walks the graph that made ``output`` (through ``tensor.grad_fn`` and each
Function's ``inputs``) and returns a :class:`GraphView`::

    x = gradlab.tensor(7.0, requires_grad=True)
    y = gradlab.tensor(13.0, requires_grad=True)
    z = gradlab.tensor(19.0, requires_grad=True)
    f = x * y + z
    g = graph(f, names={"x": x, "y": y, "z": z})
    f.backward()
    print(g.to_text())          # the tree, with the gradients of backward
    g.render("f.svg")           # through Graphviz's ``dot``

Values and gradients are read when the view is printed or rendered, not when it is built, so a
view built before ``backward()`` shows the gradients afterwards.

Gradients of intermediate tensors: like PyTorch, gradlab keeps ``.grad`` only for leaves.
``graph()`` calls ``retain_grad()`` on every non-leaf tensor it reaches (and on ``output``),
so a view built BEFORE backward shows the gradient of every node. A view built AFTER backward
shows the gradients of the leaves only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradlab.atomic import atomic_write
from gradlab.autograd import Function
from gradlab.explain.dot import (
    INSTALL_GRAPHVIZ,
    RENDER_FORMATS,
    DotDisplay,
    GraphvizNotFoundError,
    run_dot,
)
from gradlab.tensor import Tensor

__all__ = ["graph", "DotDisplay", "GraphView", "GraphNode", "GraphvizNotFoundError",
           "INSTALL_GRAPHVIZ", "run_dot"]  # fmt: skip

SMALL = 6
"""Values with at most this many elements are printed in full; larger ones are summarised."""


@dataclass(eq=False)
class GraphNode:
    """One node of the view: an op's output tensor, a leaf tensor, or a constant input.

    ``kind`` is ``"op"`` (a Function's output; ``op`` is the Function's class name, e.g.
    ``"Mul"``), ``"leaf"`` (a tensor without ``grad_fn``) or ``"constant"`` (a plain number
    or array passed to an op). ``inputs`` are the nodes the op read, in argument order.
    """

    id: str
    kind: str
    op: str | None = None
    name: str | None = None
    tensor: Tensor | None = None
    constant: object = None
    inputs: list[GraphNode] = field(default_factory=list)
    is_output: bool = False
    fn: object = None  # an intermediate freed by backward(): the node that made it, no value
    fused_in: str | None = None  # a part of a fused op, computed inside it: no value of its own

    @property
    def freed(self) -> bool:
        """Whether this is an intermediate whose value backward() released."""
        return self.fn is not None and self.fused_in is None

    @property
    def value(self) -> np.ndarray:
        """The forward value, read now."""
        if self.tensor is not None:
            return np.asarray(self.tensor)
        if self.fn is not None:
            return None
        return np.asarray(self.constant)

    @property
    def grad(self) -> np.ndarray | None:
        """The gradient d output / d this node, read now (None before backward, for constants,
        and for intermediates whose gradient was not retained)."""
        if self.tensor is None or self.tensor.grad is None:
            return None
        return np.asarray(self.tensor.grad)

    @property
    def shape(self) -> tuple:
        return None if self.fn is not None else self.value.shape

    @property
    def requires_grad(self) -> bool:
        return self.fn is not None or self.tensor is not None and self.tensor.requires_grad

    @property
    def title(self) -> str:
        """``"a = Mul"`` for a named op, ``"Mul"``, ``"x"`` for a named leaf, ``"leaf"`` ..."""
        if self.kind == "op":
            return f"{self.name} = {self.op}" if self.name else str(self.op)
        if self.name:
            return self.name
        if self.kind == "constant":
            return "const"
        return "leaf" if self.requires_grad else "tensor"

    def details(self) -> list[str]:
        """The lines shown under the title: shape, value, gradient (when there is one)."""
        if self.fused_in is not None:
            return [f"computed inside {self.fused_in}, value not kept"]
        if self.fn is not None:
            return ["value freed by backward()"]
        value = self.value
        lines = [_format_shape(value.shape)]
        lines.append("value " + _format_array(value))
        grad = self.grad
        if grad is not None:
            lines.append("grad " + _format_array(grad))
        return lines

    def __repr__(self) -> str:
        return f"GraphNode({self.id}: {self.title}, {' | '.join(self.details())})"


class GraphView(DotDisplay):
    """The nodes and edges reachable from one output; see the module docstring.

    ``nodes[0]`` is the output; ``edges`` are ``(source, target)`` pairs of nodes in the
    direction data flows (an input to the op that read it), one per argument position.
    """

    def __init__(self, output: Tensor, names: dict[str, Tensor] | None = None):
        if not isinstance(output, Tensor):
            raise TypeError(
                f"graph(): output must be a gradlab Tensor, got {type(output).__name__}"
            )
        self.names = _check_names(names)
        self._names_by_id = {id(t): name for name, t in self.names.items()}
        self.nodes: list[GraphNode] = []
        self.edges: list[tuple[GraphNode, GraphNode]] = []
        self._by_tensor: dict[int, GraphNode] = {}
        self.output = self._tensor_node(output)
        self.output.is_output = True
        self._walk()
        unused = [n for n, t in self.names.items() if id(t) not in self._by_tensor]
        if unused:
            raise ValueError(
                f"graph(names=...): {', '.join(map(repr, unused))} not in the graph of the "
                f"output (named tensors must be inputs or intermediates of it)"
            )

    # ------------------------------------------------------------------ building
    def _tensor_node(self, t: Tensor) -> GraphNode:
        node = self._by_tensor.get(id(t))
        if node is None:
            fn = t.grad_fn
            node = GraphNode(
                id=f"n{len(self.nodes)}",
                kind="leaf" if fn is None else "op",
                op=None if fn is None else _op_name(fn),
                name=self._names_by_id.get(id(t)),
                tensor=t,
            )
            if fn is not None:
                t.retain_grad()
            self.nodes.append(node)
            self._by_tensor[id(t)] = node
        return node

    def _walk(self) -> None:
        pending = [self.output]
        expanded: set[int] = set()
        while pending:  # iterative: deep graphs (long sequences) must not hit recursion limits
            node = pending.pop()
            fn = node.tensor.grad_fn if node.tensor is not None else node.fn
            if fn is None or id(node) in expanded:
                continue
            expanded.add(id(node))
            node = self._fused_parts(node, fn)
            for item in fn.inputs:
                if isinstance(item, Tensor):
                    seen = id(item) in self._by_tensor
                    child = self._tensor_node(item)
                    if not seen:
                        pending.append(child)
                elif isinstance(item, Function):  # an intermediate freed by backward()
                    child = self._by_tensor.get(id(item))
                    if child is None:
                        child = GraphNode(
                            id=f"n{len(self.nodes)}", kind="op", op=_op_name(item), fn=item
                        )
                        self.nodes.append(child)
                        self._by_tensor[id(item)] = child
                        pending.append(child)
                elif item is None:  # a constant whose value backward() released
                    continue
                else:
                    child = GraphNode(id=f"n{len(self.nodes)}", kind="constant", constant=item)
                    self.nodes.append(child)
                node.inputs.append(child)
                self.edges.append((child, node))

    def _fused_parts(self, node: GraphNode, fn) -> GraphNode:
        """For a fused op (``fn.parts``), a node per part before the last, chained into
        ``node`` (which shows the last part); returns the node that reads ``fn``'s inputs."""
        for part in reversed(fn.parts[:-1]):
            inner = GraphNode(id=f"n{len(self.nodes)}", kind="op", op=part, fn=fn,
                              fused_in=type(fn).__name__)  # fmt: skip
            self.nodes.append(inner)
            node.inputs.append(inner)
            self.edges.append((inner, node))
            node = inner
        return node

    # ------------------------------------------------------------------ access
    def node(self, name: str) -> GraphNode:
        """The node labelled ``name`` through ``names=``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"graph: no node named {name!r}; named nodes: {sorted(self.names)}")

    @property
    def ops(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind == "op"]

    @property
    def leaves(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind == "leaf"]

    # ------------------------------------------------------------------ text
    def to_text(self) -> str:
        """An indented tree from the output down to the inputs; a node reached twice is
        expanded once and referred to as ``(see nK above)`` afterwards."""
        lines: list[str] = []
        shown: set[str] = set()
        # (node, prefix for its own line, prefix for its children)
        stack = [(self.output, "", "")]
        while stack:
            node, own, below = stack.pop()
            text = f"{node.title}  [{node.id}]  " + "  ".join(node.details())
            if node.id in shown and node.inputs:
                lines.append(f"{own}{node.title}  (see {node.id} above)")
                continue
            shown.add(node.id)
            lines.append(own + text)
            count = len(node.inputs)
            for i, child in reversed(list(enumerate(node.inputs))):
                last = i == count - 1
                stack.append(
                    (
                        child,
                        below + ("└── " if last else "├── "),
                        below + ("    " if last else "│   "),
                    )
                )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"GraphView(output={self.output.title}, {len(self.nodes)} nodes)"

    # ------------------------------------------------------------------ dot
    def to_dot(self) -> str:
        """Graphviz DOT source: ops as boxes, leaves as ellipses, constants as plain text;
        edges run from each input to the op that read it."""
        out = [
            "digraph gradlab {",
            "  rankdir=LR;",
            '  node [fontname="Helvetica", fontsize=10, style=filled];',
            '  edge [color="#555555"];',
        ]
        for node in self.nodes:
            label = "\\n".join(_escape(s) for s in [node.title, *node.details()])
            if node.kind == "op":
                attrs = 'shape=box, style="rounded,filled", fillcolor="#dbe9f6"'
            elif node.kind == "leaf":
                attrs = 'shape=ellipse, fillcolor="#e3f2d9"'
            else:
                attrs = 'shape=note, fillcolor="#eeeeee"'
            if node.is_output:
                attrs += ", peripheries=2"
            out.append(f'  {node.id} [label="{label}", {attrs}];')
        for source, target in self.edges:
            out.append(f"  {source.id} -> {target.id};")
        out.append("}")
        return "\n".join(out) + "\n"

    def render(self, path) -> Path:
        """Write the graph as SVG, PNG or PDF (chosen by ``path``'s suffix) with Graphviz's
        ``dot``; returns the path."""
        path = Path(path)
        fmt = RENDER_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(
                f"render(): cannot tell the format from {str(path)!r}; expected a file name "
                f"ending in {', '.join(RENDER_FORMATS)}"
            )
        drawn = run_dot(self.to_dot(), fmt, f"render({str(path)!r})")
        return atomic_write(path, drawn)


def graph(output: Tensor, names: dict[str, Tensor] | None = None) -> GraphView:
    """The computation graph that made ``output``, ready to print, inspect or render.

    ``names`` maps labels to tensors of the graph, e.g. ``{"x": x, "a": a}``; other tensors
    are labelled by their op (or ``leaf``). Build the view before ``backward()`` to see the
    gradients of intermediate tensors too (it calls ``retain_grad()`` on them).
    """
    return GraphView(output, names)


# ---------------------------------------------------------------------- formatting


def _op_name(fn) -> str:
    """The op a node shows: its class, or a fused op's last part."""
    return fn.parts[-1] if fn.parts else type(fn).__name__


def _check_names(names) -> dict[str, Tensor]:
    if names is None:
        return {}
    if not isinstance(names, dict):
        raise TypeError(
            f"graph(names=...): expected a dict of name -> Tensor, got {type(names).__name__}"
        )
    for name, t in names.items():
        if not isinstance(t, Tensor):
            raise TypeError(
                f"graph(names=...): {name!r} is a {type(t).__name__}, expected a Tensor"
            )
    return dict(names)


def _format_shape(shape: tuple) -> str:
    if shape == ():
        return "scalar"
    return "shape (" + ", ".join(str(s) for s in shape) + ")"


def _format_scalar(v, digits: int = 6) -> str:
    if isinstance(v, np.bool_ | bool):
        return str(bool(v))
    if isinstance(v, np.integer | int):
        return str(int(v))
    return f"{float(v):.{digits}g}"


def _nested(a: np.ndarray) -> str:
    if a.ndim == 0:
        return _format_scalar(a[()])
    return "[" + ", ".join(_nested(sub) for sub in a) + "]"


def _format_array(a: np.ndarray) -> str:
    """Small arrays in full; larger ones as dtype, min, mean and max."""
    if a.size <= SMALL:
        return _nested(a)
    if a.dtype.kind not in "fiub":
        return f"{a.dtype} ({a.size} elements)"
    data = a.astype(np.float64)
    low, mean, high = (_format_scalar(v, 4) for v in (data.min(), data.mean(), data.max()))
    return f"{a.dtype} min {low} mean {mean} max {high}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
