"""The base of the Trainer's callbacks: :class:`Callback` (no-op hooks) and :class:`CallbackList`,
which calls a hook on every callback that overrides it. The callbacks themselves are gathered
in :mod:`gradlab.train.callbacks`."""

from __future__ import annotations

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_batch_begin", "on_batch_end")  # fmt: skip


class Callback:
    """Base class: every hook is a no-op; override the ones you need.

    ``runs_last``: when True, the callback's hooks run after every other callback's, wherever
    it is in the list (a checkpoint of the training state must see their work).
    ``chief_only``: when True (callbacks that write files), only the chief process of a
    distributed fit runs its hooks (``gradlab.train.strategy``); the others keep its state.
    """

    trainer = None
    runs_last = False
    chief_only = False

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class CallbackList:
    """Calls each hook on every callback, in order (those with ``runs_last`` after the rest).

    ``callbacks``: the callbacks in the order given (a training state lists them so). The
    hooks are bound once here, leaving out the base class's no-ops, so a hook that no
    callback overrides costs one empty call per batch. ``chief``: False leaves out the hooks
    of ``chief_only`` callbacks (a process of a distributed fit other than rank 0).
    """

    def __init__(self, callbacks, trainer, chief=True):
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback objects, got {cb!r}")
            cb.set_trainer(trainer)
        self.callbacks = callbacks
        self.chief = chief
        active = [cb for cb in callbacks if self.runs(cb)]
        calling = [cb for cb in active if not cb.runs_last]
        calling += [cb for cb in active if cb.runs_last]
        for hook in _HOOKS:
            methods = [getattr(cb, hook) for cb in calling if _overrides(cb, hook)]
            setattr(self, hook, _call_all(methods))

    def runs(self, callback) -> bool:
        """Whether this list calls ``callback``'s hooks (not for a ``chief_only`` one off
        the chief process)."""
        return self.chief or not callback.chief_only


def _overrides(callback, hook: str) -> bool:
    """Whether ``callback``'s ``hook`` does something (is not Callback's no-op)."""
    method = getattr(callback, hook)
    return getattr(method, "__func__", None) is not getattr(Callback, hook)


def _call_all(methods):
    if not methods:
        return _no_op
    if len(methods) == 1:
        return methods[0]

    def call(*args):
        for method in methods:
            method(*args)

    return call


def _no_op(*args):
    pass
