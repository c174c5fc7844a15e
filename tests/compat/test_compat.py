"""Public PyTorch programs run twice, with torch and with gradlab with only the imports swapped,
and print the same numbers (see harness.py). Programs that need a name gradlab does not have
yet are expected to fail (strict: one that starts to run must be taken off the list)."""

import pytest

pytest.importorskip("torch")

from harness import all_programs, compare  # noqa: E402

BLOCKED = {
    # program stem: where it stops today
}


@pytest.mark.parametrize(
    "program",
    [
        pytest.param(
            p,
            id=p.stem,
            marks=[pytest.mark.xfail(reason=BLOCKED[p.stem], strict=True)]
            if p.stem in BLOCKED
            else [],
        )
        for p in all_programs()
    ],
)
def test_program_runs_on_gradlab_with_torchs_numbers(program, tmp_path):
    compare(program, tmp_path)
