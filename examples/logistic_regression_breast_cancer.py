"""Logistic regression (sigmoid + BCE) on breast_cancer, against scikit-learn's
LogisticRegression on the same split and the same L2 penalty (C = 1).

scikit-learn minimizes Σ BCE + ||w||² / (2C); gradlab minimizes the mean BCE, so the same
penalty is ``weight_decay = 1 / (C·N)`` on the weight (the bias is not penalized).
Run: ``python examples/logistic_regression_breast_cancer.py``.
"""

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data import load_breast_cancer, train_test_split, transforms
from gradlab.models import LogisticRegression
from gradlab.train import Trainer, metrics


def compare(seeds=(0, 1, 2, 3, 4), epochs: int = 1000, C: float = 1.0, verbose=True) -> list:
    """[(seed, gradlab accuracy, scikit-learn accuracy)] on 25% test splits."""
    from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

    data = load_breast_cancer()
    rows = []
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            data.X, data.y, test_size=0.25, seed=seed, stratify=True
        )
        scaler = transforms.Standardize().fit(X_train)
        X_train, X_test = scaler(X_train), scaler(X_test)
        reference = SklearnLogisticRegression(C=C).fit(X_train, y_train).score(X_test, y_test)

        gradlab.manual_seed(seed)
        model = LogisticRegression(X_train.shape[1])
        optimizer = optim.Adam(
            [{"params": [model.linear.weight], "weight_decay": 1.0 / (C * len(X_train))},
             {"params": [model.linear.bias]}],
            lr=0.05,
        )  # fmt: skip
        schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
        trainer = Trainer(model, nn.BCEWithLogitsLoss(), optimizer, scheduler=schedule)
        trainer.fit(X_train, y_train, epochs=epochs, batch_size=len(X_train), verbose=0)
        accuracy = metrics.accuracy(y_test, model.predict(X_test))
        rows.append((seed, accuracy, reference))
        if verbose:
            print(f"split {seed}: gradlab {accuracy:.4f}  scikit-learn {reference:.4f}  "
                  f"difference {accuracy - reference:+.4f}")  # fmt: skip
    if verbose:
        ours, theirs = np.mean([r[1] for r in rows]), np.mean([r[2] for r in rows])
        print(f"mean over {len(rows)} splits: gradlab {ours:.4f}  scikit-learn {theirs:.4f}")
    return rows


if __name__ == "__main__":
    compare()
