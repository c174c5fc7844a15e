"""What ``Trainer.fit`` prints: verbose=0 nothing; 1 a tqdm bar per epoch on a terminal,
else one line per epoch; 2 one line per epoch."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


class _NoBar:
    def update(self, loss):
        pass

    def close(self):
        pass


class _Bar:
    def __init__(self, epoch, epochs, steps, initial=0):
        self.bar = tqdm(total=steps, initial=initial, desc=f"Epoch {epoch + 1}/{epochs}",
                        leave=True, file=sys.stdout, dynamic_ncols=True)  # fmt: skip

    def update(self, loss):
        self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        self.bar.update(1)

    def close(self):
        self.bar.close()


class Progress:
    """verbose=0: silent; 1: a tqdm bar per epoch on a terminal, else one line per epoch;
    2: one line per epoch. ``steps``: batches per epoch."""

    def __init__(self, verbose, epochs, steps):
        self.verbose, self.epochs, self.steps = verbose, epochs, steps
        self.tty = verbose == 1 and sys.stdout.isatty()

    def bar(self, epoch, initial=0):
        """The bar of one epoch (a no-op object when not shown); ``initial``: batches
        already done (a resumed epoch)."""
        return _Bar(epoch, self.epochs, self.steps, initial) if self.tty else _NoBar()

    def epoch_end(self, epoch, logs):
        if self.verbose:
            items = " - ".join(f"{k}: {v:.4g}" for k, v in logs.items())
            tqdm.write(f"Epoch {epoch + 1}/{self.epochs} - {items}", file=sys.stdout)
