"""``DistributedDataParallel``: a module whose gradients are averaged over the process group
during ``backward()``, as PyTorch's ``torch.nn.parallel.DistributedDataParallel``.

::

    dist.init_process_group("mpi")
    model = DistributedDataParallel(net)          # rank 0's weights, on every rank
    sampler = DistributedSampler(dataset)
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()       # gradients all-reduced and averaged here
            optimizer.step()                      # the same step on every rank

How: the wrapped module's forward runs inside one graph node (:class:`_Synchronized`). When
the backward pass reaches that node, the module's own graph is backpropagated, which leaves
every parameter's gradient of this forward complete; the gradients are then averaged in one
bucketed all-reduce (:mod:`gradlab.distributed.gradients`), and the node hands the input
gradients on. As in PyTorch, a parameter must not also be used outside the wrapped module,
and every rank must run backward the same number of times.
"""

from __future__ import annotations

import contextlib

from gradlab.autograd import Function, enable_grad
from gradlab.distributed.gradients import GradientBucket
from gradlab.distributed.process_group import default_comm
from gradlab.nn.module import Module
from gradlab.tensor import Tensor

__all__ = ["DistributedDataParallel"]


class _Synchronized(Function):
    """``module(*inputs)`` as one node; its backward runs the module's graph and then
    averages the parameters' gradients. Inputs: the module's inputs, then its parameters
    (listed so that the node is recorded even when no input needs a gradient)."""

    def forward(self, *arrays, ddp, n_inputs, wants_grad):
        leaves = []
        for array, wants in zip(arrays[:n_inputs], wants_grad):
            leaves.append(Tensor(array, requires_grad=True) if wants else Tensor(array))
        with enable_grad():
            output = ddp.module(*leaves)
        if not isinstance(output, Tensor):
            raise TypeError(
                f"DistributedDataParallel: the module ({type(ddp.module).__name__}) returned "
                f"{type(output).__name__}; gradlab's DistributedDataParallel takes modules "
                "that return one Tensor"
            )
        self.saved = (ddp, leaves, output)
        return output.data

    def backward(self, grad):
        ddp, leaves, output = self.saved
        if output.requires_grad:
            with enable_grad():
                output.backward(grad)
        if ddp.require_backward_grad_sync:
            ddp.bucket.average(ddp.comm)
        grads = [leaf.grad if leaf.requires_grad else None for leaf in leaves]
        return tuple(grads) + (None,) * (len(self.inputs) - len(leaves))


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group.

    On construction every parameter and buffer gets rank 0's values
    (``broadcast_buffers``). In training, each ``backward()`` through the wrapped module's
    output averages the parameters' gradients over the ranks, so every rank's optimizer
    makes the same step. Under ``no_grad`` (or ``no_sync()``) nothing is exchanged.

    Args:
        module: the model; it returns one Tensor (B, ...).
        device_ids, output_device, dim, bucket_cap_mb, find_unused_parameters,
        gradient_as_bucket_view, static_graph: accepted for PyTorch's signature (one flat
            bucket per dtype; unused parameters are always found).
        broadcast_buffers: also copy rank 0's buffers (running statistics) at construction.

    ``state_dict()`` keys start with ``module.``, as PyTorch's.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):  # fmt: skip
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: module must be a gradlab Module, got "
                f"{type(module).__name__}"
            )
        self.module = module
        self.comm = default_comm()
        self.require_backward_grad_sync = True
        self.bucket = GradientBucket(list(module.parameters()))
        tensors = list(module.parameters())
        if broadcast_buffers:
            tensors += list(module.buffers())
        for t in tensors:
            if t is not None:
                self.comm.Bcast(t.numpy(), root=0)

    def forward(self, *inputs):
        from gradlab.autograd import is_grad_enabled

        if not is_grad_enabled() or not self.training:
            return self.module(*inputs)
        inputs = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
        params = list(self.bucket.params)
        return _Synchronized.apply(
            *inputs,
            *params,
            ddp=self,
            n_inputs=len(inputs),
            wants_grad=tuple(x.requires_grad for x in inputs),
        )

    @contextlib.contextmanager
    def no_sync(self):
        """Within this context, backward accumulates gradients locally without averaging
        them (gradient accumulation); the first backward after it averages the sum."""
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
