"""Keras's optimizers (``keras.optimizers``) with Keras's defaults and update rules, each a
gradlab Optimizer once built; ``get("adam")`` by name; ``schedules`` for step-based rates."""

from gradlab.keras.optimizers import schedules
from gradlab.keras.optimizers.adagrad import Adagrad
from gradlab.keras.optimizers.adam import Adam, AdamW
from gradlab.keras.optimizers.nadam import Nadam
from gradlab.keras.optimizers.optimizer import Optimizer
from gradlab.keras.optimizers.rmsprop import RMSprop
from gradlab.keras.optimizers.sgd import SGD

_BY_NAME = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "nadam": Nadam,
}


def get(identifier) -> Optimizer:
    """An optimizer from a name ("adam", "sgd", ...; Keras's defaults) or an Optimizer."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _BY_NAME:
            raise ValueError(
                f"Unknown optimizer {identifier!r}; expected one of {sorted(_BY_NAME)}"
            )
        return _BY_NAME[key]()
    raise TypeError(
        f"Could not interpret optimizer {identifier!r}: expected a name or a "
        f"gradlab.keras.optimizers.Optimizer"
    )


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Nadam", "get", "schedules"]
