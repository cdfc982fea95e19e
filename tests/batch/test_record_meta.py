"""Record metadata: built as plain rows, sent as columns, read back by name."""

from __future__ import annotations

from doseguard.batch.record_meta import MetaColumns, MetaRow, Outcome, RecordMeta, pack_meta


def test_rows_packed_as_columns_read_back_by_name_with_the_ids_they_claim() -> None:
    rows: list[MetaRow] = [
        ("A", "P1", "f:1", "flagged", "warning", ("B12-ROUTE",)),
        ("B", "P2", "f:2", "invalid", "critical", ()),
        RecordMeta(None, None, "f:3", "error", None, ()),
    ]
    claimed, packed = pack_meta(rows)
    assert claimed == ["A", None, None]
    columns = MetaColumns(packed)
    assert len(columns) == 3
    assert columns.rows() == [RecordMeta(*row) for row in rows]
    assert columns.row(0).outcome == Outcome("flagged", "warning", ("B12-ROUTE",))
    assert columns.row(1).source == "f:2"


def test_a_chunk_without_records_packs_to_no_rows() -> None:
    claimed, packed = pack_meta([])
    assert claimed == [] and MetaColumns(packed).rows() == [] and len(MetaColumns(packed)) == 0
