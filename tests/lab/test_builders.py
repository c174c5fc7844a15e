"""Building a run's pieces from a config: data views and splits, models with data-derived
sizes, losses, optimizers, schedules with the run's lengths, callbacks."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from gradlab.lab.builders import (
    build_callbacks,
    build_data,
    build_loss,
    build_model,
    build_optimizer,
    build_scheduler,
)
from gradlab.lab.config import load_config


def config_of(tmp_path, text: str):
    path = tmp_path / "run.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(path)


def digits(tmp_path, view: str, model: str = "mlp", extra: str = ""):
    return config_of(
        tmp_path,
        f"""
        [data]
        name = "digits"
        view = "{view}"
        [model]
        name = "{model}"
        [training]
        epochs = 1
        {extra}
    """,
    )


@pytest.mark.parametrize(
    ("view", "model", "shape"),
    [("flat", "mlp", (64,)), ("image", "cnn", (1, 8, 8)), ("sequence", "lstm", (8, 8))],
)
def test_digits_views_and_splits(tmp_path, view, model, shape):
    data = build_data(digits(tmp_path, view, model))
    n_test = round(1797 * 0.2)  # stratified per class: within a few samples
    assert abs(len(data.test[0]) - n_test) <= 5
    assert abs(len(data.val[0]) - round((1797 - len(data.test[0])) * 0.2)) <= 5
    assert len(data.train[0]) + len(data.val[0]) + len(data.test[0]) == 1797
    assert data.input_shape == shape and data.train[0].shape[1:] == shape
    assert data.train[0].dtype == np.float32 and data.train[1].dtype == np.int64
    assert data.task == "classification" and data.num_classes == 10
    # standardized with the training part's statistics
    axes = {"flat": (0,), "image": (0, 2, 3), "sequence": (0, 1)}[view]
    mean = data.train[0].mean(axis=axes)
    assert np.allclose(mean, 0.0, atol=1e-5)


def test_split_is_seeded(tmp_path):
    first = build_data(digits(tmp_path, "flat"))
    again = build_data(digits(tmp_path, "flat"))
    other = build_data(digits(tmp_path, "flat", extra="seed = 5"))
    assert np.array_equal(first.train[0], again.train[0])
    assert not np.array_equal(first.train[1], other.train[1])


def test_models_get_their_sizes_from_the_data(tmp_path):
    config = digits(tmp_path, "image", "cnn")
    model = build_model(config, build_data(config))
    assert (model.in_channels, model.num_classes, model.image_size) == (1, 10, 8)

    config = digits(tmp_path, "sequence", "gru")
    model = build_model(config, build_data(config))
    assert model.input_size == 8 and model.cell == "gru" and model.head.out_features == 10

    config = config_of(
        tmp_path,
        """
        [data]
        name = "make_classification"
        n_samples = 200
        n_features = 7
        [model]
        name = "mlp"
        hidden_sizes = [5]
        [training]
        epochs = 1
    """,
    )
    data = build_data(config)
    model = build_model(config, data)
    assert data.task == "binary" and config.loss["name"] == "bce_with_logits"
    assert (model.in_features, model.out_features, model.hidden_sizes) == (7, 1, (5,))
    out = model(data.train[0][:3])
    assert out.shape == (3, 1)


def test_models_are_seeded(tmp_path):
    config = digits(tmp_path, "flat")
    data = build_data(config)
    a, b = build_model(config, data), build_model(config, data)
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.numpy(), q.numpy()), name


def test_autoencoder_targets_are_its_input(tmp_path):
    config = digits(tmp_path, "flat", "autoencoder")
    data = build_data(config)
    assert np.array_equal(data.train[0], data.train[1])
    assert data.labels["train"].dtype == np.int64
    assert config.loss["name"] == "mse" and config.training["metrics"] == []
    model = build_model(config, data)
    assert model(data.train[0][:2]).shape == (2, 64)


def test_loss_optimizer_and_schedules(tmp_path):
    config = digits(
        tmp_path,
        "flat",
        extra="""
        [loss]
        name = "cross_entropy"
        label_smoothing = 0.1
        weight = [1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
        [optimizer]
        name = "adamw"
        lr = 0.01
        betas = [0.8, 0.99]
        [schedule]
        name = "cosine"
        per = "batch"
    """,
    )
    data = build_data(config)
    model = build_model(config, data)
    loss = build_loss(config, data)
    assert loss.label_smoothing == 0.1 and np.allclose(loss.weight.numpy()[:2], [1.0, 2.0])
    optimizer = build_optimizer(config, model)
    assert type(optimizer).__name__ == "AdamW"
    assert optimizer.param_groups[0]["betas"] == (0.8, 0.99)
    scheduler, per = build_scheduler(config, optimizer, steps_per_epoch=7)
    assert per == "batch" and scheduler.T_max == 7  # one epoch of 7 batches

    plain = digits(tmp_path, "flat")
    assert build_scheduler(plain, build_optimizer(plain, model), 7) == (None, None)


def test_one_cycle_and_cyclic_take_the_run_length_and_lr(tmp_path):
    base = 'name = "sgd"\nlr = 0.02\nmomentum = 0.9\n'
    config = digits(tmp_path, "flat", extra=f"[optimizer]\n{base}[schedule]\nname = 'one_cycle'")
    model = build_model(config, build_data(config))
    scheduler, per = build_scheduler(config, build_optimizer(config, model), 5)
    assert per == "batch" and scheduler.total_steps == 5
    assert np.isclose(max(scheduler.lr_at(t) for t in range(5)), 0.02, rtol=0.05)
    config = digits(
        tmp_path,
        "flat",
        extra=f"[optimizer]\n{base}[schedule]\nname = 'cyclic'\nmax_lr = 0.1\nstep_size_up = 4",
    )
    scheduler, per = build_scheduler(config, build_optimizer(config, model), 5)
    assert per == "batch" and scheduler.base_lrs == [0.02] and scheduler.max_lrs == [0.1]


def test_callbacks_write_into_the_output_directory(tmp_path):
    config = digits(
        tmp_path,
        "flat",
        extra="""
        [callbacks.csv_logger]
        [callbacks.model_checkpoint]
        path = "best.safetensors"
        save_best_only = true
        [callbacks.reduce_lr_on_plateau]
        factor = 0.5
        patience = 1
        [callbacks.terminate_on_nan]
    """,
    )
    made = build_callbacks(config, tmp_path / "out")
    assert [type(c).__name__ for c in made] == [
        "CSVLogger",
        "ModelCheckpoint",
        "ReduceLROnPlateau",
        "TerminateOnNaN",
    ]
    assert made[0].path == tmp_path / "out" / "log.csv"
    assert made[1].path == str(tmp_path / "out" / "best.safetensors")
    assert made[1].save_best_only is True
    assert made[2].factor == 0.5 and made[2].patience == 1


def test_missing_dataset_files_raise_the_loaders_error(tmp_path):
    from gradlab.data import DatasetNotFoundError

    config = config_of(
        tmp_path,
        f"""
        [data]
        name = "mnist"
        cache_dir = "{tmp_path.as_posix()}/cache"
        download = false
        [model]
        name = "mlp"
        [training]
        epochs = 1
    """,
    )
    with pytest.raises(DatasetNotFoundError, match="MNIST: missing"):
        build_data(config)


def test_seasonal_series_windows_split_in_time_order(tmp_path):
    config = config_of(
        tmp_path,
        """
        [data]
        name = "seasonal_series"
        length = 300
        window = 10
        horizon = 2
        [model]
        name = "forecaster"
        [training]
        epochs = 1
    """,
    )
    data = build_data(config)
    n = 300 - 10 - 2 + 1
    assert data.task == "regression" and data.input_shape == (10, 1)
    assert len(data.train[0]) + len(data.val[0]) + len(data.test[0]) == n
    assert data.train[1].shape[1:] == (2,) and data.train[0].dtype == np.float32
    # consecutive windows overlap by one step: train, then val, then test, in order
    for a, b in ((data.train, data.val), (data.val, data.test)):
        assert np.array_equal(a[0][-1, 1:], b[0][0, :-1])
    model = build_model(config, data)
    assert model.horizon == 2 and model.input_size == 1
    assert model(data.test[0][:3]).shape == (3, 2)


def test_ratings_tokens_and_gan_data(tmp_path):
    extra = "[training]\nepochs = 1\n"
    ratings = config_of(
        tmp_path,
        "[data]\nname = 'synthetic_ratings'\nn_users = 30\nn_items = 40\nn_ratings = 500\n"
        "[model]\nname = 'matrix_factorization'\n" + extra,
    )
    data = build_data(ratings)
    assert data.train[0].dtype == np.int64 and data.train[0].shape[1] == 2
    assert data.train[1].dtype == np.float32 and set(np.unique(data.train[1])) <= {1, 2, 3, 4, 5}
    model = build_model(ratings, data)
    assert (model.num_users, model.num_items) == (30, 40)

    pairs = config_of(
        tmp_path,
        "[data]\nname = 'reversal_pairs'\nn_samples = 100\nmax_length = 5\n"
        "[model]\nname = 'seq2seq'\nhidden_size = 8\n" + extra,
    )
    data = build_data(pairs)
    assert data.train[0].dtype == np.int64 and data.train[0].shape[1:] == (5,)
    assert data.train[1].shape[1:] == (6,) and data.info["vocab_size"] == 13
    assert build_model(pairs, data).vocab_size == 13

    gan = config_of(
        tmp_path,
        "[data]\nname = 'gaussian_mixture'\nn_samples = 200\n"
        "[model]\nname = 'gan'\nlatent_dim = 3\nhidden_sizes = [8]\n"
        "discriminator_hidden_sizes = [16, 4]\noutput_activation = 'tanh'\n" + extra,
    )
    data = build_data(gan)
    assert data.info["centers"].shape == (8, 2)
    model = build_model(gan, data)
    assert model.generator.latent_dim == 3 and model.discriminator.in_features == 2
    keys = set(model.state_dict())
    assert "generator.net.0.weight" in keys and "discriminator.net.4.weight" in keys
    samples = model(np.zeros((4, 3), dtype=np.float32)).numpy()
    assert samples.shape == (4, 2) and np.abs(samples).max() < 1.0


@pytest.mark.parametrize("dataset, outputs", [("digits", 10), ("breast_cancer", 1)])
def test_focal_loss_is_multi_class_or_binary_by_the_task(tmp_path, dataset, outputs):
    """focal on a multi-class task: (B, C) logits and class indices; on a binary task: one
    logit and 0/1 labels."""
    from gradlab.train.fit_inputs import takes_class_indices

    config = config_of(
        tmp_path,
        f"""
        [data]
        name = "{dataset}"
        [model]
        name = "mlp"
        hidden_sizes = [8]
        [loss]
        name = "focal"
        [training]
        epochs = 1
        """,
    )
    data = build_data(config)
    model, loss = build_model(config, data), build_loss(config, data)
    assert type(loss).__name__ == "FocalLoss"
    x, y = data.train
    assert model(x[:4]).shape == (4, outputs)
    assert takes_class_indices(loss, (4, outputs), y[:4]) == (outputs > 1)
