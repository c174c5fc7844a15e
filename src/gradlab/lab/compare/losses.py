"""Loss functions (notes 002, loss functions Q4–Q6) in two comparisons:

- regression with outliers: MSE, MAE, Huber and quantile (pinball) losses fit a line to data
  where 10% of the targets are gross errors, scored on clean test points (MAE, RMSE, the
  fitted slope against the true one, and the share of test targets below the prediction);
- imbalanced classification (95% / 5%): plain, class-weighted and focal binary cross-entropy
  in the notes' 64-32-1 network, scored on the minority class (recall, precision, F1).
"""

from __future__ import annotations

import math

import numpy as np

from gradlab import nn, optim
from gradlab.lab.compare.datasets import _standardize, limit_data
from gradlab.lab.compare.experiment import Column, Data, Experiment, Options, Part, Setup, Variant
from gradlab.lab.compare.figures import plot_fitted_lines
from gradlab.models import MLP
from gradlab.tensor import Tensor
from gradlab.train import roc_auc

SEED = 0
N_REGRESSION, N_REGRESSION_TRAIN, OUTLIERS = 400, 300, 0.1
REGRESSION_LR = 0.05
N_IMBALANCED, MINORITY, CLASS_SEP = 3000, 0.05, 0.5
HIDDEN = (64, 32)  # the notes' binary classifier (Q4: Dense 64 → Dense 32 → Dense 1)
LR = 1e-3
BATCH = 32


def _regression_data(limit) -> Data:
    from gradlab.data import make_regression_with_outliers

    bunch = make_regression_with_outliers(N_REGRESSION, n_features=1, outlier_fraction=OUTLIERS,
                                          seed=SEED)  # fmt: skip
    mask = bunch.extra["outlier_mask"]
    n = N_REGRESSION_TRAIN
    clean_test = ~mask[n:]  # score on points whose targets were not corrupted
    data = Data(
        "outliers", bunch.X[:n], bunch.y[:n], bunch.X[n:][clean_test], bunch.y[n:][clean_test],
        "regression",
        f"make_regression_with_outliers({N_REGRESSION}, 1 feature, {OUTLIERS:.0%} of targets "
        f"shifted by ±20..40, noise 0.5): {n} training points with their outliers, test on "
        "the clean points of the rest",
        extra={"coef": float(bunch.extra["coef"][0]), "intercept": bunch.extra["intercept"],
               "train_outliers": mask[:n]},
    )  # fmt: skip
    if limit is not None:
        rng = np.random.default_rng(SEED)
        keep = np.sort(rng.permutation(n)[: min(limit, n)])
        data.x_train, data.y_train = data.x_train[keep], data.y_train[keep]
        data.extra["train_outliers"] = data.extra["train_outliers"][keep]
        data.description += f"; a random subset of {len(keep)} training points"
    return data


def _imbalanced_data(limit) -> Data:
    from gradlab.data import make_classification, train_test_split

    # class_sep 0.5: classes that overlap, so where the boundary goes depends on the loss
    bunch = make_classification(n_samples=N_IMBALANCED, n_features=20, n_informative=5,
                                n_redundant=2, weights=[1 - MINORITY], class_sep=CLASS_SEP,
                                flip_y=0.0, seed=SEED)  # fmt: skip
    x_train, x_test, y_train, y_test = train_test_split(bunch.X, bunch.y, test_size=0.2,
                                                        seed=SEED, stratify=True)  # fmt: skip
    x_train, x_test = _standardize(x_train, x_test)
    data = Data("imbalanced", x_train, y_train, x_test, y_test, "binary",
                f"make_classification({N_IMBALANCED}, 20 features, 5 informative, classes "
                f"{1 - MINORITY:.0%} / {MINORITY:.0%}, class_sep={CLASS_SEP}), standardized, "
                "stratified 80/20 split", num_classes=2)  # fmt: skip
    return limit_data(data, limit)


def _pos_weight(data: Data) -> float:
    positives = max(int(data.y_train.sum()), 1)
    return (len(data.y_train) - positives) / positives


def _regression_variant(name, text, make) -> Variant:
    def build(data):
        model = MLP(1, hidden_sizes=(), out_features=1)  # one Linear(1, 1): a line
        return Setup(model, make(), optim.Adam(model.parameters(), lr=REGRESSION_LR))

    return Variant(name, build, text)


def _classifier_variant(name, text, make) -> Variant:
    def build(data):
        model = MLP(data.in_features, hidden_sizes=HIDDEN, out_features=1)
        return Setup(model, make(data), optim.Adam(model.parameters(), lr=LR))

    return Variant(name, build, text)


REGRESSION = [
    ("mse", "MSELoss: mean of e²", nn.MSELoss),
    ("mae", "L1Loss: mean of |e|", nn.L1Loss),
    ("huber", "HuberLoss(delta=1): e²/2 within 1, |e| − 1/2 beyond",
     lambda: nn.HuberLoss(delta=1.0)),
    ("quantile_0.5", "QuantileLoss(0.5): the median (half the MAE)", lambda: nn.QuantileLoss(0.5)),
    ("quantile_0.9", "QuantileLoss(0.9): the 90th percentile", lambda: nn.QuantileLoss(0.9)),
]  # fmt: skip
CLASSIFIERS = [
    ("plain", "BCEWithLogitsLoss()", lambda d: nn.BCEWithLogitsLoss()),
    ("weighted", "BCEWithLogitsLoss(pos_weight = negatives / positives)",
     lambda d: nn.BCEWithLogitsLoss(pos_weight=Tensor(np.array([_pos_weight(d)], np.float32)))),
    ("focal", "FocalLoss(gamma=2): BCE × (1 − p_t)²", lambda d: nn.FocalLoss(gamma=2.0)),
    ("focal_alpha", f"FocalLoss(gamma=2, alpha={1 - MINORITY}): α-balanced focal loss",
     lambda d: nn.FocalLoss(gamma=2.0, alpha=1 - MINORITY)),
]  # fmt: skip


class Losses(Experiment):
    name = "losses"
    title = "loss functions with outliers and with imbalanced classes"
    summary = "MSE/MAE/Huber/quantile with outliers; plain/weighted/focal BCE when imbalanced"
    notes = (
        "The notes (002, loss functions Q4–Q6) say MSE squares errors and lets outliers pull "
        "the fit, MAE and Huber are more robust, quantile loss targets a chosen quantile; and "
        "that on imbalanced classes (their example: 95% healthy, 5% disease) plain "
        "cross-entropy favours the majority, while weighted cross-entropy or focal loss "
        "improve sensitivity to the minority class."
    )
    datasets = ("synthetic",)
    default_data = "synthetic"
    default_epochs = 30
    default_seeds = 3

    def parts(self, options: Options) -> list[Part]:
        regression = _regression_data(options.limit)
        imbalanced = _imbalanced_data(options.limit)
        return [
            Part(
                title="Regression with outliers",
                key="regression",
                data=regression,
                variants=[_regression_variant(*s) for s in REGRESSION],
                metrics=("mae", "rmse"),
                columns=[
                    Column("val_mae", "test MAE", "min"),
                    Column("val_rmse", "test RMSE", "min"),
                    Column("slope_error", "|slope − true|", "min"),
                    Column("below", "test targets below prediction", ""),
                ],
                batch_size=BATCH,
                curves=(("loss", "training loss (each variant's own loss)", True),
                        ("val_mae", "test MAE (clean points)", True)),
                setup=(
                    "A straight line y = w·x + b (gradlab.models.MLP with no hidden layer, one "
                    f"Linear(1, 1)), Adam(lr={REGRESSION_LR}), batch {BATCH}; only the loss "
                    "changes. Test MAE/RMSE are on clean points, so they measure how far the "
                    "outliers pulled the line; the last column is the share of clean test "
                    "targets below the prediction (about 0.5 for a median fit, 0.9 for the "
                    "90th percentile)."
                ),
            ),
            Part(
                title="Imbalanced classification",
                key="imbalanced",
                data=imbalanced,
                variants=[_classifier_variant(*s) for s in CLASSIFIERS],
                metrics=("accuracy", "precision", "recall", "f1"),
                columns=[
                    Column("val_recall", "minority recall", "max"),
                    Column("val_precision", "minority precision", "max"),
                    Column("val_f1", "minority F1", "max"),
                    Column("val_accuracy", "accuracy", "max"),
                    Column("roc_auc", "ROC AUC", "max"),
                ],
                batch_size=BATCH,
                curves=(("loss", "training loss (each variant's own loss)", True),
                        ("val_recall", "minority-class recall (test)", False),
                        ("val_f1", "minority-class F1 (test)", False)),
                setup=(
                    f"The notes' binary classifier: MLP {imbalanced.in_features} → "
                    f"{HIDDEN[0]} → {HIDDEN[1]} → 1 logit (ReLU), Adam(lr={LR}), batch {BATCH}; "
                    "only the loss changes. A sample is called positive (the 5% class) when "
                    "its logit is above 0. Recall, precision and F1 are the minority "
                    f"class's; the class weight is negatives / positives = "
                    f"{_pos_weight(imbalanced):.1f}."
                ),
            ),
        ]  # fmt: skip

    def finish_run(self, part, run, trainer, setup) -> None:
        data = part.data
        output = trainer.predict(data.x_test, batch_size=256).reshape(-1)
        if part.key == "regression":
            weight = float(setup.model.layers[0].weight.numpy().reshape(-1)[0])
            bias = float(setup.model.layers[0].bias.numpy().reshape(-1)[0])
            run.extra["line"] = [weight, bias]
            run.final["slope_error"] = abs(weight - data.extra["coef"])
            run.final["below"] = float(np.mean(data.y_test <= output))
        elif np.isfinite(output).all() and len(np.unique(data.y_test)) == 2:
            run.final["roc_auc"] = roc_auc(data.y_test, output)

    def extend_report(self, result, report, out_dir) -> None:
        if result.part.key != "regression":
            return
        data = result.part.data
        lines = {}
        for variant in result.variant_names:
            fits = [r.extra["line"] for r in result.runs_of(variant) if "line" in r.extra]
            fits = [f for f in fits if all(math.isfinite(v) for v in f)]
            if fits:
                lines[variant] = tuple(np.mean(fits, axis=0))
        if not lines:
            return
        path = plot_fitted_lines(
            data.x_train[:, 0], data.y_train, data.extra["train_outliers"], lines,
            out_dir / result.part.file("fitted_lines.png"),
            truth=(data.extra["coef"], data.extra["intercept"]),
            title="fitted lines (mean over seeds) and the training data",
        )  # fmt: skip
        report.heading("Fitted lines", 3)
        report.paragraph(f"True line: y = {data.extra['coef']:.3f}·x + "
                         f"{data.extra['intercept']:.3f}.")  # fmt: skip
        report.table(["variant", "slope", "intercept"],
                     [[v, w, b] for v, (w, b) in lines.items()])  # fmt: skip
        report.image(path.relative_to(out_dir), "fitted lines over the training data")

    def conclusions(self, results) -> list[str]:
        lines = []
        for pr in results:
            if pr.part.key == "regression":
                best, mae = pr.best("val_mae", "min")
                if best is not None and "mse" in pr.variant_names:
                    lines.append(f"regression: lowest clean test MAE {best} ({mae:.3f}); MSE "
                                 f"{pr.mean('mse', 'val_mae'):.3f}")  # fmt: skip
                names = pr.variant_names
                if (
                    "mae" in names
                    and "quantile_0.5" in names
                    and np.allclose(
                        pr.values("mae", "val_mae"), pr.values("quantile_0.5", "val_mae"), rtol=1e-3
                    )
                ):
                    lines.append("regression: quantile_0.5 matches mae: the pinball loss at "
                                 "q = 0.5 is half the absolute error, and Adam's steps do not "
                                 "depend on the gradient's scale")  # fmt: skip
            else:
                best, recall = pr.best("val_recall", "max")
                if best is not None and "plain" in pr.variant_names:
                    lines.append(f"imbalanced: highest minority recall {best} ({recall:.3f}); "
                                 f"plain BCE {pr.mean('plain', 'val_recall'):.3f}")  # fmt: skip
                best, f1 = pr.best("val_f1", "max")
                if best is not None:
                    lines.append(f"imbalanced: highest minority F1 {best} ({f1:.3f})")
        return lines


EXPERIMENT = Losses()
