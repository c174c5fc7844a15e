"""gradlab.explain.lr_finder: Leslie Smith's learning-rate range test on a real small problem
(digits, an MLP): a suggestion that trains, the model and optimizer restored, the schedule,
smoothing and stopping rules, and the plot."""

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.data.datasets import load_digits
from gradlab.explain.lr_finder import lr_range_test, quiz_regions, suggest_lr
from gradlab.models import MLP
from gradlab.train import Trainer


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    return (x / 16.0).astype(np.float32), y


def _mlp(seed=0):
    gradlab.manual_seed(seed)
    return MLP(64, (64,), 10)


def _final_loss(data, lr, epochs=3):
    model = _mlp()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=lr))
    history = trainer.fit(*data, epochs=epochs, batch_size=32, verbose=0,
                          generator=np.random.default_rng(0))  # fmt: skip
    return history.history["loss"][-1]


def test_the_suggestion_trains_and_the_model_is_restored(digits):
    model = _mlp()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    before = model.state_dict()
    result = lr_range_test(model, nn.CrossEntropyLoss(), optimizer, *digits, min_lr=1e-6,
                           max_lr=10.0, steps=100, generator=np.random.default_rng(0))  # fmt: skip
    # Adam on digits: the loss starts to fall near 1e-2 and blows up past ~0.5
    assert 3e-3 <= result.suggestion <= 0.2, result.to_text()
    assert result.suggestion < result.best_lr < 1.0
    assert result.suggestion_rule == "steepest descent of the smoothed loss"
    assert result.stop_reason.startswith("stopped at step")  # it diverged before max_lr
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert optimizer.state_dict()["state"] == {}  # Adam's moments are gone again
    assert optimizer.param_groups[0]["lr"] == 1e-3
    assert all(p.grad is None for p in model.parameters())
    # a few epochs at the suggestion train; at the low end (band B) nothing happens
    assert _final_loss(digits, result.suggestion) < 0.3
    assert _final_loss(digits, 1e-5) > 2.0
    bands = list(result.regions)
    assert bands == ["B", "D", "C", "A"], result.regions
    edges = [v for band in result.regions.values() for v in band]
    assert edges == sorted(edges) and result.regions["A"][1] == 10.0
    low, high = result.regions["D"]
    assert low <= result.suggestion <= high


def test_an_optimizer_with_state_is_restored(digits):
    model = _mlp(1)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    Trainer(model, nn.CrossEntropyLoss(), optimizer).fit(*digits, epochs=1, verbose=0)
    weights = model.state_dict()
    state = {k: {n: np.copy(v) for n, v in s.items()}
             for k, s in optimizer.state_dict()["state"].items()}  # fmt: skip
    assert state  # momentum buffers exist
    lr_range_test(model, nn.CrossEntropyLoss(), optimizer, *digits, steps=20,
                  generator=np.random.default_rng(1))  # fmt: skip
    assert all(np.array_equal(weights[k], v) for k, v in model.state_dict().items())
    restored = optimizer.state_dict()["state"]
    assert restored.keys() == state.keys()
    for k in state:
        np.testing.assert_array_equal(restored[k]["momentum_buffer"], state[k]["momentum_buffer"])
    assert optimizer.param_groups[0]["lr"] == 0.05


def test_schedule_and_smoothing(digits):
    model = _mlp()
    result = lr_range_test(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                           *digits, min_lr=1e-5, max_lr=1e-2, steps=70, smoothing=0.8,
                           generator=np.random.default_rng(0))  # fmt: skip
    # 70 steps > the 57 batches of an epoch: the test went on into a second epoch
    assert result.stop_reason == "ran all 70 steps" and len(result.lrs) == 70
    np.testing.assert_allclose(result.lrs, np.geomspace(1e-5, 1e-2, 70), rtol=1e-12)
    average, expected = 0.0, []
    for t, loss in enumerate(result.losses):
        average = 0.8 * average + 0.2 * loss
        expected.append(average / (1 - 0.8 ** (t + 1)))
    np.testing.assert_allclose(result.smoothed, expected, rtol=1e-12)
    assert result.smoothed[0] == result.losses[0]  # bias correction


def test_it_stops_when_the_loss_diverges(digits):
    model = _mlp()
    result = lr_range_test(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                           *digits, min_lr=1e-3, max_lr=1e4, steps=60,
                           generator=np.random.default_rng(0))  # fmt: skip
    assert len(result.lrs) < 60
    last, before = result.smoothed[-1], result.smoothed[:-1]
    assert (not np.isfinite(last)) or last > 4 * before.min()
    assert np.all(before <= 4 * np.minimum.accumulate(before))


def test_suggest_lr_on_a_known_curve():
    lrs = np.geomspace(1e-6, 1.0, 61)
    x = np.log10(lrs)
    curve = 2.0 - 1.5 / (1 + np.exp(-3 * (x + 3)))  # falls fastest at lr 1e-3
    curve[-10:] += np.linspace(0.1, 3.0, 10)  # the loss blows up at the end
    index, rule = suggest_lr(lrs, curve, skip_start=5)
    assert lrs[index] == pytest.approx(1e-3, rel=1e-9) and rule.startswith("steepest")
    flat = np.concatenate([np.full(30, 1.0), np.linspace(1.0, 3.0, 31)])
    index, rule = suggest_lr(lrs, flat, skip_start=0)
    assert rule.startswith("the minimum's lr / 10")  # no descent before the minimum (step 0)
    assert lrs[index] == pytest.approx(lrs[0], rel=1e-9)
    regions = quiz_regions(lrs, curve, end=10.0)
    assert list(regions) == ["B", "D", "C", "A"]
    assert regions["A"][1] == 10.0 and regions["D"][0] < 1e-3 < regions["D"][1]


def test_bad_arguments(digits):
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    for kwargs, match in [({"min_lr": 1.0, "max_lr": 0.1}, "0 < min_lr < max_lr"),
                          ({"steps": 1}, "steps must be an integer >= 2"),
                          ({"smoothing": 1.0}, r"smoothing must be in \[0, 1\)"),
                          ({"diverge_factor": 1.0}, "diverge_factor must be > 1")]:  # fmt: skip
        with pytest.raises(ValueError, match=match):
            lr_range_test(model, nn.CrossEntropyLoss(), opt, *digits, **kwargs)


def test_text_and_plot(digits, tmp_path):
    model = _mlp()
    result = lr_range_test(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
                           *digits, min_lr=1e-6, max_lr=10.0, steps=100,
                           generator=np.random.default_rng(0))  # fmt: skip
    text = result.to_text()
    assert f"suggested lr: {result.suggestion:.3g} (steepest descent" in text
    assert "D  lr" in text and "good: the loss falls steadily" in text
    path = result.plot(tmp_path / "lr.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
