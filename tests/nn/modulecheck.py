"""A shared test helper: gradcheck of a module in its inputs and every trainable parameter."""

from gradlab.autograd import gradcheck


def module_gradcheck(module, *inputs):
    """gradcheck of module(*inputs) with respect to the inputs and every trainable parameter
    (the parameters are swapped for gradcheck's leaves during each call)."""
    slots = [
        (m, n)
        for m in module.modules()
        for n, p in m._parameters.items()
        if p is not None and p.requires_grad
    ]
    params = [getattr(m, n) for m, n in slots]

    def fn(*tensors):
        for (m, n), p in zip(slots, tensors[len(inputs) :]):
            object.__setattr__(m, n, p)
        try:
            return module(*tensors[: len(inputs)])
        finally:
            for (m, n), p in zip(slots, params):
                object.__setattr__(m, n, p)

    return gradcheck(fn, (*inputs, *params))
