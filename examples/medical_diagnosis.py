"""The notes' EHR medical-diagnosis application on breast_cancer: class-weighted BCE, a
decision threshold chosen on validation data for 95% recall, recall / precision / ROC-AUC
with the ROC curve, and per-feature gradient attribution.

Writes ``roc_curve.png``, ``attribution.png``, ``training.png`` and ``report.md`` into
``runs/medical_diagnosis/`` (or the directory given as the first argument).
Run: ``python examples/medical_diagnosis.py [out_dir]``.
"""

import sys

from gradlab.lab.applications.medical_diagnosis import medical_diagnosis


def main(out="runs/medical_diagnosis"):
    result = medical_diagnosis(out_dir=out)
    print(result.summary())
    print(f"stopped after {len(result.history)} epochs (best weights restored)")
    print("\nstrongest features (gradient of the malignancy logit, standardized inputs):")
    print(result.attribution.to_text(10))
    for path in result.files.values():
        print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main(*sys.argv[1:2])
