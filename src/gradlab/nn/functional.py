"""gradlab.nn.functional: the stateless forms of layers, activations and losses
(``F.relu(x)``, ``F.cross_entropy(logits, target)``), as ``torch.nn.functional``.

Each function is defined beside its module class in the concept's own file; this file
gathers them under PyTorch's namespace.
"""

from gradlab.ops import pad  # noqa: F401
