"""Plot the notes' learning-rate schedules side by side (notes 001 and 002 Q5, example 11).

Every curve comes from a gradlab scheduler's closed form, so nothing is trained. The same
figure comes from ``gradlab explain schedules --out FILE``.
Run: ``python examples/plot_schedules.py [OUT.png]`` (needs the lab extra).
"""

import sys

from gradlab.explain.schedules import plot_schedules

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "schedules.png"
    print(f"wrote {plot_schedules(out)}")
