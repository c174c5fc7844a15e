"""Suite-wide settings.

Under pytest-xdist (``pytest -n 2`` on a 2-core machine) every worker process already keeps
one core busy, so each worker's BLAS gets one thread: two OpenBLAS thread pools per core
spin-wait against each other and made small matrix products up to 100x slower.
"""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    import numpy  # noqa: F401 - threadpoolctl limits only the BLAS libraries already loaded
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
