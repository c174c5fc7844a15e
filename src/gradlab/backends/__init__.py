"""PyTorch's ``torch.backends``: only the flags that CPU programs set (``cudnn``, ``mps``).

gradlab computes on NumPy; these flags are accepted so that programs which set them run, and
they change nothing (gradlab's CPU kernels are deterministic).
"""

from gradlab.backends import cudnn, mps

__all__ = ["cudnn", "mps"]
