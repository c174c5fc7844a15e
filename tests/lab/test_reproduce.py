"""gradlab.lab.reproduce: the registry, the runner, and example 1 with the notes' numbers."""

import io

import pytest

from gradlab.lab.reproduce import Check, Registry, Report, load_examples, run


def _run(*selectors, **kwargs):
    out = io.StringIO()
    status = run(list(selectors), out=out, **kwargs)
    return status, out.getvalue()


def test_example_1_reproduces_the_notes():
    status, text = _run("computation-graph")
    assert status == 0
    for label, value in [("a", 91), ("f", 110), ("df/dx", 13), ("df/dy", 7), ("df/dz", 1)]:
        assert f"PASS  {label}: computed {value}, expected {value} (exact)" in text
    assert "PASS  1 example, 5 checks: 5 passed, 0 failed" in text
    assert "should read da/dx" in text
    # the graph as text, with every gradient (built before backward)
    assert "f = Add" in text and "value 110  grad 1" in text
    assert "a = Mul" in text and "value 91  grad 1" in text
    assert "x  [" in text and "value 7  grad 13" in text


def test_example_1_checks_hold_real_values():
    example = load_examples().find("1")
    report = example.run()
    got = {c.label: c.computed for c in report.checks}
    assert got == {"a": 91, "f": 110, "df/dx": 13, "df/dy": 7, "df/dz": 1}
    assert all(c.passed for c in report.checks)


def test_select_by_number_and_list():
    assert _run("1")[0] == 0 and _run("01")[0] == 0
    status, text = _run(list_only=True)
    assert status == 0
    lines = text.splitlines()
    assert len(lines) == len(load_examples())
    assert any(line.split()[:2] == ["1", "computation-graph"] for line in lines)


def test_unknown_name_lists_the_valid_ones():
    status, text = _run("no-such-example")
    assert status == 2
    assert "unknown example 'no-such-example'" in text
    assert "computation-graph" in text


def _registry_with_failure():
    registry = Registry()

    @registry.register(1, "good", "Passes")
    def good():
        report = Report()
        report.print("fine")
        report.check("one", 1.0004, 1.0, decimals=3)
        return report

    @registry.register(2, "bad", "Fails one check")
    def bad():
        report = Report()
        report.check("exact", 2.0, 2.0, tolerance=0)
        report.check("rounded", 0.168, 0.167, decimals=3)
        return report

    @registry.register(3, "broken", "Raises")
    def broken():
        raise RuntimeError("boom")

    return registry


def test_an_injected_failing_check_gives_exit_1():
    registry = _registry_with_failure()
    assert _run("good", registry=registry)[0] == 0
    status, text = _run("bad", registry=registry)
    assert status == 1
    assert "PASS  exact: computed 2, expected 2 (exact)" in text
    assert "FAIL  rounded: computed 0.168, expected 0.167 (± 0.0005)" in text
    assert "FAIL  1 example, 2 checks: 1 passed, 1 failed" in text


def test_an_example_that_raises_fails_and_the_others_still_run():
    status, text = _run(registry=_registry_with_failure())
    assert status == 1
    assert "RuntimeError: boom" in text
    assert "PASS  one" in text and "FAIL  rounded" in text
    assert "3 examples, 3 checks: 2 passed, 1 failed, 1 example could not run" in text


def test_failing_check_in_the_default_registry():
    example = load_examples().find("computation-graph")  # loaded here: tests run in any order

    def wrong():
        report = example.run()
        report.check("injected", 91, 92, tolerance=0)
        return report

    registry = Registry()
    registry.register(example.number, example.name, example.title)(wrong)
    status, text = _run(registry=registry)
    assert status == 1 and "FAIL  injected: computed 91, expected 92 (exact)" in text


def test_import_errors_are_reported():
    registry = _registry_with_failure()
    registry.errors["gradlab.lab.reproduce.ex99_bad"] = "Traceback...\nSyntaxError: oops"
    status, text = _run("good", registry=registry)
    assert status == 1 and "ex99_bad failed to import" in text
    status, text = _run(list_only=True, registry=registry)
    assert status == 1 and "SyntaxError: oops" in text


def test_check_semantics():
    assert Check("v", [0.1, 0.2], [0.1004, 0.1996], 0.0005).passed
    assert not Check("v", [0.1, 0.2], [0.1, 0.2, 0.3], 0.0005).passed  # shapes differ
    assert not Check("v", float("nan"), 1.0, 0.5).passed
    assert Check("shape", (15, 15, 8), (15, 15, 8)).passed
    assert Check("label", "class 1", "class 1").passed
    assert not Check("label", "class 0", "class 1").passed
    with pytest.raises(ValueError, match="tolerance or decimals"):
        Report().check("x", 1, 1, tolerance=0.1, decimals=2)


def test_registration_rules():
    registry = Registry()

    @registry.register(1, "one", "One")
    def one():
        return Report()

    with pytest.raises(ValueError, match="clashes with example 1 'one'"):
        registry.register(1, "other", "Other")(lambda: Report())
    with pytest.raises(ValueError, match="clashes"):
        registry.register(2, "one", "Other")(lambda: Report())
    with pytest.raises(ValueError, match="lowercase words joined by '-'"):
        registry.register(3, "Bad Name", "x")
    with pytest.raises(ValueError, match="positive int"):
        registry.register(0, "zero", "x")
    registry.register(1, "one", "One again")(one)  # re-registering the same function replaces it
    assert [e.title for e in registry] == ["One again"]
