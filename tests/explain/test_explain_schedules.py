"""gradlab.explain.schedules: the notes' schedules side by side, checked against their
formulas (001, 002 Q5) and the CLR windows' shapes."""

import numpy as np
import pytest

from gradlab.explain.schedules import PANELS, plot_schedules, schedule_curves, schedules_table


def test_the_curves_follow_the_notes_formulas():
    curves = schedule_curves(60)
    assert list(curves) == [name for names in PANELS.values() for name in names]
    t = np.arange(60)
    np.testing.assert_allclose(curves["step decay (x0.5 every 10)"], 0.01 * 0.5 ** (t // 10),
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(curves["exponential 0.01·e^(-0.05·t)"], 0.01 * np.exp(-0.05 * t),
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(curves["cosine"], 0.01 * (1 + np.cos(np.pi * t / 60)) / 2,
                               rtol=1e-12, atol=1e-18)  # fmt: skip
    # CLR between 0.001 and 0.01, half-cycle 10: at a quarter cycle (t = 5, x = 1/4)
    # triangular f = 1/2, Welch f = 1 - (2x - 1)^2 = 3/4, Hann f = sin^2(pi x) = 1/2
    for name, f in (("triangular", 0.5), ("Welch", 0.75), ("Hann", 0.5)):
        curve = curves[f"cyclical {name}"]
        assert curve[5] == pytest.approx(0.001 + 0.009 * f, rel=1e-12), name
        assert curve[0] == pytest.approx(0.001) and curve[10] == pytest.approx(0.01)
        assert curve[20] == pytest.approx(0.001)
    hann, welch = curves["cyclical Hann"], curves["cyclical Welch"]
    assert hann[2] < curves["cyclical triangular"][2] < welch[2]
    # SGDR: period 10, then 20: restarts at 10 and 30
    sgdr = curves["cosine warm restarts (SGDR)"]
    assert sgdr[10] == sgdr[30] == 0.01 and sgdr[9] < 0.001 and sgdr[29] < 0.0001
    one = curves["1cycle"]
    # PyTorch's 1cycle peaks at step pct_start * total_steps - 1 = 17
    assert int(np.argmax(one)) == 17 and one[17] == pytest.approx(0.01, rel=1e-12)
    assert one[0] == pytest.approx(0.01 / 25)
    assert one[-1] == pytest.approx(0.01 / 25 / 1e4, rel=1e-9)


def test_table_and_plot(tmp_path):
    curves = schedule_curves(12)
    text = schedules_table(curves, every=4)
    assert text.splitlines()[0].split() == ["epoch", "0", "4", "8"]
    assert len(text.splitlines()) == 1 + len(curves)
    path = plot_schedules(tmp_path / "s.png", epochs=12)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="epochs must be an integer >= 6, got 5"):
        schedule_curves(5)
