from __future__ import annotations

from pathlib import Path

import pytest

from servicedesk.domain.errors import NotFound
from servicedesk.services.attachments import FileStore, clean_filename


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\王\\报价单.xlsx", "报价单.xlsx"),
        ("发票\x00\r\n.pdf", "发票.pdf"),
        ("...", "attachment"),
        ("", "attachment"),
    ],
)
def test_a_file_name_keeps_no_directories_or_control_characters(sent: str, kept: str) -> None:
    assert clean_filename(sent) == kept


def test_the_store_keeps_content_once_and_opens_nothing_outside_it(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    first, digest = store.put(b"%PDF-1.4 invoice")
    again, _ = store.put(b"%PDF-1.4 invoice")
    assert first == again == f"{digest[:2]}/{digest}"
    assert store.path(first).read_bytes() == b"%PDF-1.4 invoice"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [digest]  # no temporary left behind
    for forged in ("../secret", f"{digest[:2]}/../../x", "ab/" + "g" * 64):
        with pytest.raises(NotFound):
            store.path(forged)
