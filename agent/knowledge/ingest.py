"""Documents into blocks: each paragraph, list item or table row with its heading path.

One reader per format, each a well-kept library: markdown-it-py (``.md``),
BeautifulSoup (``.html``), pypdf (``.pdf``), python-docx (``.docx``); ``.txt`` is split
on blank lines. A document that cannot be read is reported as a :class:`KnowledgeError`
naming the file, and the other documents still count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import KnowledgeError

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")


@dataclass(frozen=True)
class Block:
    """One unit of text under its heading path (``"Menu > Cakes"``)."""

    heading: str
    text: str


class Headings:
    """The current heading path while walking a document."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def enter(self, level: int, title: str) -> None:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        if title:
            self._stack.append((level, title))

    @property
    def path(self) -> str:
        return " > ".join(title for _, title in self._stack)


def clean(text: str) -> str:
    """Whitespace collapsed, and no space before punctuation (left by joined HTML tags)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", text)).strip()


def read_markdown(data: bytes) -> list[Block]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(data.decode("utf-8"))
    headings, blocks = Headings(), []
    row: list[str] = []
    header: list[str] = []
    in_head = False
    for i, token in enumerate(tokens):
        if token.type == "inline":
            text = clean("".join(_inline_text(token.children or [])))
            opener = tokens[i - 1]
            if opener.type == "heading_open":
                headings.enter(int(opener.tag[1]), text)
            elif opener.type in ("th_open", "td_open"):
                row.append(text)
            elif text:
                blocks.append(Block(headings.path, text))
        elif token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            if in_head:
                header = row
            elif any(row):
                blocks.append(Block(headings.path, table_row(header, row)))
    return blocks


def _inline_text(children: Sequence[object]) -> Iterator[str]:
    for child in children:
        kind, content = getattr(child, "type", ""), str(getattr(child, "content", ""))
        if kind in ("text", "code_inline", "html_inline"):
            yield content
        elif kind in ("softbreak", "hardbreak"):
            yield " "


def table_row(header: list[str], row: list[str]) -> str:
    """A row as a sentence: ``"Sunday: 9am to 2pm."`` (two columns), or with the column
    names when there are more (``"Sponge: price £24, serves 12."``)."""
    if not row:
        return ""
    first, rest = row[0], row[1:]
    named = len(header) == len(row) and len(row) > 2
    names = header[1:] if named else [""] * len(rest)
    parts = [
        f"{name.lower()} {cell}" if name else cell for name, cell in zip(names, rest, strict=False)
    ]
    return clean(f"{first}: {', '.join(p for p in parts if p)}.")


def read_html(data: bytes) -> list[Block]:
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(data, "html.parser")
    for junk in soup(["script", "style", "nav", "footer", "head"]):
        junk.decompose()
    headings, blocks = Headings(), []
    header: list[str] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "dd"]):
        if not isinstance(el, Tag) or (el.name in ("p", "li") and el.find_parent("li")):
            continue
        text = clean(el.get_text(" "))
        if el.name[0] == "h" and el.name[1:].isdigit():
            headings.enter(int(el.name[1]), text)
        elif el.name == "tr":
            cells = [clean(c.get_text(" ")) for c in el.find_all(["td", "th"])]
            if el.find("th") and not el.find("td"):
                header = cells
            elif any(cells):
                blocks.append(Block(headings.path, table_row(header, cells)))
        elif el.name == "dd":
            term = el.find_previous_sibling("dt")
            label = clean(term.get_text(" ")) if isinstance(term, Tag) else ""
            blocks.append(Block(headings.path, f"{label}: {text}" if label else text))
        elif text:
            blocks.append(Block(headings.path, text))
    return blocks


def read_text(data: bytes) -> list[Block]:
    return text_blocks(data.decode("utf-8"))


def text_blocks(text: str) -> list[Block]:
    """Paragraphs split on blank lines; a short line without final punctuation that
    precedes other text is a heading (level 1 if underlined or in capitals, else 2)."""
    headings, blocks = Headings(), []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in para.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if re.fullmatch(r"[=\-]{3,}", lines[-1]) and len(lines) == 2:
            headings.enter(1 if lines[-1][0] == "=" else 2, lines[0])
            continue
        first = lines[0]
        if _looks_like_heading(first):
            title = first.rstrip(":")
            headings.enter(
                1 if first.isupper() else 2, title.capitalize() if first.isupper() else title
            )
            lines = lines[1:]
            if not lines:
                continue
        items = [ln for ln in lines if re.match(r"^([-*•]|\d+[.)])\s+", ln)]
        if items and len(items) == len(lines):
            blocks += [
                Block(headings.path, clean(re.sub(r"^([-*•]|\d+[.)])\s+", "", ln))) for ln in lines
            ]
        else:
            blocks.append(Block(headings.path, clean(" ".join(lines))))
    return blocks


def _looks_like_heading(line: str) -> bool:
    """A short line of words: no digits (a phone number or opening time is a fact), no
    sentence punctuation, no colon inside, not a list item."""
    return (
        len(line.split()) <= 8
        and not re.search(r"\d|[.!?,;]$|:.", line)
        and not re.match(r"^[-*•]", line)
    )


def read_pdf(data: bytes) -> list[Block]:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return text_blocks("\n\n".join(page.extract_text() or "" for page in reader.pages))


def read_docx(data: bytes) -> list[Block]:
    import io

    import docx

    document = docx.Document(io.BytesIO(data))
    headings, blocks = Headings(), []
    for para in document.paragraphs:
        text = clean(para.text)
        style = para.style.name if para.style is not None else ""
        match = re.match(r"(?:Heading|Title)\s*(\d*)", style or "")
        if match and text:
            headings.enter(int(match.group(1) or 1), text)
        elif text:
            blocks.append(Block(headings.path, text))
    for table in document.tables:
        rows = [[clean(c.text) for c in r.cells] for r in table.rows]
        header, *body = rows or [[]]
        blocks += [Block(headings.path, table_row(header, r)) for r in body if any(r)]
    return blocks


READERS: dict[str, Callable[[bytes], list[Block]]] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}


def document_files(folder: Path) -> list[Path]:
    """The documents of a knowledge folder (supported suffixes, hidden files skipped)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in READERS
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def read_document(path: Path) -> list[Block]:
    """The blocks of one document; raises KnowledgeError naming the file."""
    try:
        data = path.read_bytes()
        blocks = READERS[path.suffix.lower()](data)
    except KnowledgeError:
        raise
    except Exception as e:  # any parser failure on a corrupt file: report, don't crash
        raise KnowledgeError(
            f"cannot read document: {type(e).__name__}: {e}", path=str(path)
        ) from e
    if not blocks:
        raise KnowledgeError("document has no text", path=str(path))
    return blocks


def unsupported_files(folder: Path) -> list[Path]:
    """Files of a knowledge folder that no reader takes (``.rtf``, ``.pages``, images...):
    they would be skipped, so ``tenant check`` names them."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() not in READERS
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def unsupported_problem(path: Path) -> KnowledgeError:
    kinds = ", ".join(SUFFIXES)
    return KnowledgeError(
        f"not a document type Frontdesk reads ({kinds}): convert it (e.g. save it as .docx, "
        "or paste it into a .md file) or move it out of the folder",
        path=str(path),
    )


def document_problems(folder: Path) -> list[KnowledgeError]:
    """Everything wrong with a knowledge folder (for ``tenant check``): each document
    that cannot be read, each file of a type no reader takes, and a folder with no
    readable document at all."""
    problems = [unsupported_problem(path) for path in unsupported_files(folder)]
    readable = 0
    for path in document_files(folder):
        try:
            read_document(path)
            readable += 1
        except KnowledgeError as e:
            problems.append(e)
    if not readable:
        problems.append(
            KnowledgeError(
                "no documents Frontdesk can read: the answer node would know nothing; add "
                f"{', '.join(SUFFIXES)} files (opening hours, prices, policies)",
                path=str(folder),
            )
        )
    return problems
