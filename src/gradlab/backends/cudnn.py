"""``torch.backends.cudnn``'s flags, accepted on CPU: setting them changes nothing.

``gradlab.backends.cudnn.deterministic = True`` and ``benchmark = False`` are what
reproducible PyTorch programs set; gradlab's results are deterministic either way.
"""

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True


def is_available() -> bool:
    """False: gradlab has no cuDNN (and no CUDA)."""
    return False


def version():
    """None, as PyTorch's when cuDNN is absent."""
    return None
