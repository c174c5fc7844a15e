"""Optimizer: the base of every gradlab optimizer (PyTorch's ``torch.optim.Optimizer`` model).

An optimizer holds ``param_groups`` (a list of dicts, each with ``"params"``, a list of leaf
Tensors, and that group's hyperparameters, e.g. ``param_groups[0]["lr"]``), ``defaults`` (the
hyperparameters a group gets when it does not name them) and ``state`` (per-parameter dicts of
arrays and numbers, created the first time :meth:`step` updates that parameter).

Updates run on the parameters' arrays in place, outside the graph: no Tensor ops, no autograd
nodes. Each parameter gets a small set of preallocated scratch arrays (not part of ``state``),
so a step allocates nothing beyond what the math needs. Each optimizer writes its update as an
elementwise kernel of NumPy ufuncs run by :func:`gradlab.optim.foreach.foreach_elementwise`;
SGD and Adam run a compiled one-pass kernel instead where ``gradlab[fast]`` is installed
(:mod:`gradlab._fast.optim_kernels`).

``state_dict()`` follows PyTorch's layout, with parameters replaced by their index in the order
of the groups::

    {"state": {0: {"step": 3.0, "exp_avg": array, ...}, ...},
     "param_groups": [{"lr": 0.001, ..., "params": [0, 1, 2]}, ...]}
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from itertools import chain

from gradlab.autograd import enable_grad
from gradlab.backend import array_module, as_array, backend_of, to_host
from gradlab.tensor import Tensor


class _RequiredParameter:
    """Marks a default that every param group must give (PyTorch's ``optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def check_hyperparameters(owner: str, **values) -> None:
    """Raise ValueError naming the first negative (or NaN) value among ``values``.

    ``check_hyperparameters("SGD", lr=-1.0)`` raises
    ``ValueError("SGD: lr must be >= 0, got -1.0")``.
    """
    for name, value in values.items():
        if not (value >= 0):  # also catches NaN
            raise ValueError(f"{owner}: {name} must be >= 0, got {value}")


def check_betas(owner: str, betas) -> None:
    """Raise ValueError unless ``betas`` is a pair with each value in [0, 1)."""
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    for i, beta in enumerate((beta1, beta2)):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{owner}: betas[{i}] must be in [0, 1), got {beta}")


class Optimizer:
    """Base class: param groups, lazily created per-parameter state, state_dict.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs (``named_parameters()``), or
            of dicts (param groups: ``{"params": [...], "lr": 0.1}``; keys a group leaves out
            come from ``defaults``).
        defaults: the hyperparameters of a group that does not give them.

    Subclasses implement ``_step_group(group)``, which updates the parameters of one group
    whose ``.grad`` is not None.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._scratch: dict = {}
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Tensors or dicts, got a "
                f"single Tensor of shape {params.shape}; wrap it in a list"
            )
        groups = list(params)
        if not groups:
            raise ValueError(
                f"{type(self).__name__}: params is an empty parameter list ([]); expected at "
                "least one Tensor"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (e.g. a different lr).

        Keys the group leaves out come from ``defaults``; a parameter may belong to one group
        only.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{name}: parameters must be in an ordered collection (list, tuple), got a set"
            )
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        if names and len(names) != len(tensors):
            raise ValueError(f"{name}: either every parameter has a name or none has")
        if not tensors:
            raise ValueError(f"{name}: param_group['params'] is empty ([]); expected Tensors")
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (grad_fn={p.grad_fn})")
        param_group["params"] = tensors
        if names:
            param_group["param_names"] = names
        for key, default in self.defaults.items():
            if default is required and key not in param_group:
                raise ValueError(f"{name}: parameter group didn't specify a value of {key}")
            param_group.setdefault(key, default)
        if len({id(p) for p in tensors}) != len(tensors):
            warnings.warn(  # PyTorch's words; it then steps such a parameter twice, as here
                "optimizer contains a parameter group with duplicate parameters; in future, this "
                "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                UserWarning,
                stacklevel=3,
            )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in tensors):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients and steps
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.zero_()

    def step(self, closure=None):
        """Update every parameter that has a gradient; return ``closure()``'s loss if given.

        ``closure`` re-evaluates the model (zero_grad, forward, backward) and returns the loss;
        it runs with gradients enabled, before the update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _buffers(self, p: Tensor, count: int) -> list:
        """``count`` scratch arrays shaped like ``p.data``, reused across steps."""
        buffers = self._scratch.get(p)
        data = p._data
        if (
            buffers is None
            or len(buffers) < count
            or buffers[0].shape != data.shape
            or buffers[0].dtype != data.dtype
        ):
            xp = array_module(data)
            buffers = [xp.empty_like(data) for _ in range(count)]
            self._scratch[p] = buffers
        return buffers

    def _stepped(self, group: dict, *buffers: str, **initial):
        """``(p, state)`` for each parameter of ``group`` that has a gradient, its state made
        on the first step (``step`` 0.0, then ``initial``'s values, then a zero array shaped
        like ``p`` for each name in ``buffers``) and ``state["step"]`` counted."""
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = 0.0
                state.update(initial)
                for name in buffers:
                    state[name] = array_module(p._data).zeros_like(p._data)
            state["step"] += 1
            yield p, state

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Arrays are the optimizer's own (not copies), as in PyTorch; everything else is a plain
        number, bool, string or tuple.
        """
        mapping: dict = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {mapping[id(p)]: dict(s) for p, s in self.state.items() if id(p) in mapping}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a :meth:`state_dict` (gradlab's or PyTorch's): arrays are copied, cast to each
        parameter's dtype; 0-d values (PyTorch's ``step`` tensors) become Python floats."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter "
                f"groups, this optimizer has {len(self.param_groups)}"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(saved['params'])} "
                    f"parameters in the state dict, {len(group['params'])} in this optimizer"
                )
        index_to_param = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in self.param_groups),
            )
        )
        state: defaultdict = defaultdict(dict)
        for key, values in state_dict["state"].items():
            index = int(key)
            if index not in index_to_param:
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter {key!r}")
            p = index_to_param[index]
            state[p] = {k: _load_value(v, p) for k, v in values.items()}
            for k, v in state[p].items():  # refused now, not inside NumPy at the next step
                if hasattr(v, "shape") and v.ndim > 0 and v.shape != p.shape:
                    raise ValueError(
                        f"{name}.load_state_dict: state {k!r} of parameter {index} has shape "
                        f"{tuple(v.shape)}, the parameter has shape {tuple(p.shape)}"
                    )
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            new_groups.append(new_group)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _load_value(value, p: Tensor):
    """A copy of one saved state value, as gradlab keeps it (on ``p``'s device)."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if hasattr(value, "detach"):  # a torch.Tensor: go through numpy
        value = value.detach().cpu().numpy()
    array = to_host(as_array(value))
    if array.ndim == 0:
        return float(array)
    dtype = p._data.dtype if array.dtype.kind == "f" else array.dtype
    return backend_of(p._data).from_host(array.astype(dtype, copy=True))
