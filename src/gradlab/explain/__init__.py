"""Explain what the engine does: computation graphs with values and gradients.

``graph(output, names=None)`` returns a view with ``to_text()``, ``to_dot()`` and
``render(path)``; see :mod:`gradlab.explain.graph`.
"""

from gradlab.explain.graph import GraphNode, GraphView, GraphvizNotFoundError, graph

__all__ = ["graph", "GraphView", "GraphNode", "GraphvizNotFoundError"]
