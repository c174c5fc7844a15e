"""The training state: everything ``Trainer.fit`` needs to continue a killed run so that it
ends with exactly the weights and the History of the run that was never interrupted.

A training state is a plain dict (see :func:`capture`) that
:func:`gradlab.train.checkpoint.save` writes atomically and ``fit(..., resume_from=path)``
reads back. It holds:

- the model's, the optimizer's and the scheduler's ``state_dict``, and every callback's
  (by index and class name: a resumed fit must be given the same callbacks in the same order);
- the History so far and ``stop_training``;
- the position: the epoch, and the batches of it already trained (0 at an epoch boundary);
- within an epoch: the lr the epoch started with, the running loss sum and sample count, and
  the outputs and targets collected for the epoch's metrics, so the epoch's logs come out as
  in the uninterrupted run, bit for bit;
- the state of every ``numpy.random.Generator`` the run can draw from (gradlab's default
  generator, the loader's, and any held by the model's modules or the data pipeline), now
  and, within an epoch, as they were when the epoch's iteration started.

Resuming within an epoch redraws that epoch's sample order: every generator goes back to its
state at the start of the epoch's iteration, the loader's batches already trained are drawn
and dropped (no model work), then every generator gets the state it had at the checkpoint.
"""

from __future__ import annotations

import contextlib
import errno
import types
from pathlib import Path

import numpy as np

from gradlab.backend import default_generator
from gradlab.tensor import Tensor
from gradlab.train import checkpoint

FORMAT = "gradlab.training_state"
VERSION = 1


class EpochRun:
    """One epoch in progress: batches done, the running loss sum and sample count, the
    outputs (B, ...) and targets collected for metrics, the lr it started with, and the
    generator states at the start of its iteration (``rng_at_start``). ``rng_resume``:
    the states to set once a resumed epoch has skipped its trained batches."""

    def __init__(self, epoch: int, lr: float):
        self.epoch, self.lr = int(epoch), float(lr)
        self.batch, self.total, self.count = 0, 0.0, 0
        self.outputs: list = []
        self.targets: list = []
        self.rng_at_start: dict | None = None
        self.rng_resume: dict | None = None
        self.ended = False

    def add(self, loss: float, n: int, output=None, target=None) -> None:
        """Count one trained batch of ``n`` samples with mean loss ``loss``."""
        self.batch += 1
        self.total, self.count = self.total + loss * n, self.count + n
        if output is not None:
            self.outputs.append(output)
            self.targets.append(target)

    def collected(self):
        """``(outputs, targets)`` of the batches so far, each one array, or (None, None)."""
        if not self.outputs:
            return None, None
        if len(self.outputs) > 1:  # concatenating in steps gives the same array
            self.outputs = [np.concatenate(self.outputs)]
            self.targets = [np.concatenate(self.targets)]
        return self.outputs[0], self.targets[0]


# ---------------------------------------------------------------------------- generators
_LEAVES = (type(None), np.ndarray, Tensor, str, bytes, int, float, type, types.ModuleType)


def _walk(value, name: str, add, depth: int) -> None:
    """Report every Generator reachable from ``value`` through attributes, containers (their
    first 64 items) and closures, ``depth`` levels down."""
    if isinstance(value, np.random.Generator):
        add(name, value)
        return
    if depth == 0 or isinstance(value, _LEAVES):
        return
    if isinstance(value, dict):
        items = [(f"{name}[{k!r}]", v) for k, v in list(value.items())[:64]]
    elif isinstance(value, (list, tuple)):
        items = [(f"{name}[{i}]", v) for i, v in enumerate(value[:64])]
    else:
        items = [(f"{name}.{k}", v) for k, v in getattr(value, "__dict__", {}).items()]
        for i, cell in enumerate(getattr(value, "__closure__", None) or ()):
            with contextlib.suppress(ValueError):  # an empty cell has no contents
                items.append((f"{name}.<closure {i}>", cell.cell_contents))
    for item_name, item in items:
        _walk(item, item_name, add, depth - 1)


def find_generators(model, loader) -> dict:
    """name -> Generator for every generator the run can draw from: "default" (gradlab's,
    looked up now), the loader's, the model's modules', the data pipeline's. Each object
    is listed once, under the first name it is found by."""
    found: dict = {}
    seen: set = set()

    def add(name, generator):
        if id(generator) not in seen:
            seen.add(id(generator))
            found[name] = generator

    add("default", default_generator())
    for module_name, module in model.named_modules():
        for attr, value in vars(module).items():
            if isinstance(value, np.random.Generator):
                add(f"model.{module_name}.{attr}" if module_name else f"model.{attr}", value)
    _walk(loader, "loader", add, depth=5)
    return found


def rng_states(generators: dict) -> dict:
    return {name: g.bit_generator.state for name, g in generators.items()}


def set_rng_states(generators: dict, states: dict) -> None:
    for name, g in generators.items():
        g.bit_generator.state = states[name]


def epoch_batches(trainer, loader, run: EpochRun):
    """The batches of ``run``'s epoch still to train. A fresh epoch records the generator
    states before its iteration draws anything; a resumed one redraws the epoch's order
    from those states, drops the batches already trained, then restores the states the
    run had at its checkpoint."""
    generators = find_generators(trainer.model, loader)
    if run.rng_resume is None:
        run.rng_at_start = rng_states(generators)
        yield from loader
        return
    set_rng_states(generators, run.rng_at_start)
    batches = iter(loader)
    for _ in range(run.batch):
        next(batches)
    set_rng_states(generators, run.rng_resume)
    run.rng_resume = None
    yield from batches


# ---------------------------------------------------------------------------- capture
def capture(trainer) -> dict:
    """The training state of ``trainer`` now (see the module docstring). Exact when taken
    after every callback's hooks of a batch or an epoch, as BackupAndRestore does."""
    run, loader = trainer._run, trainer._fit_loader
    if run is None or loader is None:
        raise RuntimeError(
            "Trainer.training_state: no training in progress; it is available from a "
            "callback's on_batch_end or on_epoch_end during fit (or after fit)"
        )
    rng_now = rng_states(find_generators(trainer.model, loader))
    opt, sched = trainer.optimizer, trainer.scheduler
    state = {
        "format": FORMAT,
        "version": VERSION,
        "position": {
            "epoch": run.epoch + 1 if run.ended else run.epoch,
            "batch": 0 if run.ended else run.batch,
        },  # fmt: skip
        "data": _data_info(loader),
        "metrics": [m.name for m in trainer.metrics],
        "model": trainer.model.state_dict(),
        "optimizer": {"class": type(opt).__name__, "state": opt.state_dict()},
        "scheduler": None if sched is None else _named(sched),
        "callbacks": [_named(cb) for cb in trainer.callbacks.callbacks],
        "history": trainer.history.state_dict(),
        "stop_training": bool(trainer.stop_training),
        "epoch_progress": None,
        "rng": {"now": rng_now, "epoch_start": None},
    }
    if not run.ended:
        outputs, targets = run.collected()
        state["epoch_progress"] = {"lr": run.lr, "total": run.total, "count": run.count,
                                   "outputs": outputs, "targets": targets}  # fmt: skip
        state["rng"]["epoch_start"] = run.rng_at_start
    return state


def _named(obj) -> dict:
    return {"class": type(obj).__name__, "state": obj.state_dict()}


def _data_info(loader) -> dict:
    return {"samples": len(loader.dataset), "batch_size": loader.batch_size,
            "batches_per_epoch": len(loader)}  # fmt: skip


# ---------------------------------------------------------------------------- resume
def read(path) -> dict:
    """The training state in the file at ``path``. FileNotFoundError when there is no file,
    CheckpointError when it is not a training checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            errno.ENOENT,
            "fit: resume_from names no file (a training checkpoint is written by "
            "BackupAndRestore, or by checkpoint.save(trainer.training_state(), path))",
            str(path),
        )
    state = checkpoint.load(path)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        kind = sorted(state)[:6] if isinstance(state, dict) else type(state).__name__
        raise checkpoint.CheckpointError(
            path,
            f"a gradlab checkpoint but not a training state (it holds {kind}); "
            "resume_from needs a file written by BackupAndRestore",
        )
    if state.get("version") != VERSION:
        raise checkpoint.CheckpointError(
            path, f"training state version {state.get('version')!r}, expected {VERSION}"
        )
    return state


def check(trainer, state: dict, loader, epochs: int, path) -> None:
    """Raise ValueError listing every way ``state`` does not fit this trainer and data,
    before anything is changed."""
    problems = _model_problems(trainer.model, state["model"])
    opt = trainer.optimizer
    saved_opt = state["optimizer"]
    if saved_opt["class"] != type(opt).__name__:
        problems.append(f"optimizer: the checkpoint has {saved_opt['class']}, this trainer "
                        f"has {type(opt).__name__}")  # fmt: skip
    else:
        saved_sizes = [len(g["params"]) for g in saved_opt["state"]["param_groups"]]
        sizes = [len(g["params"]) for g in opt.param_groups]
        if saved_sizes != sizes:
            problems.append(f"optimizer: parameter groups of sizes {saved_sizes} in the "
                            f"checkpoint, {sizes} in this optimizer")  # fmt: skip
    saved_sched, sched = state["scheduler"], trainer.scheduler
    if (saved_sched and saved_sched["class"]) != (sched and type(sched).__name__):
        problems.append(f"scheduler: the checkpoint has {saved_sched and saved_sched['class']}, "
                        f"this trainer has {sched and type(sched).__name__}")  # fmt: skip
    saved_cbs = [c["class"] for c in state["callbacks"]]
    cbs = [type(c).__name__ for c in trainer.callbacks.callbacks]
    if saved_cbs != cbs:
        problems.append(f"callbacks: the checkpoint has {saved_cbs}, this fit has {cbs} "
                        "(give the same callbacks in the same order)")  # fmt: skip
    if state["metrics"] != [m.name for m in trainer.metrics]:
        problems.append(f"metrics: the checkpoint has {state['metrics']}, this trainer has "
                        f"{[m.name for m in trainer.metrics]}")  # fmt: skip
    data = _data_info(loader)
    if state["data"] != data:
        problems.append(f"data: the checkpoint was trained on {state['data']}, this fit "
                        f"has {data}")  # fmt: skip
    names = sorted(find_generators(trainer.model, loader))
    if sorted(state["rng"]["now"]) != names:
        problems.append(f"random generators: the checkpoint has {sorted(state['rng']['now'])}, "
                        f"this run has {names}")  # fmt: skip
    epoch, batch = state["position"]["epoch"], state["position"]["batch"]
    if epoch > epochs or (epoch == epochs and batch > 0):
        problems.append(f"epochs={epochs}, but the checkpoint has trained {epoch} epochs and "
                        f"{batch} batches of the next")  # fmt: skip
    if problems:
        raise ValueError(
            f"fit: cannot resume from {str(path)!r}: the checkpoint does not match this run:\n  "
            + "\n  ".join(problems)
        )


def _model_problems(model, saved: dict) -> list:
    current = {k: tuple(np.shape(getattr(v, "data", v))) for k, v in model.state_dict().items()}
    problems = [f"model: {key!r} is in the checkpoint, not in the model" for key in saved
                if key not in current]  # fmt: skip
    for key, shape in current.items():
        if key not in saved:
            problems.append(f"model: {key!r} is in the model, not in the checkpoint")
        elif tuple(np.shape(saved[key])) != shape:
            problems.append(f"model: {key!r} has shape {tuple(np.shape(saved[key]))} in the "
                            f"checkpoint, {shape} in the model")  # fmt: skip
    return problems


def restore(trainer, state: dict) -> tuple[int, EpochRun | None]:
    """Load the model, optimizer, scheduler, History and ``stop_training`` from ``state``;
    return the epoch to go on with and, within it, its :class:`EpochRun` (None at an
    epoch boundary). Callbacks and generators come after ``on_train_begin``:
    :func:`restore_callbacks`."""
    trainer.model.load_state_dict(state["model"])
    trainer.optimizer.load_state_dict(state["optimizer"]["state"])
    if trainer.scheduler is not None:
        trainer.scheduler.load_state_dict(state["scheduler"]["state"])
    trainer.history.load_state_dict(state["history"])
    trainer.stop_training = bool(state["stop_training"])
    epoch = int(state["position"]["epoch"])
    progress = state["epoch_progress"]
    if progress is None:
        return epoch, None
    run = EpochRun(epoch, progress["lr"])
    run.batch = int(state["position"]["batch"])
    run.total, run.count = float(progress["total"]), int(progress["count"])
    if progress["outputs"] is not None:
        run.outputs, run.targets = [progress["outputs"]], [progress["targets"]]
    run.rng_at_start, run.rng_resume = state["rng"]["epoch_start"], state["rng"]["now"]
    return epoch, run


def restore_callbacks(trainer, state: dict, loader, run: EpochRun | None) -> None:
    """Load every callback's state (after ``on_train_begin``, which may reset it) and, at
    an epoch boundary, every generator's state (within an epoch :func:`epoch_batches`
    does it). Callbacks whose hooks this process does not run (``chief_only`` ones off the
    chief of a distributed fit) are left as they are: their state may write files."""
    for cb, saved in zip(trainer.callbacks.callbacks, state["callbacks"]):
        if trainer.callbacks.runs(cb):
            cb.load_state_dict(saved["state"])
    if run is None:
        set_rng_states(find_generators(trainer.model, loader), state["rng"]["now"])
