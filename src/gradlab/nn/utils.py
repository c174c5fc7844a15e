"""gradlab.nn.utils: gradient clipping (defined in gradlab.optim.clip), as torch.nn.utils."""
