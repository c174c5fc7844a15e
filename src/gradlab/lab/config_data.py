"""The checks of a config's ``[data]`` table, and of the model's input against the data (a
CNN needs images, a recommender (user, item) pairs, an encoder-decoder token sequences, a
forecaster a regression target).

Both fill the config (``config.data``, ``config.derived["task"]`` and ``["dataset"]``) and
return problem lines without the file prefix.
"""

from __future__ import annotations

from gradlab.lab import vocabulary as V
from gradlab.lab.schema import Spec, check_table, choose, one_of

__all__ = ["check_data", "check_model_data"]


def check_data(config, table) -> list:
    """Check ``[data]``: the dataset's name, its options, the split and the view."""
    if table is None:
        return []
    name, problems = choose(table, "data", list(V.DATASETS))
    if name is None:
        config.data = {}
        return problems
    entry = V.DATASETS[name]
    specs = {
        "test_size": Spec(("float",), 0.2, gt=0, lt=1),
        "standardize": Spec(("bool",), entry.standardize),
        "view": Spec(("str",), None, choices=V.VIEWS),
        "max_samples": Spec(("int",), None, ge=1),
        "seed": Spec(("int",), None, ge=0),
        **entry.options,
    }
    if entry.files:
        specs["cache_dir"] = Spec(("str",), None)
        specs["download"] = Spec(("bool",), True)
    if entry.native_split:
        del specs["test_size"]  # these datasets have their own test set
    if entry.pairs or entry.native == "tokens":
        del specs["view"]
        del specs["standardize"]
    values, found = check_table(table, specs, "data", fixed=("name",))
    config.data = {"name": name, **values}
    task = entry.task
    if task == "by_classes":
        task = "binary" if config.data.get("n_classes", 2) == 2 else "classification"
    config.derived["task"] = task
    config.derived["dataset"] = entry
    if name == "reversal_pairs" and values.get("min_length", 3) > values.get("max_length", 8):
        found.append(
            f"data.min_length: must be <= max_length ({values.get('max_length', 8)}), "
            f"got {values['min_length']}"
        )
    return problems + found


def _model_name(config) -> str:
    return repr(config.model.get("name") or config.model.get("file"))


_KINDS = {"pairs": "(user, item) pairs", "tokens": "token sequences"}


def _data_kind(entry, view: str) -> str:
    if entry.pairs:
        return _KINDS["pairs"]
    if entry.native == "tokens":
        return _KINDS["tokens"]
    return f"not {_KINDS.get(view, view)}"


def _input_kind(entry) -> str:
    return "pairs" if entry.pairs else entry.native if entry.native == "tokens" else "other"


def check_model_data(config) -> list:
    """The model's input view and task against the dataset."""
    entry, view = config.derived.get("dataset"), config.derived.get("view")
    if entry is None or view is None:
        return []
    name = config.data["name"]
    problems = _check_task(config, name)
    special = {"pairs": entry.pairs, "tokens": entry.native == "tokens"}
    if view in special or any(special.values()):
        if not special.get(view, False):
            problems.append(
                f"model: {_model_name(config)} reads {view} input but data {name!r} is "
                f"{_data_kind(entry, view)}"
            )
        return problems
    chosen = config.data.get("view")
    if chosen is None:
        config.data["view"] = view
        chosen = view
    if chosen != view and "file" not in config.model:
        problems.append(
            f"data.view: model {_model_name(config)} reads {view!r} input, got view = {chosen!r}"
        )
    needs = f" (model {_model_name(config)} needs {view!r} data)" if chosen == view else ""
    if entry.native == "sequence":
        if chosen == "image":
            problems.append(
                f"data.view: {name!r} is windows of a series, so 'sequence' or 'flat' works; "
                f"got 'image'{needs}"
            )
    elif chosen in ("image", "sequence") and entry.image is None:
        problems.append(
            f"data.view: {name!r} is tabular, so only 'flat' works; got {chosen!r}{needs}"
        )
    elif chosen == "sequence" and entry.image and entry.image[0] != 1:
        problems.append(
            f"data.view: {name!r} has {entry.image[0]} channels; 'sequence' "
            "reads one-channel images row by row"
        )
    return problems


_TASK_WORDS = {
    "binary": "binary classification (labels 0/1)",
    "classification": "classification",
    "regression": "regression (real targets)",
    "seq2seq": "sequence to sequence",
}


def _check_task(config, name: str) -> list:
    model = config.model.get("name")
    entry = V.MODELS.get(model) if model else None
    task = config.derived.get("task")
    if entry is None or entry.tasks is None or task is None or task in entry.tasks:
        return []
    kind = entry.view if entry.view in _KINDS else "other"
    fitting = [n for n, d in V.DATASETS.items() if d.task in entry.tasks and _input_kind(d) == kind]
    fitting.sort(key=lambda n: V.DATASETS[n].native != entry.view)  # the model's own first
    if "binary" in entry.tasks:
        fitting += ["make_classification (n_classes = 2)"]
    learns = " or ".join(_TASK_WORDS[t] for t in entry.tasks)
    return [
        f"model.name: {model!r} learns {learns}, but data {name!r} is {_TASK_WORDS[task]}; "
        f"use data such as {one_of(fitting[:4])}"
    ]
