"""Explain what the engine does: computation graphs with values and gradients, backprop
trace tables, gradient flow per layer, the learning-rate range test and schedule plots.

``graph(output, names=None)`` returns a view with ``to_text()``, ``to_dot()`` and
``render(path)``; see :mod:`gradlab.explain.graph`. ``backprop_trace`` (:mod:`.trace`),
``gradient_flow`` (:mod:`.gradflow`), ``lr_range_test`` (:mod:`.lr_finder`) and
``plot_schedules`` (:mod:`.schedules`) back the ``gradlab explain`` views;
``feature_attribution`` (:mod:`.attribution`) ranks input features by their gradients.
"""

from gradlab.explain.attribution import Attribution, feature_attribution, input_gradients
from gradlab.explain.gradflow import GradientFlowResult, gradient_flow
from gradlab.explain.graph import GraphNode, GraphView, GraphvizNotFoundError, graph
from gradlab.explain.lr_finder import LRFinderResult, lr_range_test
from gradlab.explain.schedules import (
    ScheduleCurves,
    plot_schedules,
    schedule_curves,
    schedule_plot,
)
from gradlab.explain.trace import BackpropSpec, BackpropTrace, backprop_trace
from gradlab.explain.trace_config import (
    EXAMPLE_7,
    EXAMPLE_8,
    BackpropConfigError,
    load_backprop_config,
)

__all__ = [
    "EXAMPLE_7", "EXAMPLE_8", "Attribution", "BackpropConfigError", "BackpropSpec",
    "BackpropTrace", "GradientFlowResult", "GraphNode", "GraphView", "GraphvizNotFoundError",
    "LRFinderResult", "ScheduleCurves", "backprop_trace", "feature_attribution",
    "gradient_flow", "graph", "input_gradients", "load_backprop_config", "lr_range_test",
    "plot_schedules", "schedule_curves", "schedule_plot",
]  # fmt: skip
