"""gradlab.nn.utils: gradient clipping, as ``torch.nn.utils`` (defined in gradlab.nn.clip)."""

from gradlab.nn.clip import clip_grad_norm_, clip_grad_value_  # noqa: F401
