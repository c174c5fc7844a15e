"""The names a config may use: datasets, models, losses, optimizers, schedules, callbacks.

Each table maps a config name to what it builds. Classes are named by module and attribute
and imported on use (:func:`resolve`), so this table, and config validation, load without
the models; a class's keyword arguments are its constructor's signature
(:func:`gradlab.lab.schema.specs_from_signature`) plus the ranges and choices below.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from gradlab.lab.schema import REQUIRED, Spec
from gradlab.train.metrics import METRICS as TRAINER_METRICS

__all__ = [
    "CALLBACKS", "DATASETS", "DATA_DERIVED", "LOSSES", "METRICS", "MODELS", "OPTIMIZERS",
    "PARAMETER_RULES", "SCHEDULES", "DatasetEntry", "ModelEntry", "resolve",
]  # fmt: skip


def resolve(target: str):
    """``"gradlab.models.mlp:MLP"`` -> the object (ImportError/AttributeError if absent)."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


# ---------------------------------------------------------------------------- datasets
def _n(default):
    return Spec(("int",), default, ge=1)


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset: its loader (``gradlab.data`` function), task, shape, and options.

    ``task``: "classification", "binary", "regression" or "by_classes" (decided by the
    ``n_classes`` option). ``image``: (C, H, W) of the image view, None for tabular data.
    ``native_split``: the loader has its own test set (``train=False``).
    ``files``: read from the cache directory (``cache_dir``, ``download`` options).
    ``pairs``: (user, item) int pairs; ``native``: the samples' own view when it is not
    a table or an image ("sequence" (N, T, F) windows of a series, "tokens" (N, T) int
    sequences); ``chronological``: split in time order (the test set is the end).
    ``sklearn``: the loader needs scikit-learn. ``loader`` is a ``gradlab.data`` function
    or a ``module:function``.
    """

    loader: str
    task: str
    image: tuple | None = None
    native_split: bool = False
    files: bool = False
    pairs: bool = False
    standardize: bool = True
    options: dict = field(default_factory=dict)
    native: str | None = None
    chronological: bool = False
    sklearn: bool = True


DATASETS = {
    "digits": DatasetEntry("load_digits", "classification", image=(1, 8, 8)),
    "iris": DatasetEntry("load_iris", "classification"),
    "wine": DatasetEntry("load_wine", "classification"),
    "breast_cancer": DatasetEntry("load_breast_cancer", "binary"),
    "diabetes": DatasetEntry("load_diabetes", "regression"),
    "make_classification": DatasetEntry("make_classification", "by_classes", options={
        "n_samples": _n(1000), "n_features": _n(20), "n_informative": _n(2),
        "n_redundant": Spec(("int",), 2, ge=0), "n_classes": Spec(("int",), 2, ge=2),
        "n_clusters_per_class": _n(2), "class_sep": Spec(("float",), 1.0, gt=0),
        "flip_y": Spec(("float",), 0.01, ge=0, le=1),
    }),
    "moons": DatasetEntry("make_moons", "binary", options={
        "n_samples": _n(1000), "noise": Spec(("float",), 0.2, ge=0),
    }),
    "spirals": DatasetEntry("make_spirals", "classification", options={
        "n_samples": _n(300), "n_classes": Spec(("int",), 3, ge=2),
        "noise": Spec(("float",), 0.2, ge=0),
    }),
    "regression_with_outliers": DatasetEntry(
            "make_regression_with_outliers", "regression", options={
        "n_samples": _n(200), "n_features": _n(1),
        "outlier_fraction": Spec(("float",), 0.1, ge=0, le=1),
        "noise": Spec(("float",), 0.5, ge=0), "outlier_scale": Spec(("float",), 20.0, ge=0),
    }),
    "imbalanced_binary": DatasetEntry("make_imbalanced_binary", "binary", options={
        "n_samples": _n(1000), "n_features": _n(20),
        "weights": Spec(("list[float]",), [0.9, 0.1], gt=0, lt=1, length=2),
    }),
    "mnist": DatasetEntry("load_mnist", "classification", image=(1, 28, 28),
                          native_split=True, files=True, standardize=False),
    "fashion_mnist": DatasetEntry("load_fashion_mnist", "classification", image=(1, 28, 28),
                                  native_split=True, files=True, standardize=False),
    "cifar10": DatasetEntry("load_cifar10", "classification", image=(3, 32, 32),
                            native_split=True, files=True, standardize=False),
    "movielens": DatasetEntry("load_movielens_100k", "regression", files=True, pairs=True,
                              standardize=False),
    "synthetic_ratings": DatasetEntry("make_ratings", "regression", pairs=True,
                                      standardize=False, sklearn=False, options={
        "n_users": _n(943), "n_items": _n(1682), "n_ratings": _n(100_000),
        "latent_dim": _n(4), "noise": Spec(("float",), 1.0, ge=0),
        "popularity": Spec(("float",), 0.6, ge=0),
    }),
    "seasonal_series": DatasetEntry(
            "gradlab.lab.task_data:seasonal_windows", "regression", native="sequence",
            chronological=True, standardize=False, sklearn=False, options={
        "length": _n(1000), "period": Spec(("int",), 50, ge=2),
        "noise": Spec(("float",), 0.1, ge=0), "trend": Spec(("float",), 0.0),
        "window": _n(24), "horizon": _n(1),
    }),
    "gaussian_mixture": DatasetEntry("make_gaussian_mixture", "classification",
                                     standardize=False, sklearn=False, options={
        "n_samples": _n(2000), "n_modes": _n(8), "radius": Spec(("float",), 2.0, gt=0),
        "std": Spec(("float",), 0.1, gt=0), "layout": Spec(("str",), "ring",
                                                           choices=("ring", "grid")),
    }),
    "reversal_pairs": DatasetEntry("make_reversal_pairs", "seq2seq", native="tokens",
                                   standardize=False, sklearn=False, options={
        "n_samples": _n(5000), "min_length": _n(3), "max_length": _n(8),
    }),
}  # fmt: skip

VIEWS = ("flat", "image", "sequence")


# ---------------------------------------------------------------------------- models
@dataclass(frozen=True)
class ModelEntry:
    """A model: the class (``module:Class``), the input view it reads, keyword arguments
    fixed by the name (``lstm`` is SequenceClassifier with cell="lstm"), and what its
    targets are ("labels" from the data, or "input" for an autoencoder)."""

    target: str
    view: str = "flat"
    fixed: dict = field(default_factory=dict)
    targets: str = "labels"
    output: str = "classes"  # "classes" | "one" (one logit) | "none" (fixed by the input)
    loop: str = "fit"  # how it trains: LOOPS (gradlab.lab.loops)
    tasks: tuple | None = None  # the data tasks it can learn (None: any)


MODELS = {
    "mlp": ModelEntry("gradlab.models.mlp:MLP"),
    "perceptron": ModelEntry(
        "gradlab.models.perceptron:Perceptron",
        output="one",
        loop="perceptron",
        tasks=("binary",),
    ),
    "logistic_regression": ModelEntry(
        "gradlab.models.logistic_regression:LogisticRegression", output="one"
    ),
    "cnn": ModelEntry("gradlab.models.cnn:LeNet", view="image"),
    "notes_cnn": ModelEntry("gradlab.models.cnn:NotesCNN", view="image"),
    "cifar_cnn": ModelEntry("gradlab.models.cnn:CifarTutorialCNN", view="image"),
    "resnet": ModelEntry("gradlab.models.resnet:ResNet"),
    "lstm": ModelEntry("gradlab.models.recurrent:SequenceClassifier", "sequence", {"cell": "lstm"}),
    "gru": ModelEntry("gradlab.models.recurrent:SequenceClassifier", "sequence", {"cell": "gru"}),
    "rnn": ModelEntry("gradlab.models.recurrent:SequenceClassifier", "sequence", {"cell": "rnn"}),
    "forecaster": ModelEntry(
        "gradlab.models.recurrent:Forecaster", "sequence", output="none", tasks=("regression",)
    ),
    "autoencoder": ModelEntry(
        "gradlab.models.autoencoder:Autoencoder", targets="input", output="none"
    ),
    "neural_cf": ModelEntry("gradlab.models.recommender:NeuralCF", view="pairs", output="none"),
    "matrix_factorization": ModelEntry(
        "gradlab.models.recommender:MatrixFactorization", view="pairs", output="none"
    ),
    "seq2seq": ModelEntry(
        "gradlab.models.seq2seq:Seq2Seq",
        view="tokens",
        output="none",
        loop="seq2seq",
        tasks=("seq2seq",),
    ),
    "gan": ModelEntry("gradlab.lab.gan_pair:GANPair", output="none", targets="none", loop="gan"),
}

DATA_DERIVED = (
    "in_features", "in_channels", "image_size", "input_size", "num_classes", "out_features",
    "num_users", "num_items", "vocab_size", "horizon",
)  # fmt: skip
"""Constructor parameters filled from the data, never written in a config."""

# ranges and choices of parameters, by name, wherever they appear (model, loss, optimizer,
# schedule, callback); a table's own rules (below) win
PARAMETER_RULES = {
    "lr": {"gt": 0}, "momentum": {"ge": 0, "le": 1}, "dampening": {"ge": 0, "le": 1},
    "weight_decay": {"ge": 0}, "eps": {"gt": 0}, "alpha": {"ge": 0},
    "betas": {"ge": 0, "lt": 1, "length": 2}, "lr_decay": {"ge": 0},
    "initial_accumulator_value": {"ge": 0}, "momentum_decay": {"ge": 0},
    "dropout": {"ge": 0, "lt": 1}, "hidden_sizes": {"ge": 1}, "hidden_size": {"ge": 1},
    "num_layers": {"ge": 1}, "latent_dim": {"ge": 1}, "depth": {"ge": 1}, "width": {"ge": 1},
    "embedding_dim": {"ge": 1}, "patience": {"ge": 0}, "min_delta": {"ge": 0},
    "cooldown": {"ge": 0}, "min_lr": {"ge": 0}, "threshold": {"ge": 0},
    "label_smoothing": {"ge": 0, "le": 1}, "delta": {"gt": 0}, "beta": {"ge": 0},
    "quantile": {"gt": 0, "lt": 1}, "gamma": {"ge": 0}, "weight": {"ge": 0},
    "pos_weight": {"ge": 0}, "smooth": {"ge": 0},
    "reduction": {"choices": ("mean", "sum")},
    "mode": {"choices": ("auto", "min", "max")},
    "cell": {"choices": ("lstm", "gru", "rnn")},
    "output_activation": {"choices": ("none", "tanh", "sigmoid")}, "horizon": {"ge": 1},
}  # fmt: skip

# ---------------------------------------------------------------------------- losses
# name -> (class, kind): "class_index" takes class labels against (B, C) logits, "binary"
# 0/1 labels against one logit (B, 1), "regression" real targets; "either" is class_index on
# a multi-class task and binary otherwise.
LOSSES = {
    "cross_entropy": ("gradlab.nn:CrossEntropyLoss", "class_index"),
    "bce_with_logits": ("gradlab.nn:BCEWithLogitsLoss", "binary"),
    "focal": ("gradlab.nn:FocalLoss", "either"),
    "mse": ("gradlab.nn:MSELoss", "regression"),
    "mae": ("gradlab.nn:L1Loss", "regression"),
    "l1": ("gradlab.nn:L1Loss", "regression"),
    "huber": ("gradlab.nn:HuberLoss", "regression"),
    "smooth_l1": ("gradlab.nn:SmoothL1Loss", "regression"),
    "quantile": ("gradlab.nn:QuantileLoss", "regression"),
}
LOSS_SKIP = ("size_average", "reduce")
LOSS_RULES = {
    "weight": {"kinds": ("list[float]",)},
    "pos_weight": {"kinds": ("list[float]", "float")},
    "alpha": {"kinds": ("float", "list[float]"), "ge": 0},
}

# ---------------------------------------------------------------------------- optimizers
OPTIMIZERS = {
    "sgd": "gradlab.optim:SGD",
    "adam": "gradlab.optim:Adam",
    "adamw": "gradlab.optim:AdamW",
    "rmsprop": "gradlab.optim:RMSprop",
    "adagrad": "gradlab.optim:Adagrad",
    "nadam": "gradlab.optim:NAdam",
}
OPTIMIZER_SKIP = ("params", "foreach", "maximize", "differentiable", "capturable", "fused")


# ---------------------------------------------------------------------------- schedules
@dataclass(frozen=True)
class ScheduleEntry:
    """A schedule: the class, when it steps by default and which steps it allows, the
    arguments the config may not give (filled by the builder) and extra rules."""

    target: str | None
    per: str = "epoch"
    pers: tuple = ("epoch", "batch")
    filled: tuple = ()
    rules: dict = field(default_factory=dict)


_SCHEDULE_SKIP = ("optimizer", "last_epoch", "verbose", "scale_fn", "lr_lambda")
SCHEDULES = {
    "none": ScheduleEntry(None),
    "step": ScheduleEntry("gradlab.optim.lr_scheduler:StepLR", rules={
        "step_size": {"ge": 1}, "gamma": {"gt": 0}}),
    "multistep": ScheduleEntry("gradlab.optim.lr_scheduler:MultiStepLR", rules={
        "milestones": {"kinds": ("list[int]",), "ge": 1, "min_length": 1}, "gamma": {"gt": 0}}),
    "exponential": ScheduleEntry("gradlab.optim.lr_scheduler:ExponentialLR", rules={
        "gamma": {"kinds": ("float",), "gt": 0}}),
    "linear": ScheduleEntry("gradlab.optim.lr_scheduler:LinearLR", rules={
        "start_factor": {"gt": 0, "le": 1}, "end_factor": {"ge": 0, "le": 1},
        "total_iters": {"ge": 1}}),
    "cosine": ScheduleEntry("gradlab.optim.lr_scheduler:CosineAnnealingLR", rules={
        "T_max": {"kinds": ("int",), "ge": 1, "default": None}, "eta_min": {"ge": 0}}),
    "cosine_warm_restarts": ScheduleEntry(
        "gradlab.optim.lr_scheduler:CosineAnnealingWarmRestarts", rules={
            "T_0": {"kinds": ("int",), "ge": 1}, "T_mult": {"kinds": ("int",), "ge": 1},
            "eta_min": {"ge": 0}}),
    "cyclic": ScheduleEntry("gradlab.optim.lr_scheduler:CyclicLR", per="batch", rules={
        "base_lr": {"kinds": ("float",), "gt": 0, "default": None},
        "max_lr": {"kinds": ("float",), "gt": 0},
        "step_size_up": {"ge": 1}, "step_size_down": {"kinds": ("int",), "ge": 0},
        "mode": {"choices": ("triangular", "triangular2", "exp_range")},
        "scale_mode": {"choices": ("cycle", "iterations")}, "gamma": {"gt": 0},
        "window": {"choices": ("triangular", "welch", "hann")},
        "base_momentum": {"ge": 0, "le": 1}, "max_momentum": {"ge": 0, "le": 1}}),
    "one_cycle": ScheduleEntry("gradlab.optim.lr_scheduler:OneCycleLR", per="batch",
                               filled=("total_steps", "epochs", "steps_per_epoch"), rules={
        "max_lr": {"kinds": ("float",), "gt": 0, "default": None},
        "pct_start": {"gt": 0, "lt": 1}, "anneal_strategy": {"choices": ("cos", "linear")},
        "div_factor": {"gt": 0}, "final_div_factor": {"gt": 0},
        "base_momentum": {"ge": 0, "le": 1}, "max_momentum": {"ge": 0, "le": 1}}),
    "plateau": ScheduleEntry("gradlab.optim.lr_scheduler:ReduceLROnPlateau", pers=("epoch",),
                             rules={"mode": {"choices": ("min", "max")},
                                    "factor": {"gt": 0, "lt": 1},
                                    "threshold_mode": {"choices": ("rel", "abs")},
                                    "min_lr": {"kinds": ("float",), "ge": 0}}),
}  # fmt: skip
SCHEDULE_SKIP = _SCHEDULE_SKIP

# ---------------------------------------------------------------------------- callbacks
# name -> (class, the signature whose keywords it takes, rules)
CALLBACKS = {
    "early_stopping": ("gradlab.train:EarlyStopping", None, {"verbose": {"kinds": ("int",)}}),
    "model_checkpoint": ("gradlab.train:ModelCheckpoint", None, {
        "path": {"kinds": ("str",), "default": "checkpoint.safetensors"}}),
    "reduce_lr_on_plateau": ("gradlab.train:ReduceLROnPlateau", None, {  # Keras's arguments
        "factor": {"gt": 0, "lt": 1}, "mode": {"choices": ("auto", "min", "max")},
        "min_delta": {"ge": 0}, "cooldown": {"ge": 0}, "patience": {"ge": 0},
        "min_lr": {"kinds": ("float",), "ge": 0}}),
    "csv_logger": ("gradlab.train:CSVLogger", None, {
        "path": {"kinds": ("str",), "default": "log.csv"}}),
    "terminate_on_nan": ("gradlab.train:TerminateOnNaN", None, {}),
    "gradient_flow": ("gradlab.train:GradientFlow", None, {}),
}  # fmt: skip

METRICS = tuple(TRAINER_METRICS)  # the names; gradlab.train.metrics holds the one table

# the [training] table
TRAINING = {
    "epochs": Spec(("int",), REQUIRED, ge=1, doc="passes over the training data"),
    "batch_size": Spec(("int",), 32, ge=1),
    "seed": Spec(("int",), 0, ge=0, doc="seeds the data split, the weights and the shuffling"),
    "validation_split": Spec(("float",), 0.2, ge=0, lt=1),
    "validation": Spec(
        ("str",),
        "split",
        choices=("split", "test"),
        doc="validate on a split of the training data, or on the test set "
        "(as the notes' Keras examples do)",
    ),
    "shuffle": Spec(("bool",), True),
    "metrics": Spec(("list[str]",), None, choices=METRICS),
    "backup": Spec(("bool",), True, doc="keep a backup in the output directory for --resume"),
}
