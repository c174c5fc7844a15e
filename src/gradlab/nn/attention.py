"""Multi-head attention: ``nn.MultiheadAttention`` and ``F.scaled_dot_product_attention``.

PyTorch's computation: project query/key/value with one (3E, E) ``in_proj_weight``, split
into ``num_heads`` heads of size E/h, weights ``softmax(q k^T / sqrt(E/h) + mask)`` (dropout
on them in training), output ``weights @ v`` merged back to E and projected by ``out_proj``.
Masks: a bool ``attn_mask`` (True = may not attend) or a float one (added), and a
``key_padding_mask`` (N, S) (True = ignore that key). Built from differentiable ops.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import array_module, as_array, backend_of, get_default_dtype, to_backend, xp
from gradlab.nn import init
from gradlab.nn.dropout import dropout
from gradlab.nn.linear import Linear, linear
from gradlab.nn.module import Module, Parameter
from gradlab.ops.movement import cat, expand, reshape, transpose
from gradlab.ops.softmax import softmax
from gradlab.tensor import Tensor

__all__ = ["MultiheadAttention"]


def _mask_array(mask, like):
    """A mask (Tensor, array or nested lists) as an array on the device of the array
    ``like``."""
    if isinstance(mask, Tensor):
        return mask._data
    return to_backend(as_array(mask), backend_of(like))


def _additive_mask(mask, like, owner: str, name: str):
    """A bool mask (True = blocked) as 0/-inf, or a float mask as it is, in the dtype and on
    the device of the array ``like``."""
    dtype = like.dtype
    array = _mask_array(mask, like)
    if array.dtype == np.bool_:
        return array_module(array).where(array, -np.inf, 0.0).astype(dtype)
    if array.dtype.kind != "f":
        raise TypeError(f"{owner}: only bool and floating types of {name} are supported")
    return array.astype(dtype)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, enable_gqa=False,
                                 *, generator=None):  # fmt: skip
    """``softmax(q k^T * scale + mask) v`` over (..., L, E) queries and (..., S, E) keys;
    ``scale`` defaults to 1/sqrt(E); a bool mask is True where attention is allowed (PyTorch's
    convention for this function)."""
    e = query.shape[-1]
    scale = 1.0 / math.sqrt(e) if scale is None else scale
    scores = (query * scale) @ transpose(key, -2, -1)
    dtype = scores.dtype
    if is_causal:
        l_, s_ = query.shape[-2], key.shape[-2]
        xp = array_module(scores)
        scores = scores + xp.where(xp.tri(l_, s_, dtype=bool), 0.0, -np.inf).astype(dtype)
    if attn_mask is not None:
        array = _mask_array(attn_mask, scores._data)
        if array.dtype == np.bool_:
            scores = scores + array_module(array).where(array, 0.0, -np.inf).astype(dtype)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True, generator=generator)
    return weights @ value


class MultiheadAttention(Module):
    """``nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
    add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False)``.

    Inputs (L, N, E) — (N, L, E) with ``batch_first`` — or unbatched (L, E); key (S, N, kdim)
    and value (S, N, vdim). Returns ``(attn_output, attn_weights)``: output like the query;
    weights (N, L, S') averaged over heads (``average_attn_weights=False``: (N, h, L, S')),
    or None when ``need_weights=False``; S' = S, plus 1 with ``add_bias_kv``, plus 1 with
    ``add_zero_attn``.

    Parameters, PyTorch's names, layout and initialization: ``in_proj_weight`` (3E, E) when
    kdim == vdim == E, else ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim),
    ``v_proj_weight`` (E, vdim) (xavier_uniform_); ``in_proj_bias`` (3E,) zeros; ``bias_k``
    and ``bias_v`` (1, 1, E) ~ xavier_normal_ with ``add_bias_kv`` (a learned key and value
    appended to every sequence); ``out_proj`` a Linear(E, E) with a zero bias.
    ``add_zero_attn`` appends a zero key and value after projection.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, *, generator=None, dtype=None):  # fmt: skip
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = float(dropout)
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        self.generator = generator
        dtype = np.dtype(dtype) if dtype is not None else get_default_dtype()
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(xp.empty((3 * embed_dim, embed_dim), dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(xp.empty((embed_dim, embed_dim), dtype))
            self.k_proj_weight = Parameter(xp.empty((embed_dim, self.kdim), dtype))
            self.v_proj_weight = Parameter(xp.empty((embed_dim, self.vdim), dtype))
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, generator=generator)
        if add_bias_kv:
            self.bias_k = Parameter(xp.empty((1, 1, embed_dim), dtype))
            self.bias_v = Parameter(xp.empty((1, 1, embed_dim), dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = bool(add_zero_attn)
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight, generator=generator)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight, generator=generator)
        if bias:
            self.out_proj.bias.numpy()[...] = 0
        if add_bias_kv:
            init.xavier_normal_(self.bias_k, generator=generator)
            init.xavier_normal_(self.bias_v, generator=generator)

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        owner = f"MultiheadAttention(embed_dim={self.embed_dim})"
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or query.shape[-1] != self.embed_dim:
            raise ValueError(
                f"{owner}: query has shape {tuple(query.shape)}, expected (L, N, "
                f"{self.embed_dim}) or (L, {self.embed_dim})"
            )
        for name, t, size in (("key", key, self.kdim), ("value", value, self.vdim)):
            if t.ndim != query.ndim or t.shape[-1] != size:
                raise AssertionError(
                    f"{owner}: {name} has shape {tuple(t.shape)}, expected {query.ndim} "
                    f"dimensions and last dimension {size} ({'k' if name == 'key' else 'v'}dim)"
                )
        if key.shape[:-1] != value.shape[:-1]:
            raise AssertionError(
                f"key's sequence and batch dims {tuple(key.shape[:-1])} do not match value's "
                f"{tuple(value.shape[:-1])}"
            )
        if is_causal and attn_mask is None:
            raise RuntimeError(
                "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                "module method `generate_square_subsequent_mask` to create this mask."
            )
        if not batched:
            query, key, value = (reshape(t, t.shape[0], 1, t.shape[1]) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = _mask_array(key_padding_mask, query._data)[None]
        elif self.batch_first:
            query, key, value = (transpose(t, 0, 1) for t in (query, key, value))
        tgt_len, n, e = query.shape
        src_len = key.shape[0]
        h, hd = self.num_heads, self.head_dim
        b = self.in_proj_bias
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:e], w[e : 2 * e], w[2 * e :]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        q = linear(query, wq, None if b is None else b[:e])
        k = linear(key, wk, None if b is None else b[e : 2 * e])
        v = linear(value, wv, None if b is None else b[2 * e :])
        mask = self._mask(attn_mask, key_padding_mask, q._data, n, tgt_len, src_len, owner)
        appended = 0
        if self.bias_k is not None:  # one learned key and value after every sequence
            k = cat([k, expand(self.bias_k, 1, n, e)])
            v = cat([v, expand(self.bias_v, 1, n, e)])
            appended += 1
        # (L, N, E) -> (N*h, L, hd), PyTorch's head layout
        q = transpose(reshape(q, tgt_len, n * h, hd), 0, 1)
        k = transpose(reshape(k, k.shape[0], n * h, hd), 0, 1)
        v = transpose(reshape(v, v.shape[0], n * h, hd), 0, 1)
        if self.add_zero_attn:  # one zero key and value, after the projection
            zeros = Tensor(array_module(q._data).zeros((n * h, 1, hd), q._data.dtype))
            k, v = cat([k, zeros], dim=1), cat([v, zeros], dim=1)
            appended += 1
        src_len = k.shape[1]
        scores = (q * math.sqrt(1.0 / hd)) @ transpose(k, 1, 2)  # (N*h, L, S)
        if mask is not None:
            if appended:  # the appended keys are never masked
                mask = np.concatenate(
                    [mask, np.zeros(mask.shape[:-1] + (appended,), mask.dtype)], axis=-1
                )
            scores = scores + mask
        weights = softmax(scores, dim=-1)
        if self.dropout > 0.0 and self.training:
            weights = dropout(weights, self.dropout, True, generator=self.generator)
        out = weights @ v  # (N*h, L, hd)
        out = reshape(transpose(out, 0, 1), tgt_len * n, e)
        out = reshape(linear(out, self.out_proj.weight, self.out_proj.bias), tgt_len, n, e)
        if not batched:
            out = reshape(out, tgt_len, e)
        elif self.batch_first:
            out = transpose(out, 0, 1)
        if not need_weights:
            return out, None
        weights = reshape(weights, n, h, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            weights = reshape(weights, *weights.shape[1:])
        return out, weights

    def _mask(self, attn_mask, key_padding_mask, like, n, tgt_len, src_len, owner):
        """The additive mask of shape (N*h, L, S), (L, S) or None, as the array ``like``."""
        h = self.num_heads
        mask = None
        if attn_mask is not None:
            mask = _additive_mask(attn_mask, like, owner, "attn_mask")
            if mask.ndim == 2 and mask.shape != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            if mask.ndim == 3 and mask.shape != (n * h, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {mask.shape}, but should be "
                    f"{(n * h, tgt_len, src_len)}."
                )
            if mask.ndim not in (2, 3):
                raise RuntimeError(f"attn_mask's dimension {mask.ndim} is not supported")
        if key_padding_mask is not None:
            padding = _additive_mask(key_padding_mask, like, owner, "key_padding_mask")
            if padding.shape != (n, src_len):
                raise AssertionError(
                    f"expecting key_padding_mask shape of {(n, src_len)}, but got {padding.shape}"
                )
            padding = array_module(padding).broadcast_to(
                padding[:, None, None, :], (n, h, 1, src_len)
            )
            padding = padding.reshape(n * h, 1, src_len)
            mask = padding if mask is None else mask + padding
        return mask

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
