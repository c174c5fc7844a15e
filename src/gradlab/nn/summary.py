"""``Module.summary``: a Keras-style table of layers, output shapes and parameter counts."""

from __future__ import annotations

import numpy as np

from gradlab.autograd import no_grad
from gradlab.backend import array_module, get_default_dtype
from gradlab.tensor import Tensor

__all__ = ["ModelSummary", "count_parameters", "module_html", "summarize"]


def _shape_of(output) -> str:
    if isinstance(output, Tensor):
        return str((None, *output.shape[1:]))
    if isinstance(output, (tuple, list)):
        return ", ".join(_shape_of(o) for o in output)
    return "?"


def _size(nbytes: int) -> str:
    """Bytes as Keras prints them: ``27.79 KB``, ``0.00 B`` (powers of 1024)."""
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"  # pragma: no cover


def count_parameters(module, trainable_only: bool = False) -> int:
    """Number of parameter elements (shared parameters once); only trainable ones if asked."""
    return sum(p._data.size for p in module.parameters() if p.requires_grad or not trainable_only)


class ModelSummary(str):
    """The text of :func:`summarize` (a ``str``, printed as before) that Jupyter shows as a
    Keras-style HTML table. ``rows``: (layer (type), output shape, params) per layer;
    ``totals``: the three "... params" lines."""

    rows: list
    totals: list
    title: str

    def __new__(cls, text: str, title: str, rows: list, totals: list):
        self = super().__new__(cls, text)
        self.title, self.rows, self.totals = title, rows, totals
        return self

    def _repr_html_(self) -> str:
        from gradlab._display import html_table

        return html_table(["Layer (type)", "Output Shape", "Param #"],
                          [list(r) for r in self.rows], caption=self.title,
                          footer=self.totals, numeric=[False, False, True])  # fmt: skip

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))


def _totals(model) -> list[str]:
    total = count_parameters(model)
    trainable = count_parameters(model, trainable_only=True)
    total_bytes = sum(p._data.nbytes for p in model.parameters())
    trainable_bytes = sum(p._data.nbytes for p in model.parameters() if p.requires_grad)
    return [
        f"Total params: {total:,} ({_size(total_bytes)})",
        f"Trainable params: {trainable:,} ({_size(trainable_bytes)})",
        f"Non-trainable params: {total - trainable:,} ({_size(total_bytes - trainable_bytes)})",
    ]


def _layers(model):
    """``(name, module)`` of each module summarize lists: leaves, and containers that hold
    parameters of their own."""
    for name, module in model.named_modules():
        if next(module.children(), None) is not None and not module._parameters:
            continue
        yield name, module


def module_html(model) -> str:
    """A Keras-style HTML table of ``model`` without running it (Jupyter's display of a
    Module): each layer's name and type, its settings and its parameter count, and the
    totals. ``summary(input_shape)`` adds the output shapes."""
    from gradlab._display import html_table

    rows = []
    for name, module in _layers(model):
        own = sum(p.numel() for p in module.parameters(recurse=False))
        if module is model and next(model.children(), None) is not None and not own:
            continue
        label = f"{name or type(module).__name__} ({type(module).__name__})"
        rows.append([label, module.extra_repr(), own])
    return html_table(["Layer (type)", "Settings", "Param #"], rows,
                      caption=f'Model: "{type(model).__name__}"', footer=_totals(model),
                      numeric=[False, False, True])  # fmt: skip


def summarize(model, input_shape, dtype=None) -> ModelSummary:
    """Run one sample of ``input_shape`` (batch dimension excluded) through ``model`` and
    tabulate each leaf module: name (type), output shape with batch shown as None, params."""
    dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    rows, handles = [], []
    for name, module in _layers(model):

        def hook(mod, inputs, output, name=name):
            own = sum(p._data.size for p in mod.parameters(recurse=False))
            rows.append(
                (f"{name or type(mod).__name__} ({type(mod).__name__})", _shape_of(output), own)
            )

        handles.append(module.register_forward_hook(hook))
    modes = [(module, module.training) for module in model.modules()]
    model.eval()  # batch norm on one sample needs running statistics
    if isinstance(input_shape, (int, np.integer)):
        input_shape = (int(input_shape),)
    try:
        where = next(iter(model.parameters()), None)  # the sample goes where the model is
        xp = array_module(where)
        sample = Tensor(xp.zeros((1, *input_shape), dtype=dtype))
        with no_grad():
            model(sample)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            object.__setattr__(module, "training", training)
    totals = _totals(model)
    width = max([30, *(len(r[0]) + 2 for r in rows)])
    shape_width = max([20, *(len(r[1]) + 2 for r in rows)])
    rule = "=" * (width + shape_width + 12)
    title = f'Model: "{type(model).__name__}"'
    lines = [
        title,
        rule,
        f"{'Layer (type)':<{width}}{'Output Shape':<{shape_width}}{'Param #':>12}",
        rule,
    ]
    lines += [f"{name:<{width}}{shape:<{shape_width}}{params:>12,}" for name, shape, params in rows]
    lines += [rule, *totals, rule]
    return ModelSummary("\n".join(lines), title, rows, totals)
