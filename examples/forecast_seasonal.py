"""Forecast a synthetic seasonal series one step ahead with a GRU, against the last-value and
seasonal-naive forecasts, on the last 20% of the series (never seen in training).

Run: ``python examples/forecast_seasonal.py [--epochs 60] [--out runs/forecast]``; writes
``forecast.png``. The test asserts an RMSE at least 25% below the last value's.
"""

import argparse
from pathlib import Path

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data import make_seasonal_series, sliding_windows
from gradlab.lab.plots import pyplot, save_figure
from gradlab.models.recurrent import Forecaster
from gradlab.train import Trainer, metrics

PERIOD, WINDOW = 50, 24


def main(epochs: int = 60, out="runs/forecast", seed: int = 0) -> dict:
    gradlab.manual_seed(seed)
    series = make_seasonal_series(n=1000, period=PERIOD, noise=0.1, seed=seed).y
    windows = sliding_windows(series, window=WINDOW, horizon=1)
    split = int(0.8 * len(windows.X))
    model = Forecaster(hidden_size=32, cell="gru")
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    trainer = Trainer(
        model,
        nn.MSELoss(),
        optimizer,
        scheduler=optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs),
    )
    trainer.fit(
        windows.X[:split],
        windows.y[:split],
        epochs=epochs,
        verbose=0,
        generator=np.random.default_rng(seed),
    )
    X_test, y_test = windows.X[split:], windows.y[split:, 0]
    predicted = trainer.predict(X_test)[:, 0]
    start = split + WINDOW  # index in the series of the first test target
    seasonal = series[start - PERIOD : start - PERIOD + len(y_test)]
    results = {
        "GRU": metrics.rmse(y_test, predicted),
        "last value": metrics.rmse(y_test, X_test[:, -1, 0]),
        "seasonal naive (t - 50)": metrics.rmse(y_test, seasonal),
        "noise floor (sigma)": 0.1,
    }
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(10, 3.5))
    t = np.arange(start, start + len(y_test))
    axis.plot(t, y_test, label="series", color="black", linewidth=1)
    axis.plot(t, predicted, label=f"GRU (RMSE {results['GRU']:.3f})")
    axis.plot(
        t, X_test[:, -1, 0], label=f"last value (RMSE {results['last value']:.3f})", alpha=0.6
    )
    axis.set_xlabel("t")
    axis.legend(fontsize=8)
    results["figure"] = save_figure(figure, Path(out) / "forecast.png")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--out", default="runs/forecast")
    results = main(**vars(parser.parse_args()))
    for name, value in results.items():
        print(f"{name:24s} {value if name == 'figure' else f'{value:.4f}'}")
    print(f"GRU RMSE / last-value RMSE = {results['GRU'] / results['last value']:.3f}")
