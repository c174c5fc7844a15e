"""Readable references of the layers that have a fast path, built only from Tensor ops.

As PyTorch keeps ``_single_tensor_sgd`` beside its fused optimizer kernels, gradlab keeps
beside each fast path a version a learner can read top to bottom and step through, whose
backward is autograd's:

- :mod:`~gradlab.nn.reference.recurrent_cells`: one RNN, LSTM and GRU step, the gate
  equations (``c = f*c + i*g``, ``h = o*tanh(c)``);
- :mod:`~gradlab.nn.reference.recurrent`: the layer/direction/time loop over those cells;
- :mod:`~gradlab.nn.reference.conv`: convolution as im2col and one matrix product;
- :mod:`~gradlab.nn.reference.pool`: max, average and adaptive average pooling;
- :mod:`~gradlab.nn.reference.cross_entropy`: log-softmax and the negative log-likelihood.

``gradlab.use_reference_kernels(True)`` or ``with gradlab.reference_kernels():`` runs the
layers on these (:mod:`~gradlab.nn.reference.switch`); tensors on a device other than the CPU
always do. The tests compare every fast path with its reference, values and gradients.
"""

from gradlab.nn.reference.switch import (
    are_reference_kernels_enabled,
    reference_kernels,
    use_reference_kernels,
    wants_reference,
)

__all__ = [
    "are_reference_kernels_enabled",
    "reference_kernels",
    "use_reference_kernels",
    "wants_reference",
]
