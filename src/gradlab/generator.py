"""``gradlab.Generator``: PyTorch's generator object over a NumPy PCG64 bit generator.

A :class:`Generator` *is* a ``numpy.random.Generator`` (a subclass), so it goes wherever
gradlab takes ``generator=`` (rand, randn, randint, randperm, random_split, the samplers, the
DataLoader) and also has PyTorch's methods: ``manual_seed``, ``seed``, ``initial_seed``,
``get_state``/``set_state``. The same seed gives the same numbers in gradlab; they are not
PyTorch's numbers (PyTorch draws from a Mersenne Twister).
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 67280421310721
"""The seed of a freshly built ``torch.Generator()`` (and so of ``gradlab.Generator()``)."""

_STATE_BYTES = 16 + 16 + 1 + 4


class Generator(np.random.Generator):
    """A random-number generator: ``g = gradlab.Generator().manual_seed(0)``.

    Args:
        device: only ``"cpu"`` (a ``gradlab.device`` or its name).
    """

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise RuntimeError(
                f"Generator(device={device!r}): gradlab has only the cpu device (CUDA is not "
                f"implemented in gradlab)"
            )
        super().__init__(np.random.PCG64(DEFAULT_SEED))
        self._initial_seed = DEFAULT_SEED

    @property
    def device(self):
        return "cpu"

    def manual_seed(self, seed) -> Generator:
        """Reseed from an integer (any Python int: negative and large seeds are reduced
        modulo 2**64, as PyTorch) and return self."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(
                f"manual_seed expected a long, but got {type(seed).__name__} ({seed!r})"
            )
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise ValueError(
                f"manual_seed: seed {seed} is out of range (expected -2**63 <= seed < 2**64)"
            )
        seed %= 1 << 64
        self.bit_generator.state = np.random.PCG64(seed).state
        self._initial_seed = seed
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; return the new seed."""
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed last given to :meth:`manual_seed` (or :meth:`seed`)."""
        return self._initial_seed

    def get_state(self):
        """The generator's state as a uint8 Tensor (PyTorch's ByteTensor form)."""
        from gradlab.tensor import Tensor

        state = self.bit_generator.state
        packed = (
            state["state"]["state"].to_bytes(16, "little")
            + state["state"]["inc"].to_bytes(16, "little")
            + bytes([state["has_uint32"]])
            + int(state["uinteger"]).to_bytes(4, "little")
        )
        return Tensor(np.frombuffer(packed, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state returned by :meth:`get_state`; return self."""
        raw = np.asarray(new_state.numpy() if hasattr(new_state, "numpy") else new_state)
        if raw.dtype != np.uint8:
            raise TypeError(
                f"RNG state must be a uint8 tensor (gradlab.ByteTensor), got dtype {raw.dtype}"
            )
        if raw.shape != (_STATE_BYTES,):
            raise RuntimeError(
                f"Generator.set_state: expected the uint8 tensor of shape ({_STATE_BYTES},) "
                f"that get_state() returns, got dtype {raw.dtype} and shape {raw.shape}"
            )
        packed = raw.tobytes()
        self.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(packed[:16], "little"),
                "inc": int.from_bytes(packed[16:32], "little"),
            },
            "has_uint32": packed[32],
            "uinteger": int.from_bytes(packed[33:37], "little"),
        }
        return self

    def __reduce__(self):
        # numpy's own reduce would rebuild a plain numpy Generator: keep the class and seed.
        return (_rebuild, (self.get_state().numpy().copy(), self._initial_seed))

    def __repr__(self) -> str:
        return f"<gradlab.Generator seed={self._initial_seed}>"

    __str__ = __repr__


def _rebuild(state: np.ndarray, initial_seed: int) -> Generator:
    g = Generator()
    g.set_state(state)
    g._initial_seed = initial_seed
    return g
