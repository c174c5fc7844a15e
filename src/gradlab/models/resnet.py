"""A residual network on flat features, and its "plain" twin (He et al. 2016).

Depth counts the Linear layers: a stem Linear(F, width), (depth − 2) / 2 blocks of two
Linear(width, width) layers, and a head Linear(width, num_classes). A block computes

    residual:  y = relu(x + bn2(fc2(relu(bn1(fc1(x))))))
    plain:     y = relu(     bn2(fc2(relu(bn1(fc1(x))))))

so both twins have the same layers and the same parameter count; only the identity
shortcut differs. Deep plain stacks train worse than shallower ones (the degradation
problem) while the shortcut gives the gradient a path around every block.
"""

from __future__ import annotations

from gradlab import nn
from gradlab.nn import functional as F
from gradlab.nn.module import Module

__all__ = ["ResidualBlock", "ResNet"]


class ResidualBlock(Module):
    """Two Linear(width, width) layers, each followed by BatchNorm1d (if ``batch_norm``),
    with ReLU between them and after the (optional) identity shortcut. (B, width) ->
    (B, width). Submodules ``fc1``, ``bn1``, ``fc2``, ``bn2`` (the bn ones are Identity
    without batch norm)."""

    def __init__(self, width: int, residual: bool = True, batch_norm: bool = True):
        super().__init__()
        self.width, self.residual = int(width), bool(residual)
        self.fc1 = nn.Linear(self.width, self.width)
        self.bn1 = nn.BatchNorm1d(self.width) if batch_norm else nn.Identity()
        self.fc2 = nn.Linear(self.width, self.width)
        self.bn2 = nn.BatchNorm1d(self.width) if batch_norm else nn.Identity()

    def forward(self, x):
        out = self.bn2(self.fc2(F.relu(self.bn1(self.fc1(x)))))
        return F.relu(x + out if self.residual else out)

    def extra_repr(self) -> str:
        return f"width={self.width}, residual={self.residual}"


class ResNet(Module):
    """Fully connected ResNet of ``depth`` Linear layers (see the module docstring).

    Args:
        in_features: F; input (B, F) or (B, ...) flattened to F.
        num_classes: width of the output logits.
        depth: number of Linear layers, even and >= 2 (20: stem, 9 blocks, head).
        width: hidden width.
        residual: identity shortcuts around each block; False gives the plain twin.
        batch_norm: BatchNorm1d after every hidden Linear.

    Submodules ``stem`` (Linear, BatchNorm1d, ReLU), ``blocks`` (ModuleList of
    :class:`ResidualBlock`), ``head`` (Linear). Output (B, num_classes).
    """

    def __init__(self, in_features: int, num_classes: int = 10, depth: int = 20, width: int = 64,
                 residual: bool = True, batch_norm: bool = True):  # fmt: skip
        super().__init__()
        self.in_features, self.num_classes = int(in_features), int(num_classes)
        self.depth, self.width = int(depth), int(width)
        self.residual, self.batch_norm = bool(residual), bool(batch_norm)
        if self.depth < 2 or self.depth % 2:
            raise ValueError(
                f"ResNet: depth must be an even number >= 2 (stem + 2 layers per block + "
                f"head), got {depth}"
            )
        for name in ("in_features", "num_classes", "width"):
            if getattr(self, name) < 1:
                raise ValueError(f"ResNet: {name} must be >= 1, got {getattr(self, name)}")
        self.stem = nn.Sequential(
            nn.Linear(self.in_features, self.width),
            nn.BatchNorm1d(self.width) if batch_norm else nn.Identity(),
            nn.ReLU(),
        )
        self.blocks = nn.ModuleList(
            ResidualBlock(self.width, residual, batch_norm) for _ in range((self.depth - 2) // 2)
        )
        self.head = nn.Linear(self.width, self.num_classes)

    def forward(self, x):
        """(B, F) or (B, ...) -> (B, num_classes) logits."""
        if x.ndim > 2:
            x = x.reshape(x.shape[0], -1)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"ResNet(in_features={self.in_features}): input has shape {tuple(x.shape)}, "
                f"expected (B, {self.in_features})"
            )
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)

    def linear_layers(self) -> list[tuple[str, nn.Linear]]:
        """The ``depth`` Linear layers in order from input to output, as (name, layer):
        ``stem.0``, ``blocks.0.fc1``, ``blocks.0.fc2``, ..., ``head``."""
        return [(name, m) for name, m in self.named_modules() if isinstance(m, nn.Linear)]

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, num_classes={self.num_classes}, "
            f"depth={self.depth}, width={self.width}, residual={self.residual}"
        )
