import numpy as np
import pytest

from gradlab import optional
from gradlab.lab.plots import plot_curves, plot_history
from gradlab.lab.report import MarkdownReport, markdown_table
from gradlab.train import History

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_history_writes_a_png(tmp_path):
    history = History()
    for epoch in range(3):
        history.append(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 1.2 / (epoch + 1),
                               "accuracy": 0.5 + 0.1 * epoch, "lr": 0.1 * 0.1**epoch})  # fmt: skip
    path = plot_history(history, tmp_path / "sub" / "history.png", title="run")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with pytest.raises(ValueError, match="empty"):
        plot_history({}, tmp_path / "x.png")


def test_plot_curves_with_runs_band(tmp_path):
    curves = {"a": np.random.default_rng(0).random((3, 5)), "b": np.arange(5.0)}
    path = plot_curves(curves, tmp_path / "c.png", ylabel="loss", log_y=False)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with pytest.raises(ValueError, match="no curves"):
        plot_curves({}, tmp_path / "d.png", ylabel="loss")


def test_markdown_table_and_report(tmp_path):
    table = markdown_table(["name", "value"], [["relu", 0.123456], ["tanh", float("nan")]])
    assert table.splitlines() == [
        "| name | value |",
        "| --- | --- |",
        "| relu | 0.1235 |",
        "| tanh | nan |",
    ]
    with pytest.raises(ValueError, match="row 0 has 1 cells, expected 2"):
        markdown_table(["a", "b"], [[1]])
    report = MarkdownReport("Title")
    report.paragraph("Some text.")
    report.image("loss.png", "loss")
    path = report.write(tmp_path / "report.md")
    assert path.read_text() == "# Title\n\nSome text.\n\n![loss](loss.png)\n"


def test_missing_dependency_names_the_extra(monkeypatch):
    with pytest.raises(optional.MissingDependencyError, match=r"pip install 'gradlab\[lab\]'"):
        optional.require("gradlab_no_such_module.sub", "gradlab tune")
    monkeypatch.setitem(optional.EXTRAS, "gradlab_no_such_module", "tensorboard")
    with pytest.raises(ImportError, match=r"TensorBoard: gradlab_no_such_module is not installed"):
        optional.require("gradlab_no_such_module", "TensorBoard")


def test_plot_image_grid(tmp_path):
    from gradlab.lab.plots import plot_image_grid

    images = np.random.default_rng(0).random((13, 64))
    path = plot_image_grid(images, tmp_path / "grid.png", shape=(8, 8), columns=5, title="t")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
