"""Containers: Sequential, ModuleList, ModuleDict, and the Residual wrapper (x + block(x))."""

from __future__ import annotations

from collections import OrderedDict

from gradlab.nn.module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict", "Residual"]


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(100, 64), ReLU(), Linear(64, 10))`` or
    ``Sequential(OrderedDict(fc1=..., act=...))``."""

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
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        modules = list(self._modules.values())
        try:
            return modules[index]
        except IndexError:
            raise IndexError(
                f"Sequential: index {index} is out of range for {len(modules)} modules"
            ) from None

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
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
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules whose parameters are registered."""

    def __init__(self, modules=None):
        super().__init__()
        for name, module in (modules or {}).items():
            self[name] = module

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

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
