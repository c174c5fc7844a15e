"""``torch.backends.mps``: Apple's GPU backend, which gradlab does not have."""


def is_available() -> bool:
    """False: gradlab computes on NumPy."""
    return False


def is_built() -> bool:
    return False
