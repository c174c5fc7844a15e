"""Probability distributions (PyTorch's ``torch.distributions``)."""
