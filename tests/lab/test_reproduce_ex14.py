"""gradlab reproduce, example 14 (notes 002 Q4, optimizers): the notes' CNN with SGD momentum,
Adam, RMSprop and Adagrad, on digits when CIFAR-10 is absent (the checks hold), on CIFAR-10
when its batches are in the cache directory (tiny fake batches here)."""

import io

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from gradlab import nn  # noqa: E402
from gradlab.data.cifar import RECORD_BYTES, SUBDIR, TEST_FILES, TRAIN_FILES  # noqa: E402
from gradlab.lab.reproduce import ex14_cnn_optimizers as ex14  # noqa: E402
from gradlab.lab.reproduce import load_examples, run  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NOTES = ["momentum", "adam", "rmsprop", "adagrad"]


def test_example_14_on_digits(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADLAB_DATA", str(tmp_path / "empty-cache"))
    monkeypatch.chdir(tmp_path)
    example = load_examples().find("cnn-optimizers")
    assert example is not None and load_examples().find("14") is example
    out = io.StringIO()
    status = run(["14"], out=out)
    text = out.getvalue()
    assert status == 0, text
    assert "Example 14 (cnn-optimizers)" in text and "[notes 002 Q4]" in text
    assert "PASS  1 example, 8 checks: 8 passed, 0 failed" in text
    assert "CIFAR-10 is not in the cache directory" in text
    assert f"for {ex14.DIGITS_EPOCHS} epochs instead of the notes' CIFAR-10 for 10" in text
    for name in NOTES:
        assert f"{name}: test accuracy" in text and f"{name}: training loss fell" in text
    assert "| sgd |" not in text  # plain SGD is the experiment's extra, not the notes'
    directory = tmp_path / ex14.OUT_DIR
    assert f"plots and report: {directory.resolve()}" in text
    report = (directory / "report.md").read_text()
    for name in NOTES:
        assert f"| {name} |" in report
    for png in ("accuracy.png", "val_accuracy.png", "loss.png", "val_loss.png"):
        assert (directory / png).read_bytes()[:8] == PNG_SIGNATURE


def _fake_cifar(root, records=20):
    directory = root / SUBDIR
    directory.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in TRAIN_FILES + TEST_FILES:
        data = rng.integers(0, 256, size=(records, RECORD_BYTES), dtype=np.uint8)
        data[:, 0] = np.arange(records) % 10
        data.tofile(directory / name)


def test_example_14_uses_cifar10_when_present(tmp_path, monkeypatch):
    _fake_cifar(tmp_path / "cache")
    monkeypatch.setenv("GRADLAB_DATA", str(tmp_path / "cache"))
    result, printed = ex14.run_comparison(tmp_path / "out", epochs=1, limit=40)
    pr = result.parts[0]
    assert pr.part.data.name == "cifar10" and pr.part.data.sample_shape == (3, 32, 32)
    assert pr.variant_names == NOTES
    assert "CIFAR-10 is not in" not in printed
    assert "standardized" not in pr.part.data.description  # /255 only, as the notes
    report = ex14._report(result, printed, ex14.Report())
    assert "CIFAR-10 from the cache directory" in report.lines[0]
    assert [c.label.split(":")[0] for c in report.checks] == [n for n in NOTES for _ in (0, 1)]
    assert "0.25" in report.checks[1].label


def test_keras_initialization():
    variant = ex14._keras_init(ex14.Variant("v", lambda data: _setup()))
    setup = variant.build(None)
    for module in setup.model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            assert np.all(module.bias.numpy() == 0)
            fan_out, fan_in = module.weight.shape[0], int(np.prod(module.weight.shape[1:]))
            fan_out *= int(np.prod(module.weight.shape[2:]))
            bound = np.sqrt(6.0 / (fan_in + fan_out))  # Glorot-uniform's limit
            assert np.abs(module.weight.numpy()).max() <= bound
            assert np.abs(module.weight.numpy()).max() > 0.8 * bound


def _setup():
    from gradlab import optim
    from gradlab.lab.compare.experiment import Setup
    from gradlab.models import NotesCNN

    model = NotesCNN(in_channels=1, num_classes=10, image_size=18)
    return Setup(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01))
