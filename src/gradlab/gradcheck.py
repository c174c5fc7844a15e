"""gradcheck: compare an op's backward against central finite differences, in float64.

``gradcheck(fn, inputs)`` builds two Jacobians of ``fn`` for every input that requires a
gradient: the analytical one, one row per output element, by calling ``backward`` with a
one-hot output gradient on a fresh graph; and the numerical one, one column per input
element, by central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``. It returns True when
they agree within ``atol + rtol * |numerical|`` everywhere, and raises :class:`GradcheckError`
naming the worst entry otherwise. An input that gets no gradient counts as a zero gradient.

``gradgradcheck(fn, inputs)`` checks second derivatives the same way, as PyTorch's: it
gradchecks the function ``(inputs, v) -> grad(fn(inputs), inputs, v, create_graph=True)``,
whose backward is the double backward of ``fn``'s ops.
"""

from __future__ import annotations

import numpy as np

from gradlab import autograd
from gradlab.tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

# PyTorch's options that gradlab's checks do not have: accepted at their default values only.
_OPTIONS = {
    "nondet_tol": 0.0, "check_undefined_grad": True, "check_grad_dtypes": False,
    "check_batched_grad": False, "check_batched_forward_grad": False, "check_forward_ad": False,
    "check_backward_ad": True, "fast_mode": False, "masked": None,
    "gen_non_contig_grad_outputs": False, "check_fwd_over_rev": False, "check_rev_over_rev": True,
}  # fmt: skip


def _check_options(fn: str, options: dict) -> None:
    for name, value in options.items():
        if name not in _OPTIONS:
            raise TypeError(f"{fn}() got an unexpected keyword argument {name!r}")
        if value != _OPTIONS[name] and not (name == "masked" and not value):
            raise NotImplementedError(
                f"{fn}({name}={value!r}) is not implemented in gradlab (only the default, "
                f"{_OPTIONS[name]!r})"
            )


class GradcheckError(RuntimeError):
    """The analytical gradient of a function disagrees with its finite differences."""


def _as_tuple(values) -> tuple:
    return values if isinstance(values, tuple) else (values,)


def _outputs(fn, inputs) -> tuple:
    """fn's results as a tuple of Tensors (non-Tensor results are not differentiable)."""
    outputs = _as_tuple(fn(*inputs))
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(
                f"gradcheck: fn must return a Tensor or a tuple of Tensors, output {k} is a "
                f"{type(out).__name__}"
            )
    return outputs


def _checked_inputs(inputs: tuple) -> list:
    checked = []
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad:
            if t.dtype != np.float64:
                raise TypeError(
                    f"gradcheck: input {i} has dtype {t.dtype}; inputs that require grad must "
                    f"be float64 (finite differences in float32 are too coarse)"
                )
            checked.append(i)
    if not checked:
        raise ValueError("gradcheck: no input requires grad; nothing to check")
    return checked


def _analytical(fn, inputs, checked, shapes) -> list:
    """One Jacobian per (checked input, output): arrays of shape (out.size, input.size)."""
    jacobians = [
        [np.zeros((int(np.prod(s)), inputs[i]._data.size)) for s in shapes] for i in checked
    ]
    for k, shape in enumerate(shapes):
        for j in range(int(np.prod(shape))):
            for i in checked:
                inputs[i].grad = None
            with autograd.enable_grad():
                out = _outputs(fn, inputs)[k]
            if not out.requires_grad:
                continue  # every gradient is zero
            onehot = np.zeros(shape, dtype=out.dtype)
            onehot[np.unravel_index(j, shape)] = 1
            out.backward(onehot)
            for n, i in enumerate(checked):
                grad = None if inputs[i].grad is None else inputs[i].grad.numpy()
                if grad is None:
                    continue
                if grad.shape != inputs[i].shape:
                    raise GradcheckError(
                        f"gradcheck: input {i} has shape {inputs[i].shape} but received a "
                        f"gradient of shape {grad.shape}"
                    )
                jacobians[n][k][j] = np.asarray(grad, dtype=np.float64).reshape(-1)
    return jacobians


def _numerical(fn, inputs, checked, shapes, eps) -> list:
    """Central-difference Jacobians, same layout as :func:`_analytical`."""
    jacobians = []
    with autograd.no_grad():
        for i in checked:
            data = inputs[i]._data
            per_output = [np.zeros((int(np.prod(s)), data.size)) for s in shapes]
            for e in range(data.size):
                where = np.unravel_index(e, data.shape)
                original = data[where].copy()
                data[where] = original + eps
                plus = [np.array(o._data, dtype=np.float64) for o in _outputs(fn, inputs)]
                data[where] = original - eps
                minus = [np.array(o._data, dtype=np.float64) for o in _outputs(fn, inputs)]
                data[where] = original
                for k in range(len(shapes)):
                    per_output[k][:, e] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)
            jacobians.append(per_output)
    return jacobians


def gradcheck(
    fn,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    raise_exception: bool = True,
    **options,
) -> bool:
    """Check ``fn``'s gradients with respect to every input that requires grad.

    Args:
        fn: called as ``fn(*inputs)``; returns a Tensor of any shape or a tuple of Tensors.
        inputs: a Tensor, or a tuple of Tensors and other values (passed through unchanged).
            Tensors with ``requires_grad=True`` are checked and must be float64.
        eps: the finite-difference step.
        atol, rtol: an entry passes when ``|numerical - analytical| <= atol + rtol * |numerical|``.

    Returns True, or raises :class:`GradcheckError` naming the input, the input element, the
    output element, both values and the largest mismatch (returns False instead with
    ``raise_exception=False``). The inputs' ``.grad`` are untouched.
    """
    _check_options("gradcheck", options)
    try:
        return _gradcheck(fn, inputs, eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck(fn, inputs, eps, atol, rtol) -> bool:
    inputs = _as_tuple(inputs)
    checked = _checked_inputs(inputs)
    # Fresh leaves sharing the data: the caller's .grad stay untouched, and a non-leaf input
    # is differentiated as if it were a leaf.
    inputs = tuple(
        Tensor(t._data, requires_grad=True) if i in checked else t for i, t in enumerate(inputs)
    )
    with autograd.enable_grad():
        shapes = [o.shape for o in _outputs(fn, inputs)]
    analytical = _analytical(fn, inputs, checked, shapes)
    numerical = _numerical(fn, inputs, checked, shapes, eps)
    for n, i in enumerate(checked):
        for k, shape in enumerate(shapes):
            num, ana = numerical[n][k], analytical[n][k]
            with np.errstate(invalid="ignore"):
                excess = np.abs(num - ana) - (atol + rtol * np.abs(num))
            excess = np.where(np.isnan(num) & np.isnan(ana), -1.0, excess)
            bad = ~(excess <= 0)  # NaN on one side counts as a failure
            if not bad.any():
                continue
            worst = np.unravel_index(
                np.argmax(np.where(bad, np.nan_to_num(excess, nan=np.inf), -np.inf)), excess.shape
            )
            j, e = int(worst[0]), int(worst[1])
            out_index = np.unravel_index(j, shape) if shape else ()
            in_index = np.unravel_index(e, inputs[i].shape)
            largest = np.nanmax(np.abs(num - ana)) if np.isfinite(num - ana).any() else np.nan
            raise GradcheckError(
                f"gradcheck: Jacobian mismatch for input {i} (shape {inputs[i].shape}) at "
                f"element {tuple(int(x) for x in in_index)}, output {k} (shape {shape}) "
                f"element {tuple(int(x) for x in out_index)}: numerical {num[j, e]:.8g} vs "
                f"analytical {ana[j, e]:.8g}; {int(bad.sum())} of {bad.size} entries differ, "
                f"largest mismatch {largest:.3g} (atol={atol}, rtol={rtol})"
            )
    return True


def gradgradcheck(
    fn,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **options,
) -> bool:
    """Check ``fn``'s second derivatives (as ``torch.autograd.gradgradcheck``).

    ``grad_outputs`` (one per output, float64) weigh the outputs; by default they are drawn
    from a fixed-seed normal distribution. Returns True, or raises :class:`GradcheckError`
    (returns False with ``raise_exception=False``).
    """
    from gradlab.autograd_api import grad

    _check_options("gradgradcheck", options)
    inputs = _as_tuple(inputs)
    checked = _checked_inputs(inputs)
    with autograd.enable_grad():
        outputs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outputs
        )
    else:
        grad_outputs = tuple(
            Tensor(np.asarray(g._data, np.float64), requires_grad=True)
            for g in _as_tuple(grad_outputs)
        )
    count = len(inputs)

    def first_derivatives(*args):
        with autograd.enable_grad():
            values = _outputs(fn, args[:count])
            pairs = [(o, g) for o, g in zip(values, args[count:]) if o.requires_grad]
            wanted = [args[i] for i in checked]
            grads = grad(
                [o for o, _ in pairs], wanted, [g for _, g in pairs],
                create_graph=True, allow_unused=True,
            ) if pairs else (None,) * len(wanted)  # fmt: skip
        return tuple(
            Tensor(np.zeros(t.shape, t.dtype)) if g is None else g for g, t in zip(grads, wanted)
        )

    return gradcheck(
        first_derivatives,
        inputs + grad_outputs,
        eps,
        atol,
        rtol,
        raise_exception=raise_exception,
    )
