"""A fake training run for the kill tests: it leaves a marker file naming its process, so
a test knows which process is mid-trial, then sleeps before returning the fake result."""

import os
import time
from pathlib import Path

from test_tuning_study import fake_train


def marked_train(config, out_dir=None, callbacks=(), verbose=0):
    folder = Path(os.environ["GRADLAB_TEST_MARKERS"])
    (folder / f"training-{os.getpid()}-{time.monotonic_ns()}").touch()
    time.sleep(float(os.environ.get("GRADLAB_TEST_TRIAL_SECONDS", "0.3")))
    return fake_train(config, out_dir, callbacks, verbose)
