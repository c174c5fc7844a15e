"""How a config's model trains: the training loops ``[training] loop`` may name, and what
each accepts in ``[loss]``, ``[optimizer]``, ``[schedule]``, ``[training]`` and
``[callbacks]``.

* ``"fit"``: one loss, one optimizer, :meth:`gradlab.train.Trainer.fit` (every model whose
  gradient of one loss trains it);
* ``"perceptron"``: the perceptron learning rule, one sample at a time
  (:meth:`gradlab.models.Perceptron.fit`); ``[optimizer]`` holds the rule's ``lr``; no loss;
* ``"gan"``: a generator against a discriminator, one optimizer each, the GAN objectives
  (``[loss] name = "gan"``, ``saturating``); an "epoch" is ``steps_per_epoch`` steps;
* ``"seq2seq"``: an encoder-decoder trained by teacher forcing on the token cross-entropy
  (PAD ignored), validated by greedy decoding (exact match, token accuracy).

A model's name chooses its loop (``perceptron`` -> "perceptron", ``gan`` -> "gan",
``seq2seq`` -> "seq2seq", every other model "fit"); ``[training] loop`` may say it again,
and a loop that does not train the model is reported. This module only validates; the
loops run in :mod:`gradlab.lab.special_loops`.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradlab.lab import vocabulary as V
from gradlab.lab.schema import REQUIRED, Spec, check_table, choose, one_of
from gradlab.train.metrics import CLASSIFICATION_METRICS

__all__ = [
    "LOOPS", "LoopEntry", "check_loss", "check_rule", "check_schedule_per", "choose_loop",
    "forbid",
]  # fmt: skip


@dataclass(frozen=True)
class LoopEntry:
    """A training loop: its ``[training]`` keys, the losses it accepts (name -> keys; None:
    every loss of the vocabulary), its fixed update rule's keys (None: an optimizer of the
    vocabulary), the schedule steps it allows (empty: no schedule), whether it takes
    callbacks, and the models it trains (None: any whose own loop it is)."""

    doc: str
    training: dict
    losses: dict | None = None
    default_loss: str | None = None
    rule: dict | None = None
    pers: tuple = ("epoch", "batch")
    callbacks: bool = True
    models: tuple | None = None


_EPOCHS = Spec(("int",), REQUIRED, ge=1, doc="passes over the data (rows of history.csv)")
_SEED = Spec(("int",), 0, ge=0)
_SPLIT = {
    "validation_split": Spec(("float",), 0.2, ge=0, lt=1),
    "validation": Spec(("str",), "split", choices=("split", "test")),
}

LOOPS = {
    "fit": LoopEntry("Trainer.fit: one loss, one optimizer", V.TRAINING),
    "perceptron": LoopEntry(
        "the perceptron rule w += lr (y - y_hat) x, one sample at a time",
        {
            "epochs": _EPOCHS,
            "seed": _SEED,
            "shuffle": Spec(("bool",), True),
            "metrics": Spec(("list[str]",), None, choices=CLASSIFICATION_METRICS),
            **_SPLIT,
        },
        losses={},
        rule={"lr": Spec(("float",), 1.0, gt=0, doc="the rule's step")},
        pers=(),
        callbacks=False,
        models=("perceptron",),
    ),
    "gan": LoopEntry(
        "a discriminator step then a generator step per batch, one optimizer each",
        {
            "epochs": _EPOCHS,
            "steps_per_epoch": Spec(("int",), 100, ge=1, doc="adversarial steps per row"),
            "batch_size": Spec(("int",), 128, ge=1),
            "seed": _SEED,
        },
        losses={"gan": {"saturating": Spec(("bool",), False)}},
        default_loss="gan",
        pers=(),
        callbacks=False,
        models=("gan",),
    ),
    "seq2seq": LoopEntry(
        "teacher forcing on the token cross-entropy, greedy decoding to validate",
        {
            "epochs": _EPOCHS,
            "batch_size": Spec(("int",), 64, ge=1),
            "seed": _SEED,
            "clip": Spec(("float",), 1.0, gt=0, doc="gradient norm clipping"),
            **_SPLIT,
            "validation_split": Spec(("float",), 0.1, ge=0, lt=1),
        },
        losses={"cross_entropy": {"label_smoothing": Spec(("float",), 0.0, ge=0, le=1)}},
        default_loss="cross_entropy",
        pers=("epoch",),
        callbacks=False,
        models=("seq2seq",),
    ),
}

_LOOP_KEY = "loop"


def choose_loop(config, table) -> tuple[str, list]:
    """The loop of the config's model, and a problem when ``[training] loop`` names another."""
    model = config.model.get("name")
    entry = V.MODELS.get(model) if model else None
    own = entry.loop if entry is not None else "fit"
    given = (table or {}).get(_LOOP_KEY)
    if given is None:
        return own, []
    if not isinstance(given, str) or given not in LOOPS:
        return own, [f"training.loop: must be one of {one_of(LOOPS)}; got {given!r}"]
    if given != own:
        trains = LOOPS[given].models
        which = f"trains model {one_of(trains)}" if trains else "trains models with one loss"
        label = repr(model or config.model.get("file"))
        return own, [f"training.loop: {given!r} {which}; model {label} trains with loop {own!r}"]
    return own, []


def check_loss(config, table, loop: str) -> list:
    """``[loss]`` of a loop with its own objectives."""
    entry = LOOPS[loop]
    config.derived["loss_kind"] = None
    if not entry.losses:
        config.loss = {}
        if table:
            return [f"loss: the {loop!r} loop learns by {entry.doc}, not by a loss; remove [loss]"]
        return []
    names = list(entry.losses)
    name = table.get("name", entry.default_loss)
    if name not in names:
        config.loss = {}
        uses = " or ".join(
            f"name = {n!r} (keys: {', '.join(specs) or 'none'})"
            for n, specs in entry.losses.items()
        )
        return [
            f"loss.name: the {loop!r} loop trains on its own objective; use {uses} or leave "
            f"[loss] out; got {name!r}"
        ]
    values, found = check_table(
        {k: v for k, v in table.items() if k != "name"}, entry.losses[name], "loss"
    )
    config.loss = {"name": name, **values}
    return found


def check_rule(config, table, loop: str) -> list:
    """``[optimizer]`` of a loop with a fixed update rule: only the rule's keys."""
    entry = LOOPS[loop]
    name, problems = choose(table, "optimizer", [loop], loop, noun="update rule")
    if problems:
        problems = [
            f"optimizer.name: the {loop!r} loop learns by {entry.doc}; use name = {loop!r} "
            f"(keys: {', '.join(entry.rule)}) or leave it out; got {table.get('name')!r}"
        ]
    values, found = check_table(
        {k: v for k, v in table.items() if k != "name"}, entry.rule, "optimizer"
    )
    config.optimizer = {"name": loop, **values}
    return problems + found


def forbid(config, tables: dict, loop: str) -> list:
    """Problems for the sections a loop does not use (a schedule, callbacks)."""
    entry, problems = LOOPS[loop], []
    if not entry.pers:
        schedule = tables.get("schedule") or {}
        if schedule and schedule.get("name", "none") != "none":
            problems.append(f"schedule: the {loop!r} loop takes no lr schedule; remove [schedule]")
        config.schedule = {"name": "none"}
    if not entry.callbacks:
        if tables.get("callbacks"):
            problems.append(
                f"callbacks: the {loop!r} loop takes no callbacks; remove "
                + ", ".join(f"[callbacks.{n}]" for n in tables["callbacks"])
            )
        config.callbacks = {}
    return problems


def check_schedule_per(config, loop: str) -> list:
    """A schedule's ``per`` against the steps the loop takes."""
    per = config.schedule.get("per")
    pers = LOOPS[loop].pers
    if config.schedule.get("name", "none") == "none" or per is None or per in pers:
        return []
    return [
        f"schedule.per: the {loop!r} loop steps a schedule per {' or '.join(pers)}; got {per!r}"
    ]
