"""Probability distributions (PyTorch's ``torch.distributions``): ``Categorical``,
``Bernoulli``, ``Normal`` and ``Uniform``, with ``sample``, ``rsample`` (Normal, Uniform),
``log_prob``, ``entropy``, ``mean``/``stddev``/``variance``, for policy-gradient (REINFORCE)
and variational (VAE) programs.
"""

from gradlab.distributions.bernoulli import Bernoulli
from gradlab.distributions.categorical import Categorical
from gradlab.distributions.distribution import Distribution
from gradlab.distributions.normal import Normal
from gradlab.distributions.uniform import Uniform

__all__ = ["Distribution", "Categorical", "Bernoulli", "Normal", "Uniform"]


def __getattr__(name):
    raise AttributeError(
        f"gradlab.distributions.{name} is not implemented in gradlab (it has Categorical, "
        f"Bernoulli, Normal and Uniform)"
    )
