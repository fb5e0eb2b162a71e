"""Reading a CSV export exactly and in linear time: every physical line accounted for.

A court's CSV export is read in four steps, each linear in the file's size:

1. **Decode** (:func:`read_utf8`): the bytes are read in 16 MiB blocks and decoded strictly,
   first as UTF-8 (with or without BOM), then as GB18030 (a superset of GBK); UTF-16 with a
   byte-order mark is recognised. The text is kept as UTF-8 bytes with every line break
   written ``\\n`` (``\\r\\n`` and a lone ``\\r``, as old Mac exports write, both count as one
   line break). Never a replacement character: a file neither encoding reads is refused with
   the line where decoding failed.
2. **Scan** (:func:`scan_records`): with numpy over the bytes, the record boundaries are the
   line breaks outside quoted cells (an even number of ``"`` before them: RFC 4180 doubles a
   quote inside a quoted cell, so the parity is exact), and each record's number of cells is
   its number of delimiters outside quotes plus one. This gives, independently of any CSV
   parser, the physical line each record starts on and how many lines it spans. A record
   spanning more than ``max_lines`` lines, or a quote still open at the end of the file, is an
   unterminated quote: :class:`~courtstudy.core.errors.StructuralError` naming the line where
   the record opened.
3. **Parse** the records with pyarrow's multi-threaded CSV reader (text only, nothing
   converted), the rows whose number of cells differs from the usual one set aside and read
   one by one with Python's :mod:`csv` module.
4. **Check**: pyarrow's row count plus the rows set aside must equal the scan's record count,
   and the lines of the header, the title lines above it and every record must add up to the
   file's physical line count (``bytes.count(b"\\n")``). A quote in the middle of an unquoted
   cell (``他说"你好"``), which the parity scan cannot follow, sends the whole file to the exact
   slow path (Python's csv module line by line, with the same checks).

What comes out (:class:`CsvRecords`): the header cells, one text column per header cell,
each data record's starting line, and the rows that cannot be assigned to columns: more
non-empty cells than the header (``extra``) or fewer cells (``short``). Cells beyond the
header that are empty (a trailing delimiter on every line, common in exports) are dropped and
counted (``trailing_delimiters``): the values stay in their columns.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from courtstudy.core.errors import StructuralError

BLOCK = 16 << 20
#: A quoted cell may hold line breaks (a remark of several lines); a record running over more
#: physical lines than this is taken for an unterminated quote.
MAX_RECORD_LINES = 10
_NEWLINE, _RETURN, _QUOTE = 10, 13, 34


@dataclass
class CsvRecords:
    """A CSV body as text columns; see the module docstring."""

    headers: list[str]
    columns: list[pa.Array]
    lines: np.ndarray                    # first physical line of each data record
    spans: np.ndarray                    # physical lines of each data record
    encoding: str
    sha256: str
    physical_lines: int
    header_line: int
    extra: dict[int, str] = field(default_factory=dict)   # record position -> "n > m"
    short: dict[int, str] = field(default_factory=dict)   # record position -> "n < m"
    blank_lines: int = 0
    trailing_delimiters: int = 0
    exact_path: bool = False


# ---------------------------------------------------------------------------------- decoding
def _encoding_error(path: Path, line: int | None) -> StructuralError:
    where = f"第 {line} 行" if line else ""
    where_en = f" (line {line})" if line else ""
    return StructuralError(
        f"{path}: 无法识别文件编码{('（' + where + '无法解码）') if where else ''}，已尝试 UTF-8 和 GB18030/GBK。"
        f"请在 Excel 或 WPS 中另存为“CSV UTF-8”或 XLSX。\n"
        f"{path}: cannot decode the file as UTF-8 or GB18030/GBK{where_en}; save it as 'CSV UTF-8' or "
        "XLSX and load that."
    )


def _binary_error(path: Path) -> StructuralError:
    return StructuralError(f"{path}: 不是文本表格（含二进制内容）；需要 CSV、XLSX 或 Parquet 文件。\n"
                           f"{path}: not a text table (binary content); expected a CSV, XLSX or Parquet file.")


def _normalise_lone_returns(buf: bytearray) -> bytearray:
    """A file whose lines end in a lone ``\r`` (old Mac exports): every ``\r\n`` and ``\r`` as
    ``\n``. Files with ``\r\n`` or ``\n`` line ends are left as they are (pyarrow and the csv
    module read both)."""
    if buf.count(b"\r") == buf.count(b"\r\n"):
        return buf
    return bytearray(bytes(buf).replace(b"\r\n", b"\n").replace(b"\r", b"\n"))


def _transcode(path: Path, encoding: str) -> tuple[bytearray, str, str]:
    """The file as UTF-8 bytes ending in a line break, its encoding label and SHA-256;
    :class:`UnicodeDecodeError` (with ``.line`` set) when ``encoding`` does not fit."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    digest = hashlib.sha256()
    out = bytearray()
    label = encoding
    lines_before = 0
    first = True
    with open(path, "rb") as fh:
        while True:
            block = fh.read(BLOCK)
            final = not block
            digest.update(block)
            if first and encoding == "utf-8" and block.startswith(codecs.BOM_UTF8):
                block, label = block[len(codecs.BOM_UTF8):], "utf-8-sig"
            first = False
            if b"\x00" in block:
                raise _binary_error(path)
            try:
                text = decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                exc.line = lines_before + block[: exc.start].count(b"\n") + 1  # type: ignore[attr-defined]
                raise
            out += block if encoding == "utf-8" else text.encode("utf-8")
            lines_before += block.count(b"\n")
            if final:
                break
    out = _normalise_lone_returns(out)
    if out and not out.endswith(b"\n"):
        out += b"\n"
    return out, label, digest.hexdigest()


def read_utf8(path: Path) -> tuple[bytearray, str, str]:
    """(UTF-8 bytes with ``\\n`` line breaks and a final ``\\n``, detected encoding, SHA-256)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = path.read_bytes()
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            out = _normalise_lone_returns(bytearray(text.encode("utf-8")))
            if not out.endswith(b"\n"):
                out += b"\n"
            return out, "utf-16", hashlib.sha256(data).hexdigest()
    line = None
    for encoding in ("utf-8", "gb18030"):
        try:
            return _transcode(path, encoding)
        except UnicodeDecodeError as exc:
            line = getattr(exc, "line", None)
    raise _encoding_error(path, line)


# ---------------------------------------------------------------------------------- scanning
@dataclass
class _Scan:
    starts: np.ndarray      # byte offset of each record (body records, blank lines included)
    ends: np.ndarray        # byte offset of the record's final "\n"
    fields: np.ndarray      # cells per record
    first_line: np.ndarray  # physical line each record starts on
    spans: np.ndarray       # physical lines per record


def _open_record_error(path: Path, line: int, span: int | None) -> StructuralError:
    if span is None:
        zh = f"第 {line} 行开始的引号直到文件末尾都没有闭合"
        en = f"a quoted cell opened on line {line} runs to the end of the file (an unterminated quote)"
    else:
        zh = f"第 {line} 行开始的引号跨越了 {span} 行（超过 {MAX_RECORD_LINES} 行），很可能是引号没有闭合"
        en = (f"a quoted cell opened on line {line} runs over {span} lines (more than {MAX_RECORD_LINES}): "
              "most likely an unterminated quote")
    return StructuralError(f"{path}: {zh}；请在源系统或文本编辑器中检查该行的引号后重新导出。\n"
                           f"{path}: {en}; check the quotes on that line and export again.")


def scan_records(buf: bytearray, body: int, sep: str, first_line: int, path: Path,
                 max_lines: int = MAX_RECORD_LINES) -> _Scan | None:
    """Record boundaries and line numbers of ``buf[body:]`` (see the module docstring), or
    ``None`` when only the exact slow path can follow the file: a quote inside an unquoted
    cell, a quote still open at the end, a record over more than ``max_lines`` lines.
    ``first_line`` is the physical line number of ``buf[body]``. Cells per record are counted
    later, and only when some row has an unusual number of cells (:func:`count_fields`)."""
    a = np.frombuffer(buf, dtype=np.uint8)
    n = len(a)
    edge = np.array([ord(sep), _NEWLINE, _RETURN, _QUOTE], dtype=np.uint8)
    boundary_parts: list[np.ndarray] = []
    boundary_line_parts: list[np.ndarray] = []
    parity = 0
    lines_before = 0
    for lo in range(body, n, BLOCK):
        hi = min(lo + BLOCK, n)
        block = a[lo:hi]
        newlines = np.flatnonzero(block == _NEWLINE)
        quotes = np.flatnonzero(block == _QUOTE)
        if len(quotes):
            at = quotes + lo
            before = np.where(at > body, a[np.maximum(at - 1, 0)], _NEWLINE)
            after = np.where(at + 1 < n, a[np.minimum(at + 1, n - 1)], _NEWLINE)
            if not (np.isin(before, edge) | np.isin(after, edge)).all():
                return None
        inside, parity = _inside_quotes(newlines, quotes, parity)
        boundary_parts.append(newlines[~inside] + lo)
        boundary_line_parts.append(np.flatnonzero(~inside) + lines_before)
        lines_before += len(newlines)
    ends = np.concatenate(boundary_parts) if boundary_parts else np.zeros(0, dtype=np.int64)
    line_index = (np.concatenate(boundary_line_parts) if boundary_line_parts
                  else np.zeros(0, dtype=np.int64))
    previous = np.concatenate([[-1], line_index[:-1]])
    record_first = first_line + previous + 1
    spans = line_index - previous
    if parity or (spans > max_lines).any():
        # A quote open at the end of the file or a record over many lines: either a real
        # unterminated quote or a stray quote the parity cannot follow. The exact path decides.
        return None
    starts = np.concatenate([[body], ends[:-1] + 1]).astype(np.int64) if len(ends) else ends
    return _Scan(starts=starts, ends=ends, fields=np.zeros(0, dtype=np.int64),
                 first_line=record_first, spans=spans)


def _inside_quotes(positions: np.ndarray, quotes: np.ndarray, parity: int) -> tuple[np.ndarray, int]:
    """Which ``positions`` of a block lie inside a quoted cell (an odd number of quotes before
    them, counting ``parity``, the quotes still open at the block's start), and the parity at
    the block's end. ``positions`` and ``quotes`` are sorted offsets in the block."""
    if not len(quotes):
        return np.full(len(positions), bool(parity)), parity
    inside = ((parity + np.searchsorted(quotes, positions)) & 1).astype(bool)
    return inside, (parity + len(quotes)) & 1


def count_fields(buf: bytearray, scan: _Scan, sep: str) -> np.ndarray:
    """Cells of each record of ``scan``: its delimiters outside quoted cells plus one."""
    a = np.frombuffer(buf, dtype=np.uint8)
    counts = np.zeros(len(scan.ends), dtype=np.int64)
    if len(scan.ends) == 0:
        return counts + 1
    body, n = int(scan.starts[0]), int(scan.ends[-1]) + 1
    parity = 0
    sep_byte = ord(sep)
    for lo in range(body, n, BLOCK):
        hi = min(lo + BLOCK, n)
        block = a[lo:hi]
        delimiters = np.flatnonzero(block == sep_byte)
        quotes = np.flatnonzero(block == _QUOTE)
        inside, parity = _inside_quotes(delimiters, quotes, parity)
        delimiters = delimiters[~inside]
        which = np.searchsorted(scan.ends, delimiters + lo, side="left")
        counts += np.bincount(which, minlength=len(counts))[: len(counts)]
    return counts + 1


# ---------------------------------------------------------------------------------- parsing
def _is_blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def _pyarrow_rows(buf: bytearray, body: int, sep: str, width: int, multiline: bool,
                  ) -> tuple[pa.Table, int]:
    """Parse ``buf[body:]`` as text with ``width`` columns; rows of another width are skipped
    and counted."""
    import pyarrow.csv as pacsv

    skipped = 0

    def skip(_row) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    names = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(buf).slice(body)),
        read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=multiline,
                                         invalid_row_handler=skip),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False),
    )
    return table, skipped


def _record_cells(buf: bytearray, start: int, end: int, sep: str) -> list[str]:
    text = bytes(buf[start:end]).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    return rows[0] if rows else []


def _blank_of(table: pa.Table, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` of a text table have only empty or blank cells."""
    import pyarrow.compute as pc

    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    sub = table.take(pa.array(rows))
    blank = np.ones(len(rows), dtype=bool)
    for column in sub.columns:
        trimmed = pc.utf8_trim_whitespace(column)
        blank &= pc.equal(pc.utf8_length(trimmed), 0).to_numpy(zero_copy_only=False)
    return blank


def _assemble(headers: list[str], good: pa.Table | None, good_positions: np.ndarray,
              odd_cells: dict[int, list[str]], n: int, maybe_blank: np.ndarray | None = None,
              ) -> tuple[list[pa.Array], dict[int, str], dict[int, str], int, np.ndarray]:
    """Text columns for the ``n`` records in file order from the rows pyarrow parsed (at
    ``good_positions``) and the rows read one by one (``odd_cells``); the rows with extra or
    missing cells; the count of rows with empty trailing cells; and which records are blank.
    ``maybe_blank``: the parsed rows that may be blank (the others start with a character
    that is no delimiter, space or quote, so they hold a value); ``None`` = check all."""
    import pyarrow.compute as pc

    width = len(headers)
    extra: dict[int, str] = {}
    short: dict[int, str] = {}
    trailing = 0
    blank = np.zeros(n, dtype=bool)
    columns: list[pa.ChunkedArray | pa.Array] = []
    if good is not None and good.num_rows:
        parsed_width = good.num_columns
        check = np.arange(good.num_rows) if maybe_blank is None else np.flatnonzero(maybe_blank)
        good_blank = np.zeros(good.num_rows, dtype=bool)
        good_blank[check] = _blank_of(good, check)
        blank[good_positions] = good_blank
        if parsed_width > width:
            filled = np.zeros(good.num_rows, dtype=bool)
            for i in range(width, parsed_width):
                trimmed = pc.utf8_trim_whitespace(good.column(i))
                filled |= pc.greater(pc.utf8_length(trimmed), 0).to_numpy(zero_copy_only=False)
            for p in good_positions[filled & ~good_blank]:
                extra[int(p)] = f"{parsed_width} > {width}"
            trailing += int((~filled & ~good_blank).sum())
        elif parsed_width < width:
            for p in good_positions[~good_blank]:
                short[int(p)] = f"{parsed_width} < {width}"
        for i in range(width):
            columns.append(good.column(i) if i < parsed_width
                           else pa.array([""] * good.num_rows, type=pa.string()))
    else:
        columns = [pa.array([], type=pa.string()) for _ in range(width)]
    if odd_cells:
        odd_positions = np.array(sorted(odd_cells), dtype=np.int64)
        odd_columns: list[list[str]] = [[] for _ in range(width)]
        for p in odd_positions:
            cells = odd_cells[int(p)]
            if _is_blank(cells):
                blank[p] = True
            elif len(cells) < width:
                short[int(p)] = f"{len(cells)} < {width}"
            elif len(cells) > width:
                if any(c.strip() for c in cells[width:]):
                    extra[int(p)] = f"{len(cells)} > {width}"
                else:
                    trailing += 1
            padded = (cells + [""] * width)[:width]
            for i in range(width):
                odd_columns[i].append(padded[i])
        # positions in the concatenation [good rows..., odd rows...] for each record in order
        source = np.empty(n, dtype=np.int64)
        source[good_positions] = np.arange(len(good_positions))
        source[odd_positions] = len(good_positions) + np.arange(len(odd_positions))
        order = pa.array(source)
        merged = []
        for i in range(width):
            base = columns[i]
            chunks = base.chunks if isinstance(base, pa.ChunkedArray) else [base]
            combined = pa.chunked_array([*chunks, pa.array(odd_columns[i], type=pa.string())],
                                        type=pa.string())
            merged.append(combined.take(order))
        columns = merged
    return columns, extra, short, trailing, blank


def _exact_records(buf: bytearray, body: int, sep: str, first_line: int, path: Path,
                   max_lines: int) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """The slow, exact path: Python's csv module record by record, with each record's first
    line and span (what a text editor shows)."""
    text = bytes(buf[body:]).decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    records: list[list[str]] = []
    firsts: list[int] = []
    spans: list[int] = []
    consumed = 0
    for record in reader:
        span = reader.line_num - consumed
        start = first_line + consumed
        consumed = reader.line_num
        if span > max_lines:
            raise _open_record_error(path, start, span)
        records.append(record)
        firsts.append(start)
        spans.append(span)
    if records:
        # A quote left open at the end of the file: the csv module returns what it has.
        tail = "\n".join(text.split("\n")[firsts[-1] - first_line:])
        try:
            list(csv.reader(io.StringIO(tail, newline=""), delimiter=sep, strict=True))
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise _open_record_error(path, firsts[-1], None) from exc
    return records, np.array(firsts, dtype=np.int64), np.array(spans, dtype=np.int64)


def read_records(buf: bytearray, body: int, headers: list[str], sep: str, header_line: int,
                 path: Path, encoding: str, sha256: str, max_lines: int = MAX_RECORD_LINES,
                 width: int | None = None) -> CsvRecords:
    """The data records below the header (which ends on physical line ``header_line`` and is
    followed by byte ``body``) as :class:`CsvRecords`. ``width``: the usual number of cells of a
    data row (from the first rows; default the header's)."""
    physical = buf.count(b"\n")
    first_line = header_line + 1
    scan = scan_records(buf, body, sep, first_line, path, max_lines)
    if scan is not None:
        result = _fast(buf, body, headers, sep, scan, width or len(headers))
        if result is not None:
            columns, extra, short, trailing, blank, firsts, spans = result
            exact = False
        else:
            scan = None
    if scan is None:
        records, firsts_all, spans_all = _exact_records(buf, body, sep, first_line, path, max_lines)
        nonempty = np.array([bool(r) for r in records], dtype=bool)
        cells = {i: r for i, r in enumerate(rr for rr, keep in zip(records, nonempty, strict=True)
                                             if keep)}
        firsts, spans = firsts_all[nonempty], spans_all[nonempty]
        columns, extra, short, trailing, blank = _assemble(
            headers, None, np.zeros(0, dtype=np.int64), cells, len(cells))
        blank_lines = int((~nonempty).sum())
        exact = True
        if header_line + int(spans_all.sum()) != physical:
            raise StructuralError(
                f"{path}: 行数核对不符：文件有 {physical} 个物理行，读取的记录共占 {header_line + int(spans_all.sum())} 行。\n"
                f"{path}: line count check failed: the file has {physical} physical lines, the records read "
                f"account for {header_line + int(spans_all.sum())}.")
    else:
        blank_lines = int(_empty_records(buf, scan).sum())
        if header_line + int(scan.spans.sum()) != physical:
            raise StructuralError(
                f"{path}: 行数核对不符：文件有 {physical} 个物理行，扫描到的记录共占 {header_line + int(scan.spans.sum())} 行。\n"
                f"{path}: line count check failed: the file has {physical} physical lines, the records found "
                f"account for {header_line + int(scan.spans.sum())}.")
    pa.default_memory_pool().release_unused()
    keep = ~blank
    positions = np.flatnonzero(keep)
    remap = {int(p): i for i, p in enumerate(positions)}
    import pyarrow.compute as pc

    if not keep.all():
        mask = pa.array(keep)
        columns = [pc.filter(c, mask) for c in columns]
    return CsvRecords(
        headers=headers, columns=columns, lines=firsts[keep], spans=spans[keep], encoding=encoding,
        sha256=sha256, physical_lines=physical, header_line=header_line,
        extra={remap[p]: d for p, d in extra.items() if p in remap},
        short={remap[p]: d for p, d in short.items() if p in remap},
        blank_lines=blank_lines + int(blank.sum()), trailing_delimiters=trailing, exact_path=exact)


def _empty_records(buf: bytearray, scan: _Scan) -> np.ndarray:
    """Records with no byte at all (an empty line, ``\r\n`` included), which no parser reports."""
    length = scan.ends - scan.starts
    a = np.frombuffer(buf, dtype=np.uint8)
    only_return = (length == 1) & (a[np.minimum(scan.starts, len(a) - 1)] == _RETURN)
    return (length == 0) | only_return


def _fast(buf: bytearray, body: int, headers: list[str], sep: str, scan: _Scan, width: int):
    """pyarrow over the body, checked against the scan; ``None`` when they disagree."""
    nonempty = ~_empty_records(buf, scan)
    starts, ends = scan.starts[nonempty], scan.ends[nonempty]
    firsts, spans = scan.first_line[nonempty], scan.spans[nonempty]
    n = int(nonempty.sum())
    if n == 0:
        return ([pa.array([], type=pa.string()) for _ in headers], {}, {}, 0,
                np.zeros(0, dtype=bool), firsts, spans)
    table, skipped = _pyarrow_rows(buf, body, sep, width, bool((spans > 1).any()))
    if table.num_rows + skipped != n:
        return None
    if skipped:
        fields = count_fields(buf, scan, sep)[nonempty]
        values, counts = np.unique(fields, return_counts=True)
        usual = int(values[np.argmax(counts)])
        if usual != width:
            # the first rows were not typical: parse again with the usual width of the file
            width = usual
            table, skipped = _pyarrow_rows(buf, body, sep, width, bool((spans > 1).any()))
        is_good = fields == width
        if table.num_rows != int(is_good.sum()) or skipped != int((~is_good).sum()):
            return None
    else:
        is_good = np.ones(n, dtype=bool)
    odd = {int(p): _record_cells(buf, int(starts[p]), int(ends[p]), sep)
           for p in np.flatnonzero(~is_good)}
    # A record can only be blank if it starts with a delimiter, a space, a tab or a quote.
    a = np.frombuffer(buf, dtype=np.uint8)
    first_byte = a[starts[is_good]]
    maybe_blank = np.isin(first_byte, np.array([ord(sep), 32, 9, _QUOTE], dtype=np.uint8))
    columns, extra, short, trailing, blank = _assemble(headers, table, np.flatnonzero(is_good),
                                                       odd, n, maybe_blank)
    return columns, extra, short, trailing, blank, firsts, spans
