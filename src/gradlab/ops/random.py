"""Random sampling as PyTorch's functions: multinomial, bernoulli, normal, poisson.

Every draw comes from gradlab's explicit generator (:func:`gradlab.manual_seed`) or the one
passed as ``generator=``, never from NumPy's global state. The distributions are PyTorch's;
the numbers for a given seed are not (PyTorch draws from a different bit generator). The
generator draws on the host; the draws are copied to the input's device (:func:`_on_device`)
and the rest is done there by its array module.
"""

from __future__ import annotations

import numpy as np

from gradlab.backend import (
    array_module,
    backend_of,
    default_generator,
    get_default_dtype,
    resolve_device,
    to_host,
)
from gradlab.tensor import Tensor

__all__ = ["multinomial", "bernoulli", "normal", "poisson"]


def _rng(generator):
    return default_generator() if generator is None else generator


def _on_device(draws, like):
    """Host ``draws`` copied to the device of the array ``like``."""
    return backend_of(like).from_host(draws)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):  # noqa: A002
    """Indices drawn from the categories of each row of ``input`` (non-negative weights, not
    necessarily normalized): (num_samples,) for 1-D input, (rows, num_samples) for 2-D."""
    xp = array_module(input)
    weights = input._data
    if weights.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if weights.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {weights.dtype}"
        )
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    categories = rows.shape[1]
    if not replacement and num_samples > categories:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if not xp.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng(generator)
    if replacement:
        cdf = xp.cumsum(rows / totals, axis=1)
        draws = _on_device(rng.random((rows.shape[0], num_samples)), rows)
        picks = xp.stack([xp.searchsorted(c, d, side="right") for c, d in zip(cdf, draws)])
        # rounding can leave the cdf's end below 1: fall back to the last positive category
        last = categories - 1 - xp.argmax(rows[:, ::-1] > 0, axis=1)
        picks = xp.minimum(picks, last[:, None])
    else:
        if ((rows > 0).sum(axis=1) < num_samples).any():
            raise RuntimeError(
                "invalid multinomial distribution (with replacement=False, not enough "
                "non-negative category to sample)"
            )
        # Sampling without replacement in proportion to the weights is taking the smallest
        # keys E / w with E exponential (Efraimidis and Spirakis).
        with np.errstate(divide="ignore"):
            keys = _on_device(rng.exponential(size=rows.shape), rows) / rows
        picks = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    picks = picks.astype(np.int64)
    return Tensor(picks.reshape(num_samples) if weights.ndim == 1 else picks)


def bernoulli(input, p=None, *, generator=None, out=None):  # noqa: A002
    """1 with probability ``input`` (or ``p``) per entry, else 0, in input's dtype."""
    xp = array_module(input)
    probs = input._data if p is None else xp.full(input.shape, p, np.float64)
    if ((probs < 0) | (probs > 1)).any() or not xp.isfinite(probs).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    draws = _on_device(_rng(generator).random(input.shape), input._data) < probs
    return Tensor(draws.astype(input.dtype))


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):  # fmt: skip
    """Normal samples: with tensors for mean and/or std, one per broadcast entry; with two
    numbers, a tensor of ``size``."""
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if device is not None or not tensors:
        target = resolve_device(device, "normal")
    else:
        target = backend_of(tensors[0]._data)
    xp = target.xp
    if not tensors and size is None:
        raise TypeError("normal() with float mean and std needs a size")
    std_array = std._data if isinstance(std, Tensor) else xp.asarray(std)
    if (std_array < 0).any():
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std_array.min()}")
    mean_array = mean._data if isinstance(mean, Tensor) else xp.asarray(mean)
    if tensors:
        shape = np.broadcast_shapes(mean_array.shape, std_array.shape)
        out_dtype = np.result_type(*(t._data for t in tensors))
        if out_dtype.kind != "f":
            raise RuntimeError("normal expects a floating mean and std")
    else:
        shape = tuple(size)
        out_dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
    draws = target.from_host(_rng(generator).standard_normal(shape)) * std_array + mean_array
    t = Tensor(draws.astype(out_dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def poisson(input, generator=None):  # noqa: A002
    """Poisson samples with rates ``input``, in input's dtype."""
    rates = input._data
    if (rates < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    samples = _rng(generator).poisson(to_host(rates))  # NumPy's sampler takes host rates
    return Tensor(_on_device(samples.astype(input.dtype), rates))
