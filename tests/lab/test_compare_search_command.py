"""``gradlab compare search CONFIG``: grid, random and TPE through the compare command."""

import textwrap

import pytest

pytest.importorskip("optuna")

from test_tune_command import CONFIG  # noqa: E402

from gradlab.cli import main  # noqa: E402


def test_compare_search_writes_the_report(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(textwrap.dedent(CONFIG))
    out = tmp_path / "out"
    assert main(["compare", "search", str(config), "--trials", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for kind in ("grid", "random", "tpe"):
        assert f"{kind}: best value 0." in printed
    report = (out / "report.md").read_text()
    assert all(f"| {kind}" in report for kind in ("grid", "random", "tpe"))
    assert (out / "best_so_far.png").read_bytes()[:4] == b"\x89PNG"


def test_compare_search_argument_errors(tmp_path, capsys):
    assert main(["compare", "search"]) == 2
    assert "give a tune config with a [search] section" in capsys.readouterr().err
    assert main(["compare", "search", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err
    assert main(["compare", "activations", "x.toml"]) == 2
    assert "belong to 'compare search' only" in capsys.readouterr().err
    config = tmp_path / "tiny.toml"
    config.write_text(textwrap.dedent(CONFIG))
    assert main(["compare", "search", str(config), "--epochs", "2"]) == 2
    assert "--epochs do not apply" in capsys.readouterr().err
