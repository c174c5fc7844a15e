"""One kernel on two threads (gradlab._fast.two_threads): both halves done, errors raised in
the caller, concurrent callers served one at a time, and a forked child gets its own helper."""

import os
import sys
import threading

import numpy as np
import pytest

from gradlab._fast import two_threads


def _scale(a, factor):
    a *= factor


def test_both_halves_run_and_the_helper_thread_did_one():
    a = np.ones(10)
    threads = []

    def where(part, factor):
        threads.append(threading.current_thread().name)
        _scale(part, factor)

    two_threads.run_halves([(where, (a[:5], 2.0))], [(where, (a[5:], 3.0))])
    np.testing.assert_array_equal(a, [2.0] * 5 + [3.0] * 5)
    assert sorted(threads) == sorted(["gradlab-fast", threading.current_thread().name])


def test_an_error_in_the_helpers_half_is_raised_in_the_caller():
    def fails_on_the_helper(part):
        if threading.current_thread().name == "gradlab-fast":
            raise ValueError("the helper's half failed")

    with pytest.raises(ValueError, match="the helper's half failed"):
        two_threads.run_halves([(fails_on_the_helper, (1,))], [(fails_on_the_helper, (2,))])
    a = np.ones(4)  # the helper still serves
    two_threads.run_halves([(_scale, (a[:2], 5.0))], [(_scale, (a[2:], 5.0))])
    np.testing.assert_array_equal(a, 5.0)


def test_concurrent_callers_each_get_their_whole_array_done():
    arrays = [np.ones(1000) for _ in range(8)]

    def caller(a):
        for _ in range(50):
            two_threads.run_halves([(_scale, (a[:500], 1.01))], [(_scale, (a[500:], 1.01))])

    workers = [threading.Thread(target=caller, args=(a,)) for a in arrays]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for a in arrays:
        np.testing.assert_allclose(a, 1.01**50)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_helper():
    two_threads.run_halves([(_scale, (np.ones(2), 1.0))], [])  # the parent's helper
    pid = os.fork()
    if pid == 0:  # the child: the parent's helper thread did not survive the fork
        code = 1
        try:
            a = np.ones(4)
            two_threads.run_halves([(_scale, (a[:2], 2.0))], [(_scale, (a[2:], 2.0))])
            code = 0 if (a == 2.0).all() else 2
        finally:
            sys.stdout.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
