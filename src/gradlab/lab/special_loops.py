"""The training loops of the models that do not train by one loss and one optimizer (see
:mod:`gradlab.lab.loops`): the perceptron's rule, the GAN's two optimizers, the
encoder-decoder's teacher forcing. Each calls the model's or the application's own
training function, one epoch at a time, and logs a :class:`~gradlab.train.History` row per
epoch, so a run leaves the same files as a ``fit`` run: history.csv, model.safetensors,
report.md and the plots (plus ``samples.png`` for a GAN).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradlab.lab.builders import build_data, build_model, build_optimizer, build_scheduler

__all__ = ["RUNNERS", "train_special"]


def _say(verbose: int, epoch: int, epochs: int, logs: dict) -> None:
    if verbose:
        shown = "  ".join(f"{k} {v:.4g}" for k, v in logs.items())
        print(f"epoch {epoch + 1}/{epochs}  {shown}", flush=True)


def _prefixed(prefix: str, logs: dict) -> dict:
    return {f"{prefix}{k}": v for k, v in logs.items()}


# ---------------------------------------------------------------------------- perceptron
def _scores(names, y_true, y_pred) -> dict:
    from gradlab.train.metrics import metric_function

    return {name: metric_function(name)(y_true, y_pred) for name in names}


def _perceptron(config, data, model, out, verbose) -> dict:
    """The perceptron rule, epoch by epoch (``Perceptron.fit(epochs=1)`` with one shared
    generator is the rule run for many epochs); stops after an epoch without mistakes."""
    from gradlab.train import History
    from gradlab.train.metrics import classification_report

    training = config.training
    names = training.get("metrics") or ["accuracy"]
    rng = np.random.default_rng(int(training["seed"]))
    (x, y), history = data.train, History()
    epochs, converged = int(training["epochs"]), False
    for epoch in range(epochs):
        fit = model.fit(
            x, y, lr=config.optimizer["lr"], epochs=1, shuffle=training["shuffle"], generator=rng
        )
        logs = {"mistakes": float(fit.errors[0]), **_scores(names, y, model.predict(x))}
        if data.val is not None:
            logs.update(_prefixed("val_", _scores(names, data.val[1], model.predict(data.val[0]))))
        history.append(epoch, logs)
        _say(verbose, epoch, epochs, logs)
        if fit.converged:
            converged = True
            break
    metrics = history.logs()
    result = {"history": history, "metrics": metrics}
    if data.test is not None:
        predicted = model.predict(data.test[0])
        metrics.update(_prefixed("test_", _scores(names, data.test[1], predicted)))
        result["report"] = classification_report(data.test[1], predicted)
    result["notes"] = [
        f"The perceptron rule (lr = {config.optimizer['lr']:g}) "
        + (
            f"converged after {len(history)} epoch(s): an epoch passed without a mistake."
            if converged
            else f"did not converge in {len(history)} epoch(s): "
            f"{int(history['mistakes'][-1])} mistake(s) in the last epoch."
        )
    ]
    return result


# ---------------------------------------------------------------------------- GAN
def _plot_samples(config, data, model, out, coverage) -> tuple | None:
    """``samples.png``: generated points over the data (2-D), or a grid of generated
    images (one-channel image datasets)."""
    from gradlab.lab import vocabulary as V
    from gradlab.lab.applications.gan_mixture import plot_coverage, sample

    if out is None:
        return None
    seed = int(config.training["seed"]) + 1
    fake = sample(model.generator, 1000, seed=seed)
    real = data.train[0].reshape(len(data.train[0]), -1)
    path = Path(out) / "samples.png"
    if coverage is not None:
        centers = np.asarray(data.info["centers"])
        plot_coverage(real[:1000], fake, centers, coverage, path)
        return "samples.png", "generated samples over the data, and the share per mode"
    image = V.DATASETS[config.data["name"]].image
    if image is not None and image[0] == 1 and np.prod(image) == real.shape[1]:
        from gradlab.lab.plots import plot_image_grid

        low, high = float(real.min()), float(real.max())
        plot_image_grid(fake[:50], path, shape=image[1:], vmin=low, vmax=high)
        return "samples.png", "50 generated samples"
    return None


def _gan(config, data, model, out, verbose) -> dict:
    """``train_gan`` for ``steps_per_epoch`` steps per epoch, continuing with the same
    optimizers (the config's, one per net) and random stream; logs the mean losses per
    epoch and, on a Gaussian mixture, mode coverage and sample quality."""
    from gradlab.lab.applications.gan_mixture import mode_coverage, sample, train_gan
    from gradlab.train import History

    training = config.training
    seed = int(training["seed"])
    rng = np.random.default_rng(seed)
    x = data.train[0].reshape(len(data.train[0]), -1)
    d_optimizer = build_optimizer(config, model.discriminator)
    g_optimizer = build_optimizer(config, model.generator)
    centers = data.info.get("centers")
    mixture = centers is not None and x.shape[1] == 2
    history, epochs, coverage = History(), int(training["epochs"]), None
    for epoch in range(epochs):
        steps = train_gan(
            model.generator,
            model.discriminator,
            x,
            steps=int(training["steps_per_epoch"]),
            batch_size=int(training["batch_size"]),
            saturating=bool(config.loss.get("saturating", False)),
            d_optimizer=d_optimizer,
            g_optimizer=g_optimizer,
            rng=rng,
        )
        logs = {
            "d_loss": float(np.mean(steps["d_loss"])),
            "g_loss": float(np.mean(steps["g_loss"])),
        }
        if mixture:
            fake = sample(model.generator, 1000, seed=seed + 1)
            coverage = mode_coverage(fake, centers, float(data.info["std"]))
            logs.update(modes_covered=float(coverage["covered"]), quality=coverage["quality"])
        history.append(epoch, logs)
        _say(verbose, epoch, epochs, logs)
    result = {"history": history, "metrics": history.logs()}
    steps = epochs * int(training["steps_per_epoch"])
    notes = [f"{steps} adversarial steps (one discriminator and one generator step each)."]
    if mixture:
        notes.append(
            f"{coverage['covered']} of {coverage['n_modes']} modes covered; "
            f"{coverage['quality']:.1%} of 1000 samples within 3 std of a mode's center."
        )
    for name in ("generator", "discriminator"):
        count = sum(int(np.prod(p.shape)) for p in getattr(model, name).parameters())
        notes.append(f"{name}: {count:,} parameters (saved under `{name}.` in model.safetensors).")
    result["notes"] = notes
    plot = _plot_samples(config, data, model, out, coverage if mixture else None)
    result["plots"] = [plot] if plot else []
    return result


# ---------------------------------------------------------------------------- seq2seq
def _seq2seq_scores(model, src, tgt, loss_fn, info) -> dict:
    """Teacher-forced loss, and exact match / token accuracy of greedy decoding."""
    import gradlab
    from gradlab.lab.applications.seq2seq_reverse import decoder_inputs
    from gradlab.models.seq2seq import exact_match

    was_training = model.training
    model.eval()
    try:
        with gradlab.no_grad():
            logits = model(src, decoder_inputs(tgt, info["bos"]))
            loss = loss_fn(logits.reshape(-1, model.vocab_size), gradlab.tensor(tgt.reshape(-1)))
    finally:
        model.train(was_training)
    predicted = model.generate(src, tgt.shape[1], info["bos"], info["eos"])
    keep = tgt != info["pad"]
    return {
        "loss": float(loss.numpy()),
        "exact_match": exact_match(predicted, tgt, info["eos"]),
        "token_accuracy": float((predicted == tgt)[keep].mean()),
    }


def _seq2seq(config, data, model, out, verbose) -> dict:
    """``train_seq2seq`` with the config's optimizer, schedule (per epoch) and label
    smoothing; validation by greedy decoding after every epoch."""
    from gradlab import nn
    from gradlab.lab.applications.seq2seq_reverse import train_seq2seq
    from gradlab.train import History

    training, info = config.training, data.info
    optimizer = build_optimizer(config, model)
    batch_size = int(training["batch_size"])
    scheduler, _ = build_scheduler(config, optimizer, -(-len(data.train[0]) // batch_size))
    loss_fn = nn.CrossEntropyLoss(
        ignore_index=int(info["pad"]), label_smoothing=config.loss.get("label_smoothing", 0.0)
    )
    history, epochs = History(), int(training["epochs"])
    lr = [float(optimizer.param_groups[0]["lr"])]

    def on_epoch_end(epoch, loss):
        logs = {"loss": loss}
        if data.val is not None:
            logs.update(_prefixed("val_", _seq2seq_scores(model, *data.val, loss_fn, info)))
        logs["lr"] = lr[0]  # the lr this epoch trained with; the schedule has stepped since
        lr[0] = float(optimizer.param_groups[0]["lr"])
        history.append(epoch, logs)
        _say(verbose, epoch, epochs, logs)

    train_seq2seq(
        model,
        *data.train,
        bos=int(info["bos"]),
        pad=int(info["pad"]),
        epochs=epochs,
        batch_size=batch_size,
        clip=float(training["clip"]),
        seed=int(training["seed"]),
        optimizer=optimizer,
        scheduler=scheduler,
        loss_fn=loss_fn,
        on_epoch_end=on_epoch_end,
    )
    metrics = {k: v for k, v in history.logs().items() if k != "lr"}
    if data.test is not None:
        metrics.update(_prefixed("test_", _seq2seq_scores(model, *data.test, loss_fn, info)))
    notes = ["Teacher forcing on the token cross-entropy (PAD ignored); scored by greedy decoding."]
    if data.test is not None:
        src, tgt = data.test
        shown = model.generate(src[:5], tgt.shape[1], info["bos"], info["eos"])
        rows = [f"`{_text(s, info)}` -> `{_text(p, info)}` (expected `{_text(t, info)}`)"
                for s, p, t in zip(src[:5], shown, tgt[:5])]  # fmt: skip
        notes.append("Test examples:\n\n" + "\n".join(f"- {row}" for row in rows))
    return {"history": history, "metrics": metrics, "notes": notes}


def _text(tokens, info) -> str:
    """Tokens as text: digits as themselves, PAD left out, EOS and what follows cut."""
    out = []
    for token in np.asarray(tokens).tolist():
        if token == info["eos"]:
            break
        if token != info["pad"] and token != info["bos"]:
            out.append(str(token) if token < 10 else f"<{token}>")
    return "".join(out)


RUNNERS = {"perceptron": _perceptron, "gan": _gan, "seq2seq": _seq2seq}


def train_special(config, out_dir=None, callbacks=(), verbose: int = 1, resume: bool = False):
    """Train with the config's special loop; a :class:`~gradlab.lab.training.RunResult`
    (``trainer`` None), its files written into ``out_dir`` when given."""
    from gradlab.lab.training import RunResult

    loop = config.derived["loop"]
    if resume:
        raise ValueError(f"--resume: the {loop!r} loop keeps no backup; start the run again")
    if callbacks:
        names = ", ".join(type(c).__name__ for c in callbacks)
        raise ValueError(f"the {loop!r} loop takes no callbacks; got {names}")
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    data = build_data(config)
    model = build_model(config, data)
    done = RUNNERS[loop](config, data, model, out, verbose)
    result = RunResult(done["history"], model, data, done["metrics"], out, None, config)
    result.classification_report = done.get("report")
    result.notes = done.get("notes", [])
    result.plots = done.get("plots", [])
    if out is not None:
        from gradlab.lab.run_report import write_run

        result.files = write_run(result)
    return result
