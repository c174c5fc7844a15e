"""Seq2Seq: shapes, gradients, greedy decoding, exact match, training, and the quality bar
(reversing digit strings of 3 to 8 digits: exact match >= 0.9 on unseen strings)."""

import numpy as np
import pytest

import gradlab
from gradlab.lab.applications.seq2seq_reverse import (
    decoder_inputs,
    run_seq2seq_reverse,
    train_seq2seq,
)
from gradlab.models.seq2seq import Seq2Seq, exact_match


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_shapes_and_gradients(cell):
    gradlab.manual_seed(0)
    model = Seq2Seq(7, embedding_dim=4, hidden_size=6, cell=cell)
    src = np.array([[1, 2, 3, 4], [4, 3, 2, 1]])
    tgt_in = np.array([[0, 1, 2], [0, 3, 3]])
    logits = model(src, tgt_in)
    assert logits.shape == (2, 3, 7)
    logits.sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
    out = model.generate(src, max_length=5, bos=0)
    assert out.shape == (2, 5) and out.dtype == np.int64
    assert ((out >= 0) & (out < 7)).all()


def test_generate_matches_teacher_forced_argmax():
    # feeding the greedy output back as teacher-forced input gives the same argmaxes
    gradlab.manual_seed(3)
    model = Seq2Seq(6, embedding_dim=4, hidden_size=8)
    src = np.array([[1, 2, 3], [3, 2, 1], [5, 5, 4]])
    out = model.generate(src, max_length=4, bos=0)
    with gradlab.no_grad():
        logits = model(src, decoder_inputs(out, 0))
    np.testing.assert_array_equal(logits.numpy().argmax(axis=2), out)


def test_generate_stops_rows_at_eos():
    gradlab.manual_seed(0)
    model = Seq2Seq(5, embedding_dim=3, hidden_size=4)
    model.out.bias.numpy()[...] = [0, 0, 0, 0, 100.0]  # always predicts token 4
    out = model.generate(np.array([[1, 2]]), max_length=3, bos=0, eos=4)
    np.testing.assert_array_equal(out, [[4, 4, 4]])


def test_exact_match_counts_up_to_the_end_token():
    target = np.array([[3, 2, 1, 9, 0], [1, 9, 0, 0, 0], [5, 6, 9, 0, 0]])
    predicted = np.array([[3, 2, 1, 9, 7], [1, 9, 5, 5, 5], [5, 7, 9, 0, 0]])
    assert exact_match(predicted, target, eos=9) == pytest.approx(2 / 3)
    assert decoder_inputs(target[:1], 8).tolist() == [[8, 3, 2, 1, 9]]


def test_errors():
    with pytest.raises(ValueError, match=r"Seq2Seq\(vocab_size=5\): src has shape \(3,\)"):
        Seq2Seq(5).encode(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"Seq2Seq: cell='cnn'"):
        Seq2Seq(5, cell="cnn")


def test_short_training_lowers_the_loss():
    from gradlab.data.synthetic_tasks import make_reversal_pairs

    gradlab.manual_seed(0)
    data = make_reversal_pairs(512, 3, 5, seed=0)
    model = Seq2Seq(data.extra["vocab_size"], 8, 32)
    losses = train_seq2seq(
        model, data.X, data.y, data.extra["bos"], data.extra["pad"], epochs=4, lr=1e-2
    )
    assert losses[-1] < 0.8 * losses[0]


def test_reversing_digit_strings_exact_match_090():
    result = run_seq2seq_reverse(n_train=4000, n_test=500, epochs=10, hidden_size=128, seed=0)
    assert result["exact_match"] >= 0.9
