"""Clear errors for PyTorch names that gradlab does not have.

``gradlab.cuda.Stream``, ``gradlab.nn.Transformer``, ``gradlab.optim.SparseAdam`` ...: a name
PyTorch has in that namespace raises an AttributeError that says it is not implemented in
gradlab and, where one exists, what to use instead. Each namespace's ``__getattr__`` (module
level, called only for names the module does not define) calls :func:`missing`.
"""

from __future__ import annotations

import gradlab.torch_names as torch_names

_AREAS = {
    "cuda": "gradlab computes on the CPU with NumPy: CUDA is not implemented in gradlab "
    "(use the cpu device)",
    "sparse": "sparse tensors are not implemented in gradlab (use dense tensors)",
    "distributed": "torch.distributed (process groups, RPC, FSDP) is not implemented in "
    "gradlab; for data-parallel training over MPI see gradlab.distributed",
    "jit": "TorchScript (torch.jit) is not implemented in gradlab; run the Python model",
    "compile": "torch.compile is not implemented in gradlab; call the model directly",
    "onnx": "ONNX export is not implemented in gradlab",
    "fx": "torch.fx graph capture is not implemented in gradlab; see gradlab.explain for "
    "rendering a computation graph",
    "quantization": "quantization is not implemented in gradlab",
    "ao": "torch.ao (quantization, pruning) is not implemented in gradlab",
    "amp": "automatic mixed precision is not implemented in gradlab (float32 or float64)",
    "autocast": "automatic mixed precision is not implemented in gradlab (float32 or float64)",
    "mps": "Apple's MPS backend is not implemented in gradlab (CPU only)",
    "xpu": "the XPU backend is not implemented in gradlab (CPU only)",
    "export": "torch.export is not implemented in gradlab",
    "hub": "torch.hub is not implemented in gradlab; build the model and load a state_dict "
    "with gradlab.load (it reads torch.save's .pt files)",
    "multiprocessing": "torch.multiprocessing is not implemented in gradlab; use Python's "
    "multiprocessing (DataLoader(num_workers=...) already loads in worker processes)",
    "bfloat16": "bfloat16 is not implemented in gradlab (NumPy has no bfloat16); use float16 "
    "or float32",
    "vmap": "vmap is not implemented in gradlab; batch the computation explicitly",
    "func": "torch.func (functional transforms) is not implemented in gradlab",
    "masked": "masked tensors are not implemented in gradlab; use where/masked_fill",
    "nested": "nested tensors are not implemented in gradlab; pad sequences instead",
    "fft": "torch.fft is not implemented in gradlab (NumPy's numpy.fft works on .numpy())",
}

_INSTEAD = {
    "gradlab": {
        "Size": "tensor shapes are tuples in gradlab (x.shape, x.size())",
        "sparse_coo_tensor": _AREAS["sparse"],
        "set_num_threads": "gradlab's BLAS threads are NumPy's (set OMP_NUM_THREADS before "
        "starting Python)",
    },
    "gradlab.nn": {
        "DataParallel": "gradlab runs on one CPU process; use the model directly, or "
        "gradlab.distributed for data parallelism over MPI",
        "parallel": "gradlab runs on one CPU process; use the model directly",
        "Transformer": "gradlab has nn.TransformerEncoderLayer and nn.TransformerEncoder; "
        "the full encoder-decoder nn.Transformer is not implemented",
        "TransformerDecoderLayer": "gradlab has nn.TransformerEncoderLayer only",
        "TransformerDecoder": "gradlab has nn.TransformerEncoder only",
        "LazyLinear": "lazy modules are not implemented in gradlab; give in_features to nn.Linear",
    },
    "gradlab.optim": {
        "SparseAdam": _AREAS["sparse"] + "; use optim.Adam",
        "ASGD": "use optim.SGD",
        "Rprop": "use optim.RMSprop or optim.Adam",
        "swa_utils": "stochastic weight averaging is not implemented in gradlab",
    },
}

_TABLES = {
    "gradlab": torch_names.TORCH,
    "gradlab.nn": torch_names.NN,
    "gradlab.nn.functional": torch_names.FUNCTIONAL,
    "gradlab.optim": torch_names.OPTIM,
    "gradlab.optim.lr_scheduler": torch_names.LR_SCHEDULER,
    "gradlab.linalg": torch_names.LINALG,
}

_TORCH_SPELLING = {
    "gradlab": "torch",
    "gradlab.nn": "torch.nn",
    "gradlab.nn.functional": "torch.nn.functional",
    "gradlab.optim": "torch.optim",
    "gradlab.optim.lr_scheduler": "torch.optim.lr_scheduler",
    "gradlab.linalg": "torch.linalg",
}


def missing(namespace: str, name: str) -> AttributeError:
    """The AttributeError for ``namespace.name`` (``namespace`` as ``"gradlab.nn"``)."""
    if name.startswith("__") and name.endswith("__"):  # protocol probes (copy, pickle, ...)
        return AttributeError(f"module {namespace!r} has no attribute {name!r}")
    hint = _INSTEAD.get(namespace, {}).get(name) or _AREAS.get(name)
    lowered = name.lower()
    if hint is None and ("cuda" in lowered or "cudnn" in lowered):
        hint = _AREAS["cuda"]
    if hint is None and "sparse" in lowered:
        hint = _AREAS["sparse"]
    if name in _TABLES.get(namespace, ()) or hint is not None:
        torch_name = f"{_TORCH_SPELLING.get(namespace, namespace)}.{name}"
        message = f"{namespace}.{name} is not implemented in gradlab ({torch_name} exists in "
        message += "PyTorch but has no gradlab counterpart)"
        if hint:
            message += f": {hint}"
        return AttributeError(message)
    return AttributeError(f"module {namespace!r} has no attribute {name!r}")
