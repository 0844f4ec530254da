"""Documents in every supported format become blocks under their heading paths; a
document that cannot be read is reported by name and the rest still builds."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from agent.errors import KnowledgeError
from agent.knowledge.index import build_index
from agent.knowledge.ingest import Block, document_problems, read_document

pytestmark = pytest.mark.unit


def test_markdown_headings_lists_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "menu.md"
    path.write_text(
        "# Menu\n\nIntro **text** with `code`.\n\n## Bread\n\n- Sourdough – £4.80\n"
        "- Rye – £5.20\n\n## Cakes\n\n| Cake | Price | Serves |\n|---|---|---|\n"
        "| Sponge | £24 | 12 |\n\n# Visit\n\nOpen daily.\n"
    )
    assert read_document(path) == [
        Block("Menu", "Intro text with code."),
        Block("Menu > Bread", "Sourdough – £4.80"),
        Block("Menu > Bread", "Rye – £5.20"),
        Block("Menu > Cakes", "Sponge: price £24, serves 12."),
        Block("Visit", "Open daily."),
    ]


def test_html_skips_scripts_and_navigation(tmp_path: Path) -> None:
    path = tmp_path / "visit.html"
    path.write_text(
        "<html><head><script>var secret = 1;</script></head><body><nav>Home</nav>"
        "<h1>Visit</h1><h2>Hours</h2><dl><dt>Monday</dt><dd>closed</dd></dl>"
        "<table><tr><th>Day</th><th>Hours</th></tr><tr><td>Sunday</td><td>9-2</td></tr></table>"
        "<p>Parking on <b>Richmond Road</b>.</p><ul><li>Cards</li></ul></body></html>"
    )
    blocks = read_document(path)
    assert blocks == [
        Block("Visit > Hours", "Monday: closed"),
        Block("Visit > Hours", "Sunday: 9-2."),
        Block("Visit > Hours", "Parking on Richmond Road."),
        Block("Visit > Hours", "Cards"),
    ]
    assert not any("secret" in b.text or "Home" in b.text for b in blocks)


def test_text_headings_and_bullets(tmp_path: Path) -> None:
    path = tmp_path / "policy.txt"
    path.write_text(
        "CANCELLATION\n\nGive us 24 hours' notice.\n\nFees\n- Late: 50 percent\n- No show: full\n"
    )
    assert read_document(path) == [
        Block("Cancellation", "Give us 24 hours' notice."),
        Block("Cancellation > Fees", "Late: 50 percent"),
        Block("Cancellation > Fees", "No show: full"),
    ]


def test_pdf_made_at_test_time(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "Delivery\n\nWe deliver within 3 miles of the shop.")
    path = tmp_path / "delivery.pdf"
    pdf.output(str(path))
    blocks = read_document(path)
    assert Block("Delivery", "We deliver within 3 miles of the shop.") in blocks


def test_docx_made_at_test_time(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Stylists", level=1)
    document.add_heading("Senior", level=2)
    document.add_paragraph("Jonah cuts curly hair dry.")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Service", "Price"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "Fringe trim", "£10"
    path = tmp_path / "team.docx"
    document.save(str(path))
    assert read_document(path) == [
        Block("Stylists > Senior", "Jonah cuts curly hair dry."),
        Block("Stylists > Senior", "Fringe trim: £10."),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.pdf", b"%PDF-1.4 not really", "cannot read document"),
        ("broken.docx", b"PK\x03\x04 not a zip", "cannot read document"),
        ("latin1.md", "Caf\xe9 menu".encode("latin-1"), "cannot read document"),
        ("empty.txt", b"\n\n  \n", "document has no text"),
    ],
)
def test_unreadable_document_names_its_file(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(KnowledgeError, match=rf"{name}: {message}"):
        read_document(path)


def test_corrupt_document_is_skipped_and_the_rest_builds(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Hours\n\nWe open at 9am.\n")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / ".hidden.md").write_text("# Secret\n\nNot indexed.\n")
    (tmp_path / "notes.xyz").write_text("not a supported format")
    index = build_index(tmp_path)
    assert [c.text for c in index.chunks] == ["We open at 9am."]
    assert len(index.problems) == 1 and "bad.pdf" in index.problems[0]
    unsupported, *unreadable = [str(e) for e in document_problems(tmp_path)]
    assert unsupported.startswith(f"{tmp_path / 'notes.xyz'}: not a document type")
    assert unreadable == index.problems


def test_short_fact_lines_in_text_are_not_taken_for_headings(tmp_path: Path) -> None:
    path = tmp_path / "contact.txt"
    path.write_text("Contact us\n\nPhone 020 7123 4567\n\nEmail: hello@shop.example\n")
    assert read_document(path) == [
        Block("Contact us", "Phone 020 7123 4567"),
        Block("Contact us", "Email: hello@shop.example"),
    ]
