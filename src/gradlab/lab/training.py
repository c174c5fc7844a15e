"""Train from a config: build everything, fit, evaluate on the test set, and leave the run's
files in an output directory.

``train_from_config(config, out_dir)`` writes into ``out_dir``:

* ``history.csv``: one row per epoch (loss, metrics, their ``val_`` twins, lr);
* ``model.safetensors``: the trained weights (``gradlab.save(model.state_dict())``), and
  ``config.toml``, the config it was trained from, ``--set`` overrides included (written
  when the run starts, so that ``resume`` can refuse a config other than the run's);
* ``history.png``: loss and metrics per epoch, training and validation, and the lr;
  ``lr.png``: the lr at every batch, when a schedule or a plateau callback changes it;
  ``gradient_flow.png`` with a ``gradient_flow`` callback;
* ``report.md``: the config, the data, the final and test metrics, a classification
  report for classifiers, and the plots;

The perceptron, the GAN and the encoder-decoder train by their own loops
(:mod:`gradlab.lab.special_loops`, chosen by the model; see :mod:`gradlab.lab.loops`);
they write the same files, without the backup.
* ``samples.png`` for a GAN (generated samples);
* ``backup.ckpt``: the whole training state after every epoch
  (:class:`~gradlab.train.backup.BackupAndRestore`), so ``resume=True`` continues a run
  that was killed, ending exactly as if it had not been.

One run at a time writes into an output directory (:mod:`gradlab.lab.out_lock`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradlab.lab.builders import (
    DataSplits,
    build_callbacks,
    build_data,
    build_loss,
    build_model,
    build_optimizer,
    build_scheduler,
)
from gradlab.train.callbacks import Callback
from gradlab.train.strategy import get_strategy

__all__ = ["BACKUP", "LRTrace", "ResumeMismatchError", "RunResult", "train_from_config"]

BACKUP = "backup.ckpt"
"""The training-state file kept in the output directory for ``resume``."""

_SECTIONS = ("data", "model", "loss", "optimizer", "schedule", "training", "callbacks")


class ResumeMismatchError(ValueError):
    """``resume`` with a config other than the run's; ``.problems`` holds one line per
    differing key, ``file: section.key: message``."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class RunResult:
    """What a run gave: the ``history`` (:class:`~gradlab.train.History`), the trained
    ``model``, the ``data`` splits, ``metrics`` (the last epoch's ``loss``/metrics and their
    ``val_`` twins, and ``test_loss``/``test_<metric>`` on the test split), ``out_dir`` (None
    when nothing was written), the ``trainer`` (None for a special loop), ``files`` written
    (name -> path), ``notes`` (paragraphs for the report) and ``plots`` ((file, caption)
    of the loop's own figures in ``out_dir``)."""

    history: object
    model: object
    data: DataSplits
    metrics: dict
    out_dir: Path | None = None
    trainer: object = None
    config: object = None
    files: dict = field(default_factory=dict)
    classification_report: str | None = None
    notes: list = field(default_factory=list)
    plots: list = field(default_factory=list)


class LRTrace(Callback):
    """The first param group's lr at the start of every batch (``lrs``), with the epoch
    position of each (``positions``: epoch + batch / batches)."""

    def __init__(self, steps_per_epoch: int):
        self.steps_per_epoch = max(int(steps_per_epoch), 1)
        self.lrs: list[float] = []
        self.positions: list[float] = []

    def on_batch_begin(self, batch, logs=None):
        self.lrs.append(float(self.trainer.optimizer.param_groups[0]["lr"]))
        self.positions.append(self.trainer.epoch + batch / self.steps_per_epoch)

    def state_dict(self) -> dict:
        return {
            "lrs": np.asarray(self.lrs, dtype=np.float64),
            "positions": np.asarray(self.positions, dtype=np.float64),
        }

    def load_state_dict(self, state: dict) -> None:
        self.lrs = [float(v) for v in np.asarray(state["lrs"]).reshape(-1)]
        self.positions = [float(v) for v in np.asarray(state["positions"]).reshape(-1)]


def _backup_class():
    try:
        from gradlab.train.backup import BackupAndRestore
    except ImportError:  # pragma: no cover (older gradlab without exact resume)
        return None
    return BackupAndRestore


def predicted_labels(output: np.ndarray) -> np.ndarray:
    """Class labels from logits: argmax of (N, C), ``logit > 0`` of (N, 1)."""
    output = output.reshape(len(output), -1)
    if output.shape[1] > 1:
        return output.argmax(axis=1)
    return (output[:, 0] > 0).astype(np.int64)


def _check_resume(config, out: Path) -> None:
    """The config of a resumed run must be the one it ran (``out/config.toml``, written when
    it started); only ``training.epochs`` may change. Otherwise the backup's optimizer and
    schedule would go on with the old values while the report states the new ones."""
    from gradlab.lab.config import ConfigError, load_config

    saved_path = out / "config.toml"
    if not saved_path.is_file():  # a run from before config.toml was written at the start
        return
    try:
        saved = load_config(saved_path, config.extra_sections, model_file=config.model_file)
    except ConfigError as error:
        raise ResumeMismatchError(
            [f"{saved_path}: the run's config no longer loads: {error.problems[0]}"]
        ) from None
    missing = object()
    problems = []
    for section in _SECTIONS:
        ran, given = getattr(saved, section), getattr(config, section)
        for key in list(dict.fromkeys([*ran, *given])):
            if (section, key) == ("training", "epochs"):
                continue
            was, now = ran.get(key, missing), given.get(key, missing)
            if was != now:
                shown = "(not set)" if was is missing else repr(was)
                got = "(not set)" if now is missing else repr(now)
                problems.append(
                    f"{config.name}: {section}.{key}: --resume continues the run in {out}, "
                    f"which has {shown}; got {got} (only training.epochs may change; start a "
                    "new run in another directory to change it)"
                )
    if problems:
        raise ResumeMismatchError(problems)


def train_from_config(
    config, out_dir=None, callbacks=(), verbose: int = 1, resume: bool = False
) -> RunResult:
    """Build the config's data, model, loss, optimizer, schedule and callbacks; train; test.

    Args:
        config: a validated :class:`~gradlab.lab.config.Config`.
        out_dir: where to write the run's files (see the module docstring); None writes
            nothing (callback files such as ``csv_logger`` go where their paths say).
        callbacks: more callbacks, appended after the config's (e.g. Optuna pruning).
        verbose: 0 silent, 1 a progress bar per epoch (one line per epoch off a
            terminal), 2 one line per epoch.
        resume: continue the run whose backup is in ``out_dir`` (FileNotFoundError when
            there is none); the config must be the one that run was started with (more
            epochs may be given).
    """
    out = Path(out_dir) if out_dir is not None else None
    if out is not None and out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output directory {out} is a file")
    if config.derived.get("loop", "fit") != "fit":
        from gradlab.lab.special_loops import train_special

        if out is None:
            return train_special(config, out_dir, callbacks, verbose, resume)
        with _writer_lock(out):
            return train_special(config, out_dir, callbacks, verbose, resume)
    if resume and out is None:
        raise ValueError("train_from_config: resume=True needs out_dir (where the backup is)")
    if resume and not (out / BACKUP).is_file():
        raise FileNotFoundError(
            f"nothing to resume: {out / BACKUP} does not exist (a run started with an output "
            "directory and training.backup = true keeps it there)"
        )
    if out is None:
        return _fit(config, None, callbacks, verbose, resume)
    with _writer_lock(out):  # one run at a time writes into out (its backup above all)
        if resume:
            _check_resume(config, out)
        if get_strategy().is_chief:
            from gradlab.atomic import atomic_write
            from gradlab.lab.toml_text import config_toml

            atomic_write(out / "config.toml", config_toml(config))  # what runs, from the start
        return _fit(config, out, callbacks, verbose, resume)


def _writer_lock(out: Path):
    """The output directory's lock, held by the process that writes there: in a distributed
    run the chief (rank 0) holds it for all ranks; the others only read the backup."""
    from gradlab.lab.out_lock import lock_output

    if get_strategy().is_chief:
        return lock_output(out)
    out.mkdir(parents=True, exist_ok=True)
    return contextlib.nullcontext()


def _fit(config, out: Path | None, callbacks, verbose: int, resume: bool) -> RunResult:
    from gradlab.train import Trainer
    from gradlab.train.callbacks import GradientFlow

    backup_path = out / BACKUP if out is not None else None
    training = config.training
    data = build_data(config)
    model = build_model(config, data)
    loss = build_loss(config, data)
    optimizer = build_optimizer(config, model)
    batch_size = int(training["batch_size"])
    steps = -(-len(data.train[0]) // batch_size)
    scheduler, per = build_scheduler(config, optimizer, steps)
    all_callbacks = build_callbacks(config, out)
    trace = LRTrace(steps)
    all_callbacks.append(trace)
    if per == "batch":
        from gradlab.train import LearningRateScheduler

        all_callbacks.append(LearningRateScheduler(scheduler, per="batch"))
    all_callbacks += list(callbacks)
    backup = _backup_class()
    if out is not None and training.get("backup", True) and backup is not None:
        all_callbacks.append(backup(backup_path, save_freq="epoch"))
    trainer = Trainer(
        model,
        loss,
        optimizer,
        metrics=training.get("metrics", []),
        callbacks=all_callbacks,
        scheduler=scheduler if per == "epoch" else None,
    )
    fit_kwargs = {}
    if resume:
        fit_kwargs["resume_from"] = str(backup_path)
    history = trainer.fit(
        *data.train,
        epochs=int(training["epochs"]),
        batch_size=batch_size,
        validation_data=data.val,
        shuffle=bool(training.get("shuffle", True)),
        verbose=verbose,
        generator=np.random.default_rng(int(training.get("seed", 0))),
        **fit_kwargs,
    )
    metrics = {k: v[-1] for k, v in history.history.items() if v and k != "lr"}
    if data.test is not None:
        tested = trainer.evaluate(*data.test, batch_size=batch_size)
        metrics.update({f"test_{k}": v for k, v in tested.items()})
    result = RunResult(history, model, data, metrics, out, trainer, config)
    if data.task in ("classification", "binary") and config.derived.get("targets") != "input":
        split = data.test if data.test is not None else data.val
        if split is not None:
            from gradlab.train.metrics import classification_report

            predicted = predicted_labels(trainer.predict(split[0], batch_size=batch_size))
            names = data.info.get("target_names")
            present = np.union1d(split[1], predicted)
            if names is not None and len(names) == data.num_classes:
                names = [str(names[int(i)]) for i in present]
            else:
                names = None
            result.classification_report = classification_report(split[1], predicted, names)
    if out is not None and get_strategy().is_chief:  # one writer in a distributed run
        from gradlab.lab.run_report import write_run

        gradient_flow = next((cb for cb in all_callbacks if isinstance(cb, GradientFlow)), None)
        result.files = write_run(result, trace, gradient_flow)
    return result
