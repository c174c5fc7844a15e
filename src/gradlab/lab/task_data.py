"""Datasets a config names that are built from other pieces of :mod:`gradlab.data`."""

from __future__ import annotations

from gradlab.data import Bunch, make_seasonal_series, sliding_windows

__all__ = ["seasonal_windows"]


def seasonal_windows(
    length: int = 1000,
    period: int = 50,
    noise: float = 0.1,
    trend: float = 0.0,
    window: int = 24,
    horizon: int = 1,
    seed=0,
) -> Bunch:
    """A seasonal series (:func:`gradlab.data.make_seasonal_series`) cut into every window
    of ``window`` values and the ``horizon`` values after it, in time order.

    Returns:
        Bunch with X float32 (N, window, 1), y float32 (N, horizon), N = length - window -
        horizon + 1; extra ``horizon``, ``period`` and ``series`` (length,).
    """
    series = make_seasonal_series(length, period, noise, seed=seed, trend=trend).y
    windows = sliding_windows(series, window, horizon)
    return Bunch(
        windows.X,
        windows.y,
        description=f"seasonal series of {length} steps (period {period}) in windows of "
        f"{window} -> next {horizon}",
        extra={"horizon": int(horizon), "period": int(period), "series": series},
    )
