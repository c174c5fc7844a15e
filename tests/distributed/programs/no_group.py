"""Trainer.fit under mpiexec without init_process_group: it warns (and trains alone)."""

import warnings

import numpy as np

from gradlab import nn, optim
from gradlab.train import Trainer

model = nn.Linear(2, 1)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    Trainer(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1)).fit(
        np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), verbose=0
    )
print("WARNED" if any("no process group" in str(w.message) for w in caught) else "SILENT")
