"""Plot the notes' learning-rate schedules side by side (notes 001 and 002 Q5, example 11).

Every curve comes from a gradlab scheduler's closed form ``lr_at(epoch)``, so nothing is
trained. Run: ``python examples/plot_schedules.py [OUT.png]`` (needs the lab extra).
"""

import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gradlab.optim import lr_scheduler as sched  # noqa: E402

EPOCHS = 60
schedules = {
    "step decay (0.5 every 10)": sched.plot_ready(sched.StepLR, lr=0.01, step_size=10, gamma=0.5),
    "exponential 0.01·e^(-0.05·t)": sched.plot_ready(
        sched.ExponentialLR, lr=0.01, gamma=math.exp(-0.05)
    ),
    "cosine (T = 60)": sched.plot_ready(sched.CosineAnnealingLR, lr=0.01, T_max=EPOCHS),
    "cyclical triangular": sched.plot_ready(
        sched.CyclicLR, lr=0.01, base_lr=0.001, max_lr=0.01, step_size_up=10, cycle_momentum=False
    ),
    "cyclical Welch": sched.plot_ready(
        sched.CyclicLR,
        lr=0.01,
        base_lr=0.001,
        max_lr=0.01,
        step_size_up=10,
        window="welch",
        cycle_momentum=False,
    ),  # fmt: skip
    "cyclical Hann": sched.plot_ready(
        sched.CyclicLR,
        lr=0.01,
        base_lr=0.001,
        max_lr=0.01,
        step_size_up=10,
        window="hann",
        cycle_momentum=False,
    ),  # fmt: skip
}

figure, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for index, (label, scheduler) in enumerate(schedules.items()):
    ax = axes[0] if index < 3 else axes[1]
    ax.plot(range(EPOCHS), [scheduler.lr_at(t) for t in range(EPOCHS)], label=label)
for ax, title in zip(axes, ["decay schedules", "cyclical windows (CLR)"]):
    ax.set_title(title)
    ax.set_xlabel("epoch (or step)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
axes[0].set_ylabel("learning rate")
figure.tight_layout()
out = sys.argv[1] if len(sys.argv) > 1 else "schedules.png"
figure.savefig(out, dpi=110)
print(f"wrote {out}")
