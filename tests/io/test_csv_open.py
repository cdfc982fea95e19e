"""The one opening of a CSV file (orders and patient-context files): delimiter, Excel's ``sep=``
line, the header's line and names, repeated header lines."""

from __future__ import annotations

import io

import pytest

from doseguard.errors import InputError
from doseguard.io.csv_open import open_csv, sniff_delimiter, without_repeated_headers

KNOWN = ("patient_id", "test", "value")


def opened(text: str, delimiter: str | None = None):  # type: ignore[no-untyped-def]
    return open_csv("f.csv", io.BytesIO(text.encode()), delimiter, KNOWN)


def test_an_empty_file_has_no_header() -> None:
    assert opened("") is None


def test_the_excel_sep_line_names_the_delimiter_and_the_header_is_line_2() -> None:
    csv = opened("sep=|\npatient_id|test\nP1|hb\n")
    assert csv is not None and csv.line == 2 and csv.names == ("patient_id", "test")
    assert list(csv.rows) == [(3, ["P1", "hb"])]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"patient_id;test;value", ";"),
        (b"patient_id\ttest", "\t"),
        (b'patient_id;"a, b";test', ";"),  # a quoted comma is no delimiter
        (b"id;name", ","),  # names nothing known: a comma
    ],
)
def test_the_delimiter_is_the_one_naming_the_most_known_columns(head: bytes, expected: str) -> None:
    assert sniff_delimiter(head, KNOWN) == expected


def test_a_header_that_cannot_be_read_refuses_the_file() -> None:
    with pytest.raises(InputError, match="CSV header"):
        opened('patient_id,"te"st\nP1,hb\n')


def test_the_same_header_again_is_said_another_refuses_the_file() -> None:
    csv = opened("patient_id,test\nP1,hb\n\ufeffpatient_id,test\nP2,hb\n")
    assert csv is not None
    assert list(without_repeated_headers("f.csv", csv, KNOWN, "a lab result")) == [
        (2, ["P1", "hb"]),
        (3, "the header line again (files joined?): not a lab result; the rows after it are read"),
        (4, ["P2", "hb"]),
    ]
    other = opened("patient_id,test\nP1,hb\ntest,patient_id\n")
    assert other is not None
    with pytest.raises(InputError, match="line 3 is another header line"):
        list(without_repeated_headers("f.csv", other, KNOWN))
