"""Build the pieces of a run from a validated :class:`~gradlab.lab.config.Config`: the data
splits, the model, the loss, the optimizer, the lr schedule and the callbacks.

Each builder reads only its sections (and the data, for the sizes a model takes from it),
so a caller can build some pieces from a config and the rest by hand.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradlab.lab import vocabulary as V

__all__ = [
    "BadRunInput",
    "DataSplits",
    "build_data",
    "build_model",
    "build_loss",
    "build_optimizer",
    "build_scheduler",
    "build_callbacks",
    "output_size",
]


class BadRunInput(ValueError):
    """A config that validates but cannot be run on its data, found while building the run
    and before training: a split with no samples, a model too large for memory."""


@dataclass
class DataSplits:
    """The data of a run, ready for ``Trainer.fit``.

    ``train``, ``val``, ``test``: ``(x, y)`` NumPy arrays (val/test None when absent); x is
    (N, F) for the flat view, (N, C, H, W) for images, (N, T, F) for sequences, (N, 2) int
    pairs for MovieLens; y holds class labels (int64), or reals (float32), or for an
    autoencoder the flat input itself. ``task``: "classification", "binary" or
    "regression" (of the dataset's labels). ``num_classes``: None for regression.
    ``input_shape``: the shape of one sample. ``labels``: the class labels of each split
    when y is not them (autoencoders). ``info``: ``target_names``, ``num_users``, ...
    """

    train: tuple
    val: tuple | None
    test: tuple | None
    task: str
    num_classes: int | None
    input_shape: tuple
    labels: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------- data
def _load(config, entry, train: bool = True):
    import inspect

    import gradlab.data as gdata
    from gradlab.optional import require

    if entry.sklearn and not entry.files:  # scikit-learn's bundled datasets and generators
        require("sklearn", f"data {config.data['name']!r}")
    loader = V.resolve(entry.loader) if ":" in entry.loader else getattr(gdata, entry.loader)
    data = config.data
    kwargs = {k: data[k] for k in entry.options if k in data}
    if entry.files:
        kwargs["root"] = data.get("cache_dir")
        kwargs["download"] = data.get("download", True)
        if entry.native_split:
            kwargs["train"] = train
    elif "seed" in inspect.signature(loader).parameters:
        kwargs["seed"] = data.get("seed", 0)
        if entry.loader == "make_classification":
            kwargs["n_informative"] = min(kwargs.get("n_informative", 2), kwargs["n_features"])
    return loader(**kwargs)


def _subsample(x, y, limit, rng):
    if limit is None or len(x) <= limit:
        return x, y
    keep = np.sort(rng.choice(len(x), size=limit, replace=False))
    return x[keep], y[keep]


def _split(x, y, fraction, seed, stratify, chronological=False, key="data.test_size"):
    """``(x_a, y_a), (x_b, y_b)`` with ``fraction`` of the samples in b, shuffled by
    ``seed``, class proportions kept when ``stratify``; b the last samples, in order,
    when ``chronological`` (windows of a series: the model never sees the future)."""
    rng = np.random.default_rng(seed)
    n = len(x)
    if chronological:
        cut = n - int(round(n * fraction))
        a, b = np.arange(cut), np.arange(cut, n)
    elif stratify:
        parts_a, parts_b = [], []
        for label in np.unique(y):
            where = rng.permutation(np.flatnonzero(y == label))
            cut = int(round(len(where) * fraction))
            parts_b.append(where[:cut])
            parts_a.append(where[cut:])
        a, b = rng.permutation(np.concatenate(parts_a)), rng.permutation(np.concatenate(parts_b))
    else:
        order = rng.permutation(n)
        cut = int(round(n * fraction))
        a, b = order[cut:], order[:cut]
    if len(a) == 0 or len(b) == 0:
        raise BadRunInput(
            f"{key}: splitting {n} samples by {fraction} leaves {len(b)} for one part "
            f"and {len(a)} for the other; use more samples (data.max_samples) or another "
            "fraction"
        )
    return (x[a], y[a]), (x[b], y[b])


def _view(x, view: str, entry):
    n = x.shape[0]
    if entry.pairs or entry.native == "tokens":
        return x
    if view == "flat":
        return x.reshape(n, -1)
    if entry.native == "sequence":
        return x
    if view == "image":
        return x.reshape(n, *entry.image)
    c, h, w = entry.image
    return x.reshape(n, h, w)  # sequence: one row per time step


def _standardize(splits: list, view: str):
    x = splits[0][0]
    axes = {"flat": (0,), "sequence": (0, 1), "image": (0, 2, 3)}[view]
    mean = x.mean(axis=axes, keepdims=True, dtype=np.float64)
    std = x.std(axis=axes, keepdims=True, dtype=np.float64)
    std[std < 1e-12] = 1.0
    return [None if s is None else (((s[0] - mean) / std).astype(np.float32), s[1]) for s in splits]


def build_data(config) -> DataSplits:
    """Load, split (test, then validation from the rest), reshape to the model's view and
    standardize (statistics of the training part only) the config's dataset.

    Raises the loader's DatasetNotFoundError for a file dataset not in the cache."""
    data, entry = config.data, V.DATASETS[config.data["name"]]
    seed = int(data.get("seed", 0))
    rng = np.random.default_rng(seed)
    task = config.derived["task"]
    classes = task in ("classification", "binary")
    bunch = _load(config, entry)
    x, y = np.asarray(bunch.X), np.asarray(bunch.y)
    info = {"target_names": getattr(bunch, "target_names", None)}
    extra = getattr(bunch, "extra", None) or {}
    for key, name in (("n_users", "num_users"), ("n_items", "num_items")):
        if key in extra:
            info[name] = int(extra[key])
    for key in ("vocab_size", "pad", "bos", "eos", "horizon", "period", "centers", "std"):
        if key in extra:
            info[key] = extra[key]
    if entry.chronological:  # keep the series' order: the first max_samples windows
        x, y = x[: data.get("max_samples")], y[: data.get("max_samples")]
    else:
        x, y = _subsample(x, y, data.get("max_samples"), rng)
    if entry.native_split:
        test_bunch = _load(config, entry, train=False)
        test = _subsample(
            np.asarray(test_bunch.X), np.asarray(test_bunch.y), data.get("max_samples"), rng
        )
        train = (x, y)
    else:
        train, test = _split(x, y, data["test_size"], seed, classes, entry.chronological)
    val = None
    fraction = config.training.get("validation_split", 0.0)
    if config.training.get("validation") == "test":
        val = test
    elif fraction > 0:
        train, val = _split(
            *train, fraction, seed + 1, classes, entry.chronological, "training.validation_split"
        )
    view = data.get("view", "flat")
    splits = [None if s is None else (_view(s[0], view, entry), s[1]) for s in (train, val, test)]
    if data.get("standardize", False):
        splits = _standardize(splits, view)
    elif not entry.pairs and entry.native != "tokens":
        splits = [
            None if s is None else (s[0].astype(np.float32, copy=False), s[1]) for s in splits
        ]
    num_classes = None
    if classes:
        names = info["target_names"]
        num_classes = len(names) if names else int(max(int(s[1].max()) for s in splits if s) + 1)
    labels = {}
    if config.derived.get("targets") == "input":
        for key, split in zip(("train", "val", "test"), splits):
            if split is not None:
                labels[key] = split[1]
        splits = [None if s is None else (s[0], s[0].reshape(len(s[0]), -1)) for s in splits]
    return DataSplits(
        *splits,
        task=task,
        num_classes=num_classes,
        input_shape=tuple(splits[0][0].shape[1:]),
        labels=labels,
        info=info,
    )


# ---------------------------------------------------------------------------- model
def output_size(config, data: DataSplits) -> int:
    """Outputs of the model's last layer: 1 for a binary loss, the number of classes for a
    class-index loss, the target's width for regression."""
    kind = config.derived.get("loss_kind")
    if kind == "binary":
        return 1
    if kind == "class_index":
        return int(data.num_classes)
    y = data.train[1]
    return 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))


def _derived_arguments(config, data: DataSplits) -> dict:
    shape = data.input_shape
    values = {
        "in_features": int(np.prod(shape)),
        "input_size": int(shape[-1]),
        "num_classes": output_size(config, data),
        "out_features": output_size(config, data),
        "horizon": output_size(config, data),
    }
    if len(shape) == 3:
        values.update(in_channels=int(shape[0]), image_size=int(shape[1]))
    for key in ("num_users", "num_items", "vocab_size"):
        if key in data.info:
            values[key] = data.info[key]
    return values


@contextlib.contextmanager
def _memory_guard():
    """While a model is built, cap this process's address space at what it uses plus half
    the memory available, so that absurd sizes (``hidden_sizes = [1000000000]``) raise
    MemoryError at once instead of filling the machine's memory first (Linux only)."""
    try:
        import resource

        with open("/proc/self/status") as f:
            used = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        with open("/proc/meminfo") as f:
            free = next(int(line.split()[1]) * 1024 for line in f if "MemAvailable:" in line)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = used + free // 2
        for limit in (soft, hard):
            if limit != resource.RLIM_INFINITY:
                cap = min(cap, limit)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, StopIteration, ValueError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def build_model(config, data: DataSplits):
    """The config's model, its data-derived sizes (in_features, in_channels, image_size,
    input_size, num_classes / out_features, ...) filled from ``data``; weights drawn after
    ``gradlab.manual_seed(training.seed)``."""
    import inspect

    import gradlab

    target = config.derived["model_target"]
    kwargs = {k: v for k, v in config.model.items() if k not in ("name", "file", "view")}
    kwargs.update(config.derived.get("model_fixed", {}))
    parameters = inspect.signature(target).parameters
    for key, value in _derived_arguments(config, data).items():
        if key in parameters and key not in kwargs:
            kwargs[key] = value
    gradlab.manual_seed(int(config.training.get("seed", 0)))
    where = config.model.get("name") or config.model.get("file")
    try:
        with _memory_guard():
            model = target(**kwargs)
    except (TypeError, ValueError) as error:
        raise ValueError(f"model {where!r}: cannot build it with {kwargs}: {error}") from error
    except MemoryError:
        given = {k: v for k, v in config.model.items() if k not in ("name", "file")}
        raise BadRunInput(
            f"model {where!r}: its parameters do not fit in memory (model settings {given}); "
            "use smaller sizes"
        ) from None
    if not hasattr(model, "parameters") or not callable(model):
        raise TypeError(f"model {where!r}: returned {type(model).__name__}, expected an nn.Module")
    return model


# ---------------------------------------------------------------------------- loss, optimizer
def build_loss(config, data: DataSplits | None = None):
    """The config's loss module (lists of weights become tensors)."""
    import gradlab

    target = V.resolve(V.LOSSES[config.loss["name"]][0])
    kwargs = {k: v for k, v in config.loss.items() if k != "name"}
    for key in ("weight", "pos_weight"):
        if key in kwargs:
            kwargs[key] = gradlab.tensor(np.asarray(kwargs[key], dtype=np.float32))
    return target(**kwargs)


def build_optimizer(config, model):
    """The config's optimizer over ``model.parameters()``."""
    target = V.resolve(V.OPTIMIZERS[config.optimizer["name"]])
    kwargs = {k: v for k, v in config.optimizer.items() if k != "name"}
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return target(model.parameters(), **kwargs)


def build_scheduler(config, optimizer, steps_per_epoch: int):
    """``(scheduler, per)``: the config's lr schedule and whether it steps per "epoch" or
    per "batch"; ``(None, None)`` for ``name = "none"``. Lengths left out of the config
    are the run's: cosine's T_max and one_cycle's total_steps are the number of steps of
    the whole run, cyclic's base_lr and one_cycle's max_lr the optimizer's lr."""
    name = config.schedule.get("name", "none")
    entry = V.SCHEDULES[name]
    if entry.target is None:
        return None, None
    kwargs = {k: v for k, v in config.schedule.items() if k not in ("name", "per")}
    per = config.schedule.get("per", entry.per)
    steps = int(config.training["epochs"]) * (steps_per_epoch if per == "batch" else 1)
    lr = float(optimizer.param_groups[0]["lr"])
    if name == "cosine":
        kwargs.setdefault("T_max", steps)
    elif name == "cyclic":
        kwargs.setdefault("base_lr", lr)
    elif name == "one_cycle":
        kwargs.setdefault("max_lr", lr)
        kwargs["total_steps"] = steps
    target = V.resolve(entry.target)
    return target(optimizer, **kwargs), per


# ---------------------------------------------------------------------------- callbacks
def build_callbacks(config, out_dir=None) -> list:
    """The config's ``[callbacks]``, in the order written; file paths (model_checkpoint,
    csv_logger) are relative to ``out_dir`` when given."""
    callbacks = []
    for name, kwargs in config.callbacks.items():
        kwargs = dict(kwargs)
        if "path" in kwargs and out_dir is not None and not Path(kwargs["path"]).is_absolute():
            kwargs["path"] = str(Path(out_dir) / kwargs["path"])
        callbacks.append(V.resolve(V.CALLBACKS[name][0])(**kwargs))
    return callbacks
