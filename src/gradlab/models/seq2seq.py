"""An encoder-decoder (the notes, 003 Q50): the encoder reads the input sequence into a
fixed-length state, the decoder generates the output sequence from that state, one token at
a time, feeding back what it produced.

Tokens are integers in [0, vocab_size) shared by source and target (one embedding table).
Training uses teacher forcing: ``forward(src, tgt_in)`` where ``tgt_in`` is the target
shifted right behind a begin token; ``generate`` decodes greedily.
"""

from __future__ import annotations

import numpy as np

from gradlab import autograd, nn
from gradlab.models.recurrent import recurrent_layer
from gradlab.tensor import Tensor

__all__ = ["Seq2Seq", "exact_match"]


def _tokens(name: str, x, vocab_size: int) -> np.ndarray:
    array = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    if array.ndim != 2 or array.dtype.kind not in "iu":
        raise ValueError(
            f"Seq2Seq(vocab_size={vocab_size}): {name} has shape {array.shape} and dtype "
            f"{array.dtype}, expected integer tokens (B, T)"
        )
    return array


class Seq2Seq(nn.Module):
    """Embedding -> recurrent encoder; its final state starts a recurrent decoder whose
    outputs a Linear maps to next-token logits.

    Args:
        vocab_size: number of tokens V (including any PAD / BOS / EOS).
        embedding_dim: size of each token's embedding.
        hidden_size: the encoder's and decoder's state size.
        cell: "gru", "lstm" or "rnn".

    Shapes: forward(src (B, S), tgt_in (B, T)) -> logits (B, T, V); encode(src) -> the
    encoder's final state (h_n (1, B, H), or (h_n, c_n) for LSTM); generate(src, max_length,
    bos) -> tokens (B, max_length) int64.
    """

    def __init__(
        self, vocab_size: int, embedding_dim: int = 16, hidden_size: int = 64, cell: str = "gru"
    ):
        super().__init__()
        self.vocab_size, self.cell = int(vocab_size), str(cell).lower()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.encoder = recurrent_layer("Seq2Seq", cell, embedding_dim, hidden_size)
        self.decoder = recurrent_layer("Seq2Seq", cell, embedding_dim, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def encode(self, src):
        """The encoder's final state for source tokens (B, S)."""
        src = _tokens("src", src, self.vocab_size)
        _, state = self.encoder(self.embedding(src))
        return state

    def decode(self, tgt_in, state):
        """Logits (B, T, V) for decoder inputs (B, T) from ``state``; returns (logits, state)."""
        tgt_in = _tokens("tgt_in", tgt_in, self.vocab_size)
        output, state = self.decoder(self.embedding(tgt_in), state)
        return self.out(output), state

    def forward(self, src, tgt_in) -> Tensor:
        logits, _ = self.decode(tgt_in, self.encode(src))
        return logits

    def generate(self, src, max_length: int, bos: int, eos: int | None = None) -> np.ndarray:
        """Greedy decoding: start from ``bos``, feed back the argmax token, for ``max_length``
        steps (stopping early once every row has produced ``eos``). Returns int64
        (B, max_length); positions after a row's EOS hold EOS."""
        was_training = self.training
        self.eval()
        try:
            with autograd.no_grad():
                state = self.encode(src)
                batch = state[0].shape[1] if isinstance(state, tuple) else state.shape[1]
                token = np.full((batch, 1), bos, dtype=np.int64)
                done = np.zeros(batch, dtype=bool)
                result = np.full((batch, max_length), -1 if eos is None else eos, np.int64)
                for step in range(max_length):
                    logits, state = self.decode(token, state)
                    token = logits.numpy()[:, -1].argmax(axis=1).astype(np.int64)[:, None]
                    result[~done, step] = token[~done, 0]
                    if eos is not None:
                        done |= token[:, 0] == eos
                        if done.all():
                            break
                return result
        finally:
            self.train(was_training)


def exact_match(predicted, target, eos: int) -> float:
    """The share of rows whose tokens up to and including the first ``eos`` of ``target``
    (B, T) equal ``predicted``'s (B, >= T)."""
    predicted, target = np.asarray(predicted), np.asarray(target)
    hits = 0
    for p, t in zip(predicted, target):
        ends = np.flatnonzero(t == eos)
        n = ends[0] + 1 if len(ends) else len(t)
        hits += bool(len(p) >= n and np.array_equal(p[:n], t[:n]))
    return hits / len(target)
