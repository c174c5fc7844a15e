"""gradlab.nn.utils: gradient clipping, as ``torch.nn.utils`` (defined in gradlab.optim.clip)."""

from gradlab.optim.clip import clip_grad_norm_, clip_grad_value_  # noqa: F401
