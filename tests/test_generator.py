"""The default generator as PyTorch's: manual_seed returns it, initial_seed, seed,
get_rng_state/set_rng_state as a uint8 tensor that round-trips."""

import numpy as np
import pytest

import gradlab

torch = pytest.importorskip("torch")


def test_manual_seed_returns_the_default_generator():
    g = gradlab.manual_seed(3)
    assert isinstance(g, gradlab.Generator) and g is gradlab.default_generator
    assert isinstance(gradlab.default_generator, gradlab.Generator)
    assert gradlab.initial_seed() == 3 == torch.manual_seed(3).initial_seed()
    a = gradlab.rand(4)
    gradlab.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), gradlab.rand(4).numpy())


@pytest.mark.parametrize("seed", [-1, 2**63, -(2**63), 2**64 - 1, True, "7", 7.9])
def test_manual_seed_takes_what_torch_takes(seed):
    assert gradlab.manual_seed(seed).initial_seed() == torch.manual_seed(seed).initial_seed()


@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1])
def test_manual_seed_refuses_out_of_range_seeds(seed):
    with pytest.raises(ValueError):
        torch.manual_seed(seed)
    with pytest.raises(ValueError, match="out of range"):
        gradlab.manual_seed(seed)


def test_generator_manual_seed_refuses_non_integers_as_torch():
    for bad in (1.5, True, "3"):
        with pytest.raises(RuntimeError, match="expected a long"):
            torch.Generator().manual_seed(bad)
        with pytest.raises(RuntimeError, match="expected a long"):
            gradlab.Generator().manual_seed(bad)


def test_seed_reseeds_nondeterministically():
    s = gradlab.seed()
    assert isinstance(s, int) and 0 <= s < 2**64 and gradlab.initial_seed() == s


def test_rng_state_round_trips_as_a_uint8_tensor():
    gradlab.manual_seed(0)
    gradlab.randn(3)
    state = gradlab.get_rng_state()
    assert isinstance(state, gradlab.Tensor) and state.dtype is gradlab.uint8
    assert state.ndim == 1
    a = gradlab.randn(5)
    gradlab.rand(7)
    gradlab.set_rng_state(state)
    np.testing.assert_array_equal(a.numpy(), gradlab.randn(5).numpy())
    assert gradlab.default_generator.get_state().shape == state.shape


def test_set_rng_state_refuses_what_torch_refuses():
    with pytest.raises(TypeError, match="ByteTensor"):
        torch.set_rng_state(torch.get_rng_state().float())
    with pytest.raises(TypeError, match="uint8"):
        gradlab.set_rng_state(gradlab.get_rng_state().float())
    with pytest.raises(RuntimeError, match="shape"):
        gradlab.set_rng_state(gradlab.zeros(3, dtype=gradlab.uint8))
