"""Module and Parameter: the building block of every layer and model, as ``torch.nn.Module``.

A Module registers the Parameters, buffers and submodules assigned to its attributes, so
``parameters()``, ``state_dict()``, ``train()``/``eval()`` and ``zero_grad()`` reach the whole
tree. Subclasses define ``forward``; calling the module runs it (and any forward hooks).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator

import numpy as np

from gradlab import backend
from gradlab.backend import as_array
from gradlab.nn.parameter import Parameter
from gradlab.nn.state_dict import IncompatibleKeys, load_state
from gradlab.tensor import Tensor


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict, key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Module:
    """Base class of layers and models; see the module docstring."""

    _next_hook_key = 0

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry and not isinstance(value, (Parameter, Module)):
                if registry is self._parameters and value is not None:
                    raise TypeError(
                        f"{type(self).__name__}.{name}: cannot assign "
                        f"{type(value).__name__} to a parameter (expected Parameter or None)"
                    )
                if registry is self._modules and value is not None:
                    raise TypeError(
                        f"{type(self).__name__}.{name}: cannot assign "
                        f"{type(value).__name__} to a child module (expected Module or None)"
                    )
                if (
                    registry is self._buffers
                    and value is not None
                    and not isinstance(value, Tensor)
                ):
                    value = Tensor(as_array(value))
                registry[name] = value
                object.__setattr__(self, name, value)
                return
        if isinstance(value, Parameter):
            if name not in self._parameters:  # a re-assigned name keeps its place, as PyTorch
                self._drop(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            if name not in self._modules:
                self._drop(name)
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def _drop(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)

    def __delattr__(self, name: str) -> None:
        self._drop(name)
        self._non_persistent.discard(name)
        object.__delattr__(self, name)

    @staticmethod
    def _check_name(kind: str, name) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name}: expected a Parameter or None, got "
                f"{type(param).__name__}"
            )
        if name not in self._parameters:  # a re-registered name keeps its place
            self._drop(name)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """A non-trainable tensor kept in ``state_dict`` (unless ``persistent=False``)."""
        self._check_name("buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(as_array(tensor))
        if name not in self._buffers:
            self._drop(name)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        self._check_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name}: expected a Module, got {type(module).__name__}")
        if name not in self._modules:
            self._drop(name)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                replaced = hook(self, args, out)
                if replaced is not None:
                    out = replaced
        return out

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, inputs, output)`` runs after forward; a non-None return replaces
        the output."""
        key = Module._next_hook_key
        Module._next_hook_key += 1
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator:
        """(dotted name, module) for self and every submodule, depth first; a module reached
        twice (shared) is given once unless ``remove_duplicate=False``."""
        if remove_duplicate:
            memo = set() if memo is None else memo
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(
                    memo, f"{prefix}.{name}" if prefix else name, remove_duplicate
                )

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator:
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator:
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator:
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on self and every submodule."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(): mode is expected to be a bool, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.zero_()

    def to(self, *args, dtype=None, device=None, non_blocking=False) -> Module:
        """Move parameters and buffers to ``device`` and cast the floating ones to ``dtype``,
        in place (the same Parameter objects), as PyTorch's ``Module.to``: ``to(device)``,
        ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``. A device gradlab cannot use
        (``"cuda"`` here) raises a clear error."""
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif isinstance(arg, (str, backend.device)) and (
                not isinstance(arg, str) or backend.is_device_string(arg)
            ):
                device = arg
            elif dtype is None and not isinstance(arg, bool):
                dtype = arg
            else:
                raise TypeError(f"to(): unexpected argument {arg!r}")
        target = None if device is None else backend.resolve_device(device, "Module.to()")
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind != "f":
                raise TypeError(f"to(): expected a floating dtype, got {dtype}")
        for tensor in [*self.parameters(), *self.buffers()]:
            if target is not None:
                tensor._data = backend.to_backend(tensor._data, target)
                if tensor.grad is not None:
                    tensor.grad._data = backend.to_backend(tensor.grad._data, target)
            if dtype is not None and tensor._data.dtype.kind == "f":
                tensor._data = tensor._data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = tensor.grad.to(dtype)
        return self

    def cpu(self) -> Module:
        """Move parameters and buffers to the CPU (PyTorch's ``Module.cpu``)."""
        return self.to("cpu")

    def cuda(self, device=None) -> Module:
        """Move to a CUDA device: raises here, as gradlab has no CUDA backend."""
        return self.to("cuda" if device is None else device)

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ------------------------------------------------------------------ state
    def _state_entries(self, prefix: str = "") -> Iterator:
        """(key, tensor) of every parameter and persistent buffer; a shared module or
        parameter appears under each of its names, as in PyTorch."""
        for module_prefix, module in self.named_modules(prefix=prefix, remove_duplicate=False):
            dot = f"{module_prefix}." if module_prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    yield dot + name, param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    yield dot + name, buffer

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name, as copied NumPy arrays.

        PyTorch's state_dict shares storage with the model; gradlab copies, so a saved state
        (best weights, a checkpoint) never changes under further training. ``keep_vars=True``
        gives the Tensors themselves instead.
        """
        return OrderedDict(
            (key, tensor if keep_vars else tensor._data.copy())
            for key, tensor in self._state_entries(prefix)
        )

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (NumPy, gradlab or torch tensors) into the existing parameters and
        buffers, keeping their dtype. Every missing, unexpected, mis-shaped and unreadable key
        is reported in one error (missing and unexpected ones only when ``strict``); nothing
        is copied unless every entry is good."""
        return load_state(OrderedDict(self._state_entries()), state_dict, strict,
                          type(self).__name__)  # fmt: skip

    # ------------------------------------------------------------------ display
    def summary(self, input_shape, dtype=None, print_fn=print) -> str:
        """Keras-style table of each layer's output shape and parameter count; returns the
        text, which Jupyter shows as an HTML table (``print_fn=None``: no printing).

        ``input_shape`` excludes the batch dimension (shown as None), e.g. ``(100,)`` for a
        Linear(100, ...) model or ``(3, 32, 32)`` for a CNN.
        """
        from gradlab.nn.summary import summarize

        text = summarize(self, input_shape, dtype)
        if print_fn is not None:
            print_fn(text)
        return text

    def _repr_html_(self) -> str:
        """Jupyter's display: a Keras-style table of layers and parameter counts."""
        from gradlab.nn.summary import module_html

        return module_html(self)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [
            f"({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self._modules.items()
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()))
