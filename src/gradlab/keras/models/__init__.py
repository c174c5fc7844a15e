"""``keras.models``: Sequential and Model (functional and subclassed)."""

from gradlab.keras.models.model import Model
from gradlab.keras.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
