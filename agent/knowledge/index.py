"""A knowledge folder's BM25 index, built once per content hash and kept on disk.

The index of ``tenants/<id>/knowledge/`` lives in ``tenants/<id>/.index/<hash>/`` (a
git-ignored build artifact), where ``<hash>`` covers every document's name and bytes and
the index format. An unchanged folder loads the saved index; a changed one is rebuilt
into a fresh directory that is renamed into place, so concurrent workers never read a
half-written index. Unreadable documents are listed in ``problems`` and skipped.

With hybrid search on (``FRONTDESK_KB_EMBEDDINGS``), the chunks' sentence embeddings are
saved beside the BM25 index, in ``<hash>/embeddings-<code>.npy``, where ``<code>`` hashes
the encoder's code (this module's is in ``<hash>`` already); the file is written to a
temporary file and renamed into place, so a reader never sees half of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from ..errors import KnowledgeError
from .ingest import Block, document_files, read_document
from .sentences import split_sentences
from .tokens import ADDRESS, PRICE, terms

logger = logging.getLogger("frontdesk.knowledge")

INDEX_VERSION = "2"  # bump when chunking, tokens or the file layout change
MAX_WORDS = 60  # a longer paragraph is split into groups of sentences


@dataclass(frozen=True)
class Chunk:
    """One searchable passage: text, the file it came from and its heading path."""

    text: str
    source: str
    heading: str = ""


@dataclass
class Index:
    """Chunks, their BM25 index and term statistics (for calibrated confidence)."""

    chunks: list[Chunk]
    retriever: bm25s.BM25 | None
    content_hash: str
    problems: list[str] = field(default_factory=list)
    chunk_terms: list[frozenset[str]] = field(default_factory=list)
    df: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.chunk_terms = [frozenset(index_terms(c)) for c in self.chunks]
        self.df = Counter(t for ts in self.chunk_terms for t in ts)


def index_terms(chunk: Chunk) -> list[str]:
    """What a chunk is found by: its text, the last two parts of its heading path (twice:
    a heading names the topic of everything under it), "price" if it states one, and
    "address" if it gives a street address."""
    heading = terms(" ".join(chunk.heading.split(" > ")[-2:]))
    price = ["price"] if PRICE.search(chunk.text) else []
    address = ["address"] if ADDRESS.search(chunk.text) else []
    return [*heading, *heading, *terms(chunk.text), *price, *address]


def chunk_blocks(blocks: list[Block], source: str) -> list[Chunk]:
    """One chunk per block; a long block split into groups of whole sentences."""
    chunks = []
    for block in blocks:
        group: list[str] = []
        for sentence in split_sentences(block.text):
            if group and len(" ".join([*group, sentence]).split()) > MAX_WORDS:
                chunks.append(Chunk(" ".join(group), source, block.heading))
                group = []
            group.append(sentence)
        if group:
            chunks.append(Chunk(" ".join(group), source, block.heading))
    return chunks


@cache
def _code_digest() -> bytes:
    """The modules that shape an index: a change to any of them rebuilds every index."""
    sha = hashlib.sha256(f"frontdesk-kb-{INDEX_VERSION}".encode())
    for module in ("ingest.py", "index.py", "tokens.py", "sentences.py"):
        sha.update((Path(__file__).parent / module).read_bytes())
    return sha.digest()


_hashed: dict[Path, tuple[tuple[tuple[str, int, int], ...], str]] = {}


def content_hash(folder: Path) -> str:
    """Hash of the documents' names and bytes, and of the indexing code. The bytes are
    read again only when a document's name, size or mtime changed since the last call."""
    files = document_files(folder)
    stamp = tuple((str(p), *_size_mtime(p)) for p in files)
    known = _hashed.get(folder)
    if known is not None and known[0] == stamp:
        return known[1]
    sha = hashlib.sha256(_code_digest())
    for path in files:
        sha.update(str(path.relative_to(folder)).encode() + b"\0")
        try:
            sha.update(path.read_bytes())
        except OSError:
            sha.update(b"\0unreadable")
    digest = sha.hexdigest()[:16]
    _hashed[folder] = (stamp, digest)
    return digest


def _size_mtime(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


def build_index(folder: Path, digest: str | None = None) -> Index:
    """Read every document of ``folder`` (skipping unreadable ones) and index it."""
    chunks: list[Chunk] = []
    problems: list[str] = []
    for path in document_files(folder):
        try:
            blocks = read_document(path)
        except KnowledgeError as e:
            logger.warning("document skipped", extra={"file": str(path), "error": str(e)})
            problems.append(str(e))
            continue
        chunks += chunk_blocks(blocks, str(path.relative_to(folder)))
    return Index(chunks, _bm25(chunks), digest or content_hash(folder), problems)


def _bm25(chunks: list[Chunk]) -> bm25s.BM25 | None:
    if not chunks:
        return None
    retriever = bm25s.BM25()
    retriever.index([index_terms(c) or [""] for c in chunks], show_progress=False)
    return retriever


def load_index(folder: Path, index_root: Path, digest: str | None = None) -> Index:
    """The index of ``folder``: loaded from ``index_root/<hash>/`` or built and saved.
    ``digest`` is the folder's :func:`content_hash`, when the caller has it already."""
    digest = digest or content_hash(folder)
    saved = index_root / digest
    if (saved / "chunks.json").is_file():
        try:
            return _read(saved, digest)
        except (OSError, ValueError, KeyError) as e:
            logger.warning(
                "saved index unreadable; rebuilding", extra={"path": str(saved), "error": str(e)}
            )
    index = build_index(folder, digest)
    _save(index, index_root)
    return index


def _read(saved: Path, digest: str) -> Index:
    data = json.loads((saved / "chunks.json").read_text(encoding="utf-8"))
    chunks = [Chunk(**c) for c in data["chunks"]]
    retriever = None
    if chunks:
        retriever = bm25s.BM25.load(str(saved / "bm25"), show_progress=False, verbosity=0)
    return Index(chunks, retriever, digest, list(data["problems"]))


def _save(index: Index, index_root: Path) -> None:
    try:
        index_root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=index_root))
        payload = {"chunks": [asdict(c) for c in index.chunks], "problems": index.problems}
        if index.retriever is not None:
            index.retriever.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "chunks.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
        try:
            tmp.rename(index_root / index.content_hash)
        except OSError:  # another worker saved the same index first
            shutil.rmtree(tmp, ignore_errors=True)
        for old in index_root.iterdir():
            if (
                old.is_dir()
                and old.name not in (index.content_hash,)
                and not old.name.startswith(".")
            ):
                shutil.rmtree(old, ignore_errors=True)
    except OSError as e:  # a read-only checkout still answers, from memory
        logger.warning("index not saved", extra={"path": str(index_root), "error": str(e)})


def embed_text(chunk: Chunk) -> str:
    """What a chunk's embedding is computed from: the last two parts of its heading path
    (the topic, as :func:`index_terms` weighs it) and its text."""
    heading = " > ".join(chunk.heading.split(" > ")[-2:])
    return f"{heading}: {chunk.text}" if heading else chunk.text


@cache
def embeddings_file() -> str:
    """The saved embeddings' file name: a change to the encoder recomputes them."""
    code = (Path(__file__).parent / "embed.py").read_bytes()
    return f"embeddings-{hashlib.sha256(code).hexdigest()[:12]}.npy"


def load_vectors(index: Index, index_root: Path) -> npt.NDArray[np.float32]:
    """The chunks' sentence embeddings, one unit-length row per chunk: loaded from
    ``index_root/<hash>/``, or computed (blocking: about 10 ms a chunk on one core) and
    saved there. Needs the ``embeddings`` extra (else a ConfigError naming the setting)."""
    from .embed import encoder

    path = index_root / index.content_hash / embeddings_file()
    try:
        vectors: npt.NDArray[np.float32] = np.load(path, allow_pickle=False)
        if vectors.shape[0] == len(index.chunks):
            return vectors
    except (OSError, ValueError):
        pass
    vectors = encoder().encode([embed_text(c) for c in index.chunks])
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
            np.save(f, vectors, allow_pickle=False)
        os.replace(f.name, path)
        for old in path.parent.glob("embeddings-*.npy"):  # an older encoder's
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as e:  # a read-only checkout still answers, from memory
        logger.warning("embeddings not saved", extra={"path": str(path), "error": str(e)})
    return vectors
