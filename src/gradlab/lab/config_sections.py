"""The checks of each config section, and the checks across sections (a CNN needs image
data, a binary loss needs two classes, ``monitor = "val_loss"`` needs validation data).

:func:`validate` fills a :class:`~gradlab.lab.config.Config`'s sections and returns every
problem line (without the file prefix).
"""

from __future__ import annotations

import sys

from gradlab.lab import loops as L
from gradlab.lab import vocabulary as V
from gradlab.lab.config_data import check_data, check_model_data
from gradlab.lab.schema import Spec, check_table, choose, one_of
from gradlab.lab.schema import specs_from_signature as signature_specs
from gradlab.train.metrics import CLASSIFICATION_METRICS

__all__ = ["validate", "model_specs", "loss_specs"]

_CODE_KEYS = ("entry_point",)
"""Keys that older configs used to name code to import; refused wherever they appear."""

MODEL_FILE_HINT = "gradlab train CONFIG --model-file FILE.py:FUNCTION (it runs that file)"


def _rules(specific: dict | None = None, names=()) -> dict:
    """The general PARAMETER_RULES for ``names``, overridden by ``specific``."""
    rules = {n: dict(V.PARAMETER_RULES[n]) for n in names if n in V.PARAMETER_RULES}
    for name, rule in (specific or {}).items():
        rules.setdefault(name, {}).update(rule)
    return rules


def _bind(target, skip=(), specific=None):
    """Specs of ``target``'s keyword parameters with the general and ``specific`` rules."""
    specs, var_keywords = signature_specs(target, skip=skip)
    from dataclasses import replace

    for name, rule in _rules(specific, specs).items():
        if name in specs:
            specs[name] = replace(specs[name], **rule)
    return specs, var_keywords


_choose = choose


# ---------------------------------------------------------------------------- model
def _activation_choices(cls):
    module = sys.modules.get(cls.__module__)
    table = getattr(module, "ACTIVATIONS", None) or getattr(module, "_ACTIVATIONS", None)
    return tuple(sorted(table)) if isinstance(table, dict) else None


def model_specs(target, fixed=()) -> tuple[dict, bool]:
    """The config keys of a model class or function: its keyword parameters, less the
    data-derived ones, ``generator`` and the keys fixed by the model's name."""
    skip = (*V.DATA_DERIVED, "generator", *fixed)
    specs, var_keywords = _bind(target, skip=skip)
    choices = _activation_choices(target) if isinstance(target, type) else None
    if choices and "activation" in specs:
        from dataclasses import replace

        specs["activation"] = replace(specs["activation"], choices=choices)
    return specs, var_keywords


def _check_model(config, table) -> list:
    if table is None:
        return []
    if config.model_file is not None:
        return _check_model_file(config, table)
    name, problems = _choose(table, "model", list(V.MODELS))
    if name is None:
        config.model = {}
        if "name" not in table:
            problems = [
                "model: missing name (one of " + one_of(V.MODELS) + "); a model of your "
                f"own is a Python file given on the command line: {MODEL_FILE_HINT}"
            ]
        return problems
    entry = V.MODELS[name]
    try:
        target = V.resolve(entry.target)
    except (ImportError, AttributeError) as error:
        config.model = {"name": name}
        return [f"model.name: {name!r} ({entry.target}) is not available: {error}"]
    specs, _ = model_specs(target, fixed=tuple(entry.fixed))
    given = {k: v for k, v in table.items() if k != "name"}
    derived = _derived_keys(given, target)
    problems += derived
    values, found = check_table(_without(given, target), specs, "model")
    config.model = {"name": name, **values}
    config.derived.update(
        view=entry.view,
        targets=entry.targets,
        output=entry.output,
        model_target=target,
        model_fixed=dict(entry.fixed),
    )
    return problems + found


def _derived_given(given: dict, target) -> tuple:
    import inspect

    parameters = inspect.signature(target).parameters
    return tuple(key for key in given if key in V.DATA_DERIVED and key in parameters)


def _without(given: dict, target) -> dict:
    derived = _derived_given(given, target)
    return {k: v for k, v in given.items() if k not in derived}


def _derived_keys(given: dict, target) -> list:
    return [
        f"model.{key}: set from the data; remove it from the config"
        for key in _derived_given(given, target)
    ]


def code_keys(tables: dict) -> list:
    """Problem lines for keys that name code to import (``[model] entry_point``): a config
    is data, so it never chooses code to run."""
    problems = []
    for section, table in tables.items():
        if not isinstance(table, dict):
            continue
        for key in _CODE_KEYS:
            if key in table:
                problems.append(
                    f"{section}.{key}: a config cannot name code to import and run; give your "
                    f"model as a Python file on the command line: {MODEL_FILE_HINT}"
                )
    return problems


def _check_model_file(config, table) -> list:
    """``[model]`` as the keyword arguments of the ``--model-file`` function."""
    user = config.model_file
    target = user.target
    if "name" in table:
        return [
            f"model.name: the model is --model-file {user.label}; remove name, or drop "
            "--model-file to use a registered model"
        ]
    given = {k: v for k, v in table.items() if k != "view"}
    problems = _derived_keys(given, target)
    specs, var_keywords = model_specs(target)
    if var_keywords:
        specs.update({k: Spec(("any",), None) for k in given if k not in specs})
    values, found = check_table(_without(given, target), specs, "model")
    view = table.get("view", "flat")
    if view not in (*V.VIEWS, "pairs", "tokens"):
        views = one_of((*V.VIEWS, "pairs", "tokens"))
        found.append(f"model.view: must be one of {views}; got {view!r}")
    config.model = {"file": user.label, "view": view, **values}
    config.derived.update(
        view=view, targets="labels", output="classes", model_target=target, model_fixed={}
    )
    return problems + found


def _model_name(config) -> str:
    return repr(config.model.get("name") or config.model.get("file"))


# ---------------------------------------------------------------------------- loss
def loss_specs(name: str) -> dict:
    """The config keys of loss ``name``."""
    target = V.resolve(V.LOSSES[name][0])
    specs, _ = _bind(target, skip=V.LOSS_SKIP, specific=V.LOSS_RULES)
    return specs


def _default_loss(config) -> str:
    if config.derived.get("targets") == "input":
        return "mse"
    return {"binary": "bce_with_logits", "classification": "cross_entropy"}.get(
        config.derived.get("task"), "mse"
    )


def _check_loss(config, table) -> list:
    name, problems = _choose(table, "loss", list(V.LOSSES), _default_loss(config))
    if name is None:
        config.loss = {}
        return problems
    values, found = check_table(
        {k: v for k, v in table.items() if k != "name"}, loss_specs(name), "loss"
    )
    config.loss = {"name": name, **values}
    kind = V.LOSSES[name][1]
    task = config.derived.get("task")
    if kind == "either":
        kind = "class_index" if task == "classification" else "binary"
    config.derived["loss_kind"] = kind
    if config.derived.get("targets") == "input":
        task = "regression"  # an autoencoder reconstructs its input
    known = any(task in fits for fits in _FITS.values())  # not a model's input problem
    if task is not None and known and task not in _FITS[kind]:
        what = {
            "class_index": "a classification loss (class labels)",
            "binary": "a binary loss (0/1 labels, one logit)",
            "regression": "a regression loss",
        }[kind]
        fitting = one_of(n for n, (_, k) in V.LOSSES.items() if task in _FITS[k])
        found.append(
            f"loss.name: {name!r} is {what}, but the task is {task} (data "
            f"{config.data.get('name')!r}); use one of {fitting}"
        )
    if config.derived.get("output") == "one" and kind == "class_index":
        found.append(
            f"loss.name: model {_model_name(config)} outputs one logit; use "
            "'bce_with_logits' or 'focal'"
        )
    return problems + found


_FITS = {
    "class_index": ("classification", "binary"),
    "either": ("classification", "binary"),
    "binary": ("binary",),
    "regression": ("regression",),
}


# ---------------------------------------------------------------------------- optimizer
def _check_optimizer(config, table) -> list:
    name, problems = _choose(table, "optimizer", list(V.OPTIMIZERS), "adam")
    if name is None:
        config.optimizer = {}
        return problems
    specs, _ = _bind(V.resolve(V.OPTIMIZERS[name]), skip=V.OPTIMIZER_SKIP)
    values, found = check_table({k: v for k, v in table.items() if k != "name"}, specs, "optimizer")
    config.optimizer = {"name": name, **values}
    return problems + found


# ---------------------------------------------------------------------------- schedule
def _check_schedule(config, table) -> list:
    name, problems = _choose(table, "schedule", list(V.SCHEDULES), "none")
    if name is None:
        config.schedule = {}
        return problems
    entry = V.SCHEDULES[name]
    specs = {}
    if entry.target is not None:
        skip = (*V.SCHEDULE_SKIP, *entry.filled)
        specs, _ = _bind(V.resolve(entry.target), skip=skip, specific=entry.rules)
    specs["per"] = Spec(("str",), entry.per, choices=entry.pers)
    values, found = check_table({k: v for k, v in table.items() if k != "name"}, specs, "schedule")
    config.schedule = {"name": name, **values}
    optimizer = config.optimizer.get("name")
    if values.get("cycle_momentum") and optimizer in ("adagrad",):
        found.append(
            f"schedule.cycle_momentum: optimizer {optimizer!r} has no momentum to "
            "cycle; set cycle_momentum = false"
        )
    return problems + found


# ---------------------------------------------------------------------------- training
def _check_training(config, table, loop: str = "fit") -> list:
    specs = L.LOOPS[loop].training
    values, problems = check_table(table, specs, "training", fixed=("loop",))
    values["loop"] = loop
    config.derived["loop"] = loop
    task = config.derived.get("task")
    if "metrics" not in specs:
        pass
    elif "metrics" not in values:
        if config.derived.get("targets") == "input":
            values["metrics"] = []
        elif task in ("classification", "binary"):
            values["metrics"] = ["accuracy"]
        elif task == "regression":
            values["metrics"] = ["rmse"] if config.derived.get("view") == "pairs" else ["mae"]
    elif config.derived.get("targets") == "input" or task == "regression":
        wrong = [m for m in values["metrics"] if m in CLASSIFICATION_METRICS]
        if wrong:
            problems.append(
                f"training.metrics: {one_of(wrong)} need class labels, but the "
                "model's targets are real numbers; use 'mae', 'rmse' or 'r2'"
            )
    config.training = values
    if config.data and config.data.get("seed") is None and "seed" in values:
        config.data["seed"] = values["seed"]
    return problems


# ---------------------------------------------------------------------------- callbacks
def _monitorable(config) -> list:
    names = ["loss", *config.training.get("metrics", [])]
    training = config.training
    if training.get("validation_split", 0) > 0 or training.get("validation") == "test":
        names += [f"val_{n}" for n in names]
    return names


def _check_callbacks(config, table) -> list:
    problems, values = [], {}
    for name, sub in table.items():
        where = f"callbacks.{name}"
        if name not in V.CALLBACKS:
            problems.append(f"{where}: unknown callback; expected one of {one_of(V.CALLBACKS)}")
            continue
        if not isinstance(sub, dict):
            problems.append(f"{where}: expected a table [callbacks.{name}], got {sub!r}")
            continue
        target, signature, rules = V.CALLBACKS[name]
        specs, _ = _bind(V.resolve(target), skip=("verbose",), specific=rules)
        if signature is not None:
            extra, _ = _bind(V.resolve(signature), skip=("optimizer",), specific=rules)
            specs.update({k: s for k, s in extra.items() if k not in specs})
        specs.update({k: Spec(**r) for k, r in rules.items() if k not in specs and "kinds" in r})
        got, found = check_table(sub, specs, where)
        problems += found
        monitor = got.get("monitor")
        if monitor is not None and config.training and monitor not in _monitorable(config):
            problems.append(
                f"{where}.monitor: {monitor!r} is not logged; expected one of "
                f"{one_of(_monitorable(config))}"
            )
        if name == "model_checkpoint" and config.training:
            problems += _check_checkpoint_path(config, got.get("path"), where)
        values[name] = got
    config.callbacks = values
    return problems


def _check_checkpoint_path(config, path, where: str) -> list:
    """The names a model_checkpoint path template uses must be logged by this run."""
    from gradlab.train.callbacks import template_fields

    if not isinstance(path, str):
        return []
    try:
        fields = template_fields(path)
    except ValueError as error:
        return [f"{where}.path: {str(error).split(': ', 1)[1]}"]
    logged = ["epoch", "lr", *_monitorable(config)]
    unknown = [f for f in fields if f not in logged]
    if unknown:
        return [
            f"{where}.path: {path!r} names {one_of(unknown)}, which this run does not log; "
            f"it logs {one_of(logged)}"
        ]
    return []


def validate(config, tables: dict) -> list:
    """Check every section of ``tables`` into ``config``; every problem line."""
    problems = code_keys(tables)
    if problems:  # nothing else is checked: a downloaded config gets no further
        return problems
    problems += check_data(config, tables["data"])
    problems += _check_model(config, tables["model"])
    problems += check_model_data(config)
    loop, found = L.choose_loop(config, tables["training"])
    problems += found
    entry = L.LOOPS[loop]
    if entry.losses is None:
        problems += _check_loss(config, tables["loss"])
    else:
        problems += L.check_loss(config, tables["loss"], loop)
    if entry.rule is None:
        problems += _check_optimizer(config, tables["optimizer"])
    else:
        problems += L.check_rule(config, tables["optimizer"], loop)
    if entry.pers:
        problems += _check_schedule(config, tables["schedule"])
        problems += L.check_schedule_per(config, loop)
    problems += _check_training(config, tables["training"], loop)
    if entry.callbacks:
        problems += _check_callbacks(config, tables["callbacks"])
    problems += L.forbid(config, tables, loop)
    if config.schedule.get("name") == "plateau" and "reduce_lr_on_plateau" in config.callbacks:
        problems.append(
            "callbacks.reduce_lr_on_plateau: the schedule is already 'plateau'; use one of the two"
        )
    return problems
