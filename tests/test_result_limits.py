"""A result's rows are read back only once it could have too many, and then every row from the first is counted."""

from __future__ import annotations

import json

import pytest

from ilrs.graph.errors import ResultTooLarge
from ilrs.server.sparql.result_limits import JsonRows, LineRows, ResultMeter, XmlRows


def _json_result(rows: int) -> bytes:
    bindings = [{"s": {"type": "literal", "value": f'row {n}, with "{{" and ,{{ inside'}} for n in range(rows)]
    result = {"head": {"vars": ["s"]}, "results": {"bindings": bindings}}
    return json.dumps(result, separators=(",", ":")).encode()  # as pyoxigraph writes it


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
def test_as_many_rows_as_allowed_pass_and_one_more_is_refused(size: int) -> None:
    for rows, refused in ((40, False), (41, True)):
        meter = ResultMeter(40, None, JsonRows())
        data = _json_result(rows)
        assert len(data) > 40  # past the size below which rows are not read back
        if refused:
            with pytest.raises(ResultTooLarge, match="more than 40 rows"):
                for chunk in _chunks(data, size):
                    meter.check(chunk)
        else:
            for chunk in _chunks(data, size):
                meter.check(chunk)
            assert meter.rows == 40


def test_a_result_no_larger_than_the_row_limit_is_not_read_back() -> None:
    """No format writes a row in less than a byte: a result of at most ``max_rows`` bytes is not counted."""

    class Counting(JsonRows):
        fed = 0

        def feed(self, data: bytes) -> int:
            Counting.fed += 1
            return super().feed(data)

    data = _json_result(3)
    meter = ResultMeter(len(data), None, Counting())
    for chunk in _chunks(data, 16):
        meter.check(chunk)
    assert Counting.fed == 0 and meter.rows == 0
    meter.check(b" ")  # one byte more: now it could have too many, and every piece is read back
    assert meter.rows == 3 and Counting.fed == len(_chunks(data, 16)) + 1


@pytest.mark.parametrize(
    ("counter", "row", "header"),
    [(XmlRows(), b"<result></result>", b"<sparql><results>"), (LineRows(quoted=False), b"\n", b"s\n")],
)
def test_every_format_writes_a_row_in_at_least_a_byte(counter: object, row: bytes, header: bytes) -> None:
    """The shortest row of each format is a byte or more, so the rule above holds for each."""
    meter = ResultMeter(5, None, counter)  # type: ignore[arg-type]
    meter.check(header + row * 5)
    with pytest.raises(ResultTooLarge):
        meter.check(row)
