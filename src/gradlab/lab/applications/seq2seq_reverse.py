"""Sequence to sequence on a synthetic task: reverse a digit string (3 to 8 digits), with an
encoder-decoder trained by teacher forcing and decoded greedily; scored by exact match (the
whole reversed string and its end token right).
"""

from __future__ import annotations

import numpy as np

import gradlab
from gradlab import nn, optim
from gradlab.data.synthetic_tasks import make_reversal_pairs
from gradlab.models.seq2seq import Seq2Seq, exact_match

__all__ = ["decoder_inputs", "run_seq2seq_reverse", "train_seq2seq"]


def decoder_inputs(targets: np.ndarray, bos: int) -> np.ndarray:
    """Teacher forcing: the targets (B, T) shifted right by one behind ``bos``."""
    shifted = np.empty_like(targets)
    shifted[:, 0] = bos
    shifted[:, 1:] = targets[:, :-1]
    return shifted


def train_seq2seq(
    model: Seq2Seq,
    src,
    tgt,
    bos: int,
    pad: int,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 3e-3,
    clip: float = 1.0,
    seed: int = 0,
    verbose: bool = False,
    *,
    optimizer=None,
    scheduler="cosine",
    loss_fn=None,
    on_epoch_end=None,
) -> list:
    """Adam on the token cross-entropy (PAD positions ignored), gradient norm clipped to
    ``clip``, the lr annealed by a cosine over the epochs; returns the mean loss per epoch.

    ``optimizer`` (over ``model.parameters()``), ``scheduler`` (stepped once per epoch;
    None for none) and ``loss_fn`` (called as ``loss_fn(logits (B*T, V), targets (B*T,))``)
    replace the defaults; ``on_epoch_end(epoch, mean_loss)`` is called after every epoch
    (``gradlab train`` validates there) and stops the training by returning True.
    """
    rng = np.random.default_rng(seed)
    src, tgt = np.asarray(src), np.asarray(tgt)
    tgt_in = decoder_inputs(tgt, bos)
    loss_fn = nn.CrossEntropyLoss(ignore_index=pad) if loss_fn is None else loss_fn
    optimizer = optim.Adam(model.parameters(), lr=lr) if optimizer is None else optimizer
    schedule = scheduler
    if isinstance(scheduler, str):
        if scheduler != "cosine":
            raise ValueError(f"train_seq2seq: scheduler={scheduler!r}, expected 'cosine', None "
                             "or an lr scheduler")  # fmt: skip
        schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    losses = []
    model.train()
    for epoch in range(epochs):
        order = rng.permutation(len(src))
        total = 0.0
        for start in range(0, len(src), batch_size):
            rows = order[start : start + batch_size]
            optimizer.zero_grad()
            logits = model(src[rows], tgt_in[rows])
            loss = loss_fn(
                logits.reshape(-1, model.vocab_size), gradlab.tensor(tgt[rows].reshape(-1))
            )
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            total += float(loss.numpy()) * len(rows)
        if schedule is not None:
            schedule.step()
        losses.append(total / len(src))
        if verbose:
            print(f"epoch {epoch + 1:3d}  loss {losses[-1]:.4f}")
        if on_epoch_end is not None and on_epoch_end(epoch, losses[-1]):
            break
    return losses


def run_seq2seq_reverse(
    n_train: int = 8000,
    n_test: int = 1000,
    min_length: int = 3,
    max_length: int = 8,
    epochs: int = 20,
    hidden_size: int = 128,
    embedding_dim: int = 16,
    cell: str = "gru",
    lr: float = 3e-3,
    batch_size: int = 64,
    seed: int = 0,
    verbose: bool = False,
) -> dict:
    """Train on ``n_train`` pairs, report exact match on ``n_test`` fresh ones.

    Returns {"exact_match": float, "token_accuracy": float, "losses": [...], "model": ...}.
    """
    gradlab.manual_seed(seed)
    train = make_reversal_pairs(n_train, min_length, max_length, seed=seed)
    test = make_reversal_pairs(n_test, min_length, max_length, seed=seed + 1)
    tokens = train.extra
    model = Seq2Seq(tokens["vocab_size"], embedding_dim, hidden_size, cell)
    losses = train_seq2seq(
        model,
        train.X,
        train.y,
        tokens["bos"],
        tokens["pad"],
        epochs,
        batch_size,
        lr,
        seed=seed,
        verbose=verbose,
    )
    predicted = model.generate(test.X, max_length + 1, tokens["bos"], tokens["eos"])
    keep = test.y != tokens["pad"]
    return {
        "exact_match": exact_match(predicted, test.y, tokens["eos"]),
        "token_accuracy": float((predicted == test.y)[keep].mean()),
        "losses": losses,
        "model": model,
    }
