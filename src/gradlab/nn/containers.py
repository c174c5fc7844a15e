"""Containers: Sequential, ModuleList, ModuleDict, and the Residual wrapper (x + block(x))."""

from __future__ import annotations

from collections import OrderedDict

from gradlab.nn.fusion import fusion_plan, run_plan
from gradlab.nn.module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict", "Residual"]


def _key(container: Module, index: int) -> str:
    """The registered name of the module at position ``index`` (negative counts from the end)."""
    keys = list(container._modules)
    try:
        return keys[index]
    except IndexError:
        raise IndexError(
            f"{type(container).__name__}: index {index} is out of range for {len(keys)} modules"
        ) from None


def _renumber(container: Module) -> None:
    """Re-register the modules as "0", "1", ... in their order (after an insert or delete)."""
    modules = list(container._modules.values())
    for key in list(container._modules):
        delattr(container, key)
    for i, module in enumerate(modules):
        container.add_module(str(i), module)


def _insert(container: Module, index: int, module: Module) -> None:
    if not isinstance(module, Module):
        raise TypeError(
            f"{type(container).__name__}.insert: expected a Module, got {type(module).__name__}"
        )
    modules = list(container._modules.values())
    modules.insert(index, module)
    for key in list(container._modules):
        delattr(container, key)
    for i, m in enumerate(modules):
        container.add_module(str(i), m)


class _IndexedModules(Module):
    """What Sequential and ModuleList share: modules kept under the keys "0", "1", ...,
    indexed, assigned, deleted (then renumbered), counted and iterated in order."""

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(_key(self, index), module)

    def __delitem__(self, index) -> None:
        keys = list(self._modules)
        for key in keys[index] if isinstance(index, slice) else [_key(self, index)]:
            delattr(self, key)
        _renumber(self)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class Sequential(_IndexedModules):
    """Modules applied in order: ``Sequential(Linear(100, 64), ReLU(), Linear(64, 10))`` or
    ``Sequential(OrderedDict(fc1=..., act=...))``. ``Conv2d -> ReLU -> MaxPool2d(2)``,
    ``ReLU -> MaxPool2d(2)`` and ``Linear -> ReLU`` run as one op each when none of the layers
    has a hook (same values; see :mod:`gradlab.nn.fusion`); the views of a recorded graph
    still show every layer."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                self.add_module(str(name), module)
        else:
            for index, module in enumerate(modules):
                if not isinstance(module, Module):
                    raise TypeError(
                        f"Sequential: argument {index} is a {type(module).__name__}, expected "
                        f"a Module"
                    )
                self.add_module(str(index), module)

    def forward(self, x):
        modules = tuple(self._modules.values())
        plan = self.__dict__.get("_fusion_plan")
        if plan is None or plan[0] != modules:
            plan = (modules, fusion_plan(modules))
            object.__setattr__(self, "_fusion_plan", plan)
        return run_plan(plan[1], x)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return self._modules[_key(self, index)]

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        _insert(self, index, module)
        return self


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered."""

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        _insert(self, index, module)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[_key(self, index)]


class ModuleDict(Module):
    """A dict of modules whose parameters are registered."""

    def __init__(self, modules=None):
        super().__init__()
        for name, module in (modules or {}).items():
            self[name] = module

    def __getitem__(self, key: str) -> Module:
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(
                f"ModuleDict: no module named {key!r}; it holds {list(self._modules)}"
            ) from None

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 - the KeyError names what exists
        delattr(self, key)

    def pop(self, key: str) -> Module:
        module = self[key]
        delattr(self, key)
        return module

    def update(self, modules) -> None:
        for name, module in dict(modules).items():
            self[name] = module

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()


class Residual(Module):
    """A skip connection around ``block``: ``forward(x) = x + block(x)`` (He et al. 2016).

    ``shortcut`` (optional) maps x to block(x)'s shape when they differ, e.g. a 1x1 Conv2d.
    """

    def __init__(self, block: Module, shortcut: Module | None = None):
        super().__init__()
        self.block = block
        self.shortcut = shortcut

    def forward(self, x):
        out = self.block(x)
        skip = x if self.shortcut is None else self.shortcut(x)
        if skip.shape != out.shape:
            raise ValueError(
                f"Residual: block output has shape {out.shape} but the input has shape "
                f"{skip.shape}; pass shortcut= to map the input to the output's shape"
            )
        return skip + out
