"""Reading input files into one shape: text attributes, row numbers, optional geometries.

Every reader returns a :class:`SourceTable` whose attribute cells are text (``""`` when
empty), so one set of parsers reads CSV, Excel, GeoJSON, GeoPackage and Shapefile alike,
and whose row numbers are the ones users see: the CSV line (header = line 1), the
spreadsheet row, or the feature number from 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import numpy as np
import numpy.typing as npt
import pandas as pd

from gridmgmt.io.encoding import EncodingProblemError, decode_bytes
from gridmgmt.io.headers import normalise_header
from gridmgmt.io.limits import ImportLimits, file_too_large
from gridmgmt.io.problems import ImportValidationError, Problem

if TYPE_CHECKING:
    import pyproj

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
SPATIAL_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
ARCHIVE_SUFFIXES = (".zip",)
_CSV_LINE = re.compile(r"line (\d+)")


@dataclass
class SourceTable:
    """An input file read as text cells, with user-facing row numbers.

    Parameters
    ----------
    label
        The file as the user named it (used in every problem).
    frame
        Attribute columns under their original headers, every cell a ``str``.
    rows
        The user-facing row number of each frame row.
    geometry
        Feature geometries (shapely, ``None`` when missing) for spatial files, else ``None``.
    crs
        The CRS a spatial file declares, if any.
    encoding
        The text encoding the file was read with, if it is a text file.
    """

    label: str
    frame: pd.DataFrame
    rows: npt.NDArray[np.int64]
    geometry: npt.NDArray[np.object_] | None = None
    crs: pyproj.CRS | None = None
    encoding: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)


def supported_suffixes() -> list[str]:
    """File name endings :func:`read_source` understands."""
    return [*TABLE_SUFFIXES, *SPATIAL_SUFFIXES, *ARCHIVE_SUFFIXES]


def read_source(
    path: Path,
    *,
    label: str | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    preferred_layer: str | None = None,
    limits: ImportLimits | None = None,
) -> SourceTable:
    """Read a CSV, Excel, GeoJSON, GeoPackage or Shapefile, or one of them in a ``.zip``.

    Parameters
    ----------
    path
        The file.
    label
        How to name the file in problems (default: ``path`` as given).
    encoding
        Text encoding of CSV, GeoJSON and Shapefile attributes when not UTF-8 (``gbk``...).
    layer
        Layer of a GeoPackage to read.
    preferred_layer
        Layer to read from a multi-layer GeoPackage when ``layer`` is not given, and file
        to read from an archive holding several.
    limits
        Largest file, header line and column count (default: the settings').

    Raises
    ------
    ImportValidationError
        If the file is missing, of an unknown type, too large, undecodable or malformed.
    """
    label = str(path) if label is None else label
    suffix = path.suffix.lower()
    if not path.is_file():
        _fail(label, None, "file", "no such file")
    if limits is None:
        from gridmgmt.io.limits import import_limits

        limits = import_limits()
    too_large = file_too_large(path, limits)
    if too_large is not None:
        _fail(label, None, "file", too_large)
    known = limits
    readers: dict[str, Callable[[], SourceTable]] = {
        ".csv": lambda: _read_csv(path, label, encoding, known),
        ".txt": lambda: _read_csv(path, label, encoding, known),
        ".tsv": lambda: _read_csv(path, label, encoding, known),
        ".xlsx": lambda: _read_excel(path, label),
        ".geojson": lambda: _read_geojson(path, label, encoding),
        ".json": lambda: _read_geojson(path, label, encoding),
        ".gpkg": lambda: _read_spatial(
            path, label, layer or _choose_layer(path, label, preferred_layer)
        ),
        ".shp": lambda: _read_spatial(
            path, label, None, encoding=_shapefile_encoding(path, label, encoding)
        ),
        ".zip": lambda: _read_archive(
            path, label, encoding=encoding, preferred=preferred_layer, limits=known
        ),
    }
    reader = readers.get(suffix)
    if reader is None:
        _fail(
            label,
            None,
            "file",
            f"unsupported file type {suffix!r}; expected one of {supported_suffixes()}",
        )
    table = reader()
    if len(table.frame.columns) > limits.max_columns:
        _fail(label, 1, None, _too_many_columns(len(table.frame.columns), limits))
    return table


def _too_many_columns(count: int, limits: ImportLimits) -> str:
    return (
        f"the file has {count:,} columns, more than the {limits.max_columns:,} allowed "
        "(setting GRIDMGMT_IMPORT_MAX_COLUMNS); is the separator right?"
    )


def _read_archive(
    path: Path, label: str, *, encoding: str | None, preferred: str | None, limits: ImportLimits
) -> SourceTable:
    """Unpack a ``.zip`` (a zipped Shapefile, typically) safely and read the file in it."""
    import tempfile

    from gridmgmt.io.archives import choose_member, unpack_archive

    with tempfile.TemporaryDirectory(prefix="gridmgmt-zip-") as folder:
        files = unpack_archive(path, Path(folder), label=label, limits=limits)
        inner = choose_member(files, label=label, preferred=preferred, readable=_READABLE)
        name = inner.relative_to(folder).as_posix()
        return read_source(
            inner,
            label=f"{label}/{name}",
            encoding=encoding,
            preferred_layer=preferred,
            limits=limits,
        )


_READABLE = (*TABLE_SUFFIXES, *SPATIAL_SUFFIXES)


def _fail(label: str, row: int | None, field_name: str | None, message: str) -> NoReturn:
    raise ImportValidationError([Problem(label, row, field_name, message)])


def _decode(path: Path, label: str, encoding: str | None) -> tuple[str, str]:
    try:
        decoded = decode_bytes(path.read_bytes(), encoding=encoding)
    except EncodingProblemError as exc:
        raise ImportValidationError([Problem(label, exc.line, "encoding", str(exc))]) from None
    except LookupError:
        raise ImportValidationError(
            [
                Problem(
                    label, None, "encoding", f"unknown encoding {encoding!r}; try gb18030 or utf-8"
                )
            ]
        ) from None
    return decoded.text, decoded.encoding


def _check_header_line(path: Path, label: str, limits: ImportLimits) -> None:
    """Refuse a header line longer than the limit before the file is decoded at all."""
    with path.open("rb") as handle:
        start = handle.read(limits.max_header_bytes + 1)
    if b"\n" in start or len(start) <= limits.max_header_bytes:
        return
    _fail(
        label,
        1,
        None,
        f"the header line is longer than {limits.max_header_bytes:,} bytes (setting "
        "GRIDMGMT_IMPORT_MAX_HEADER_BYTES); the first line must be the column names",
    )


def _read_csv(path: Path, label: str, encoding: str | None, limits: ImportLimits) -> SourceTable:
    _check_header_line(path, label, limits)
    text, used = _decode(path, label, encoding)
    first_line = text[: text.find("\n")] if "\n" in text else text
    first_line = first_line.rstrip("\r")
    if not first_line.strip():
        _fail(label, 1, None, "the first line must be the header, but it is empty")
    delimiter = max([",", "\t", ";", "|"], key=first_line.count)
    if first_line.count(delimiter) >= limits.max_columns:
        _fail(label, 1, None, _too_many_columns(first_line.count(delimiter) + 1, limits))
    header = next(csv.reader([first_line], delimiter=delimiter))
    _check_headers(label, header)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        match = _CSV_LINE.search(str(exc))
        _fail(label, int(match.group(1)) if match else None, None, f"malformed CSV: {exc}")
    if len(header) == len(frame.columns):
        frame.columns = header
    frame = _drop_unnamed_columns(label, frame.fillna(""))
    rows = _csv_line_numbers(text, frame)
    return _drop_blank_rows(SourceTable(label, frame, rows, encoding=used))


def _check_headers(label: str, header: list[str]) -> None:
    """Two columns with the same (folded) header are a problem; empty headers are checked
    once the data is read (:func:`_drop_unnamed_columns`)."""
    seen: set[str] = set()
    problems = []
    for name in header:
        key = normalise_header(name)
        if key and key in seen:
            problems.append(Problem(label, 1, None, f"column {name!r} appears twice"))
        seen.add(key)
    if problems:
        raise ImportValidationError(problems)


def _drop_unnamed_columns(label: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Drop columns with no header and no values (Excel leaves them); others are a problem."""
    keep, problems = [], []
    for position, name in enumerate(frame.columns):
        if normalise_header(name):
            keep.append(position)
        elif (frame.iloc[:, position] != "").any():
            problems.append(
                Problem(label, 1, None, f"column {position + 1} has values but no header")
            )
    if problems:
        raise ImportValidationError(problems)
    return frame.iloc[:, keep]


def _csv_line_numbers(text: str, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Line where each record starts (header = 1), allowing quoted cells with newlines."""
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if lines == len(frame) + 1:
        return np.arange(2, len(frame) + 2, dtype=np.int64)
    extra = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        extra += frame[column].str.count("\n").to_numpy(dtype=np.int64)
    spans = 1 + extra
    return (2 + np.concatenate([[0], np.cumsum(spans)[:-1]])).astype(np.int64)


def _drop_blank_rows(table: SourceTable) -> SourceTable:
    if table.frame.empty:
        return table
    blank = np.ones(len(table.frame), dtype=bool)
    for column in table.frame.columns:
        blank &= (table.frame[column] == "").to_numpy(dtype=bool)
    if table.geometry is not None:
        blank &= pd.isna(table.geometry)
    if not blank.any():
        return table
    keep = ~blank
    table.frame = table.frame.loc[keep].reset_index(drop=True)
    table.rows = table.rows[keep]
    if table.geometry is not None:
        table.geometry = table.geometry[keep]
    return table


def _read_excel(path: Path, label: str) -> SourceTable:
    try:
        raw = pd.read_excel(path, header=None, dtype=object, engine="openpyxl")
    except (ValueError, OSError, KeyError) as exc:
        _fail(label, None, "file", f"cannot read the spreadsheet: {exc}")
    if raw.empty:
        _fail(label, 1, None, "the sheet is empty; the first row must be the header")
    header = [_cell_text(value) for value in raw.iloc[0]]
    _check_headers(label, header)
    cells = [raw.iloc[1:, i].map(_cell_text).to_numpy(dtype=object) for i in range(len(header))]
    frame = _drop_unnamed_columns(
        label, pd.DataFrame(dict(enumerate(cells))).set_axis(header, axis=1)
    )
    # pandas numbers sheet rows from 0 including the header row; users count from 1.
    rows = raw.index.to_numpy(dtype=np.int64)[1:] + 1
    return _drop_blank_rows(SourceTable(label, frame, rows))


def _read_geojson(path: Path, label: str, encoding: str | None) -> SourceTable:
    text, used = _decode(path, label, encoding)
    return _read_spatial(io.BytesIO(text.encode("utf-8")), label, None, encoding_used=used)


def _choose_layer(path: Path, label: str, preferred: str | None) -> str | None:
    import pyogrio  # spatial files only: GDAL takes a second to load
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except (DataSourceError, DataLayerError) as exc:
        _fail(label, None, "file", f"cannot open: {exc}")
    if len(layers) <= 1:
        return None
    if preferred in layers:
        return preferred
    _fail(label, None, "layer", f"the file has layers {layers}; choose one with --layer")


def _shapefile_encoding(path: Path, label: str, encoding: str | None) -> str | None:
    """The encoding of a Shapefile's attributes: given, declared in .cpg, or UTF-8 if it is.

    Without a .cpg file GDAL assumes ISO-8859-1 and garbles Chinese names silently, so the
    .dbf is checked here like a CSV.
    """
    if encoding is not None or path.with_suffix(".cpg").exists():
        return encoding
    dbf = path.with_suffix(".dbf")
    if not dbf.exists():
        return None
    data = dbf.read_bytes()
    header_length = int.from_bytes(data[8:10], "little")
    record_length = max(int.from_bytes(data[10:12], "little"), 1)
    try:
        decode_bytes(data[header_length:])
    except EncodingProblemError as exc:
        # decode_bytes counts lines; a .dbf has fixed-length records instead.
        message = re.sub(r" \(first undecodable byte on line \d+\)", "", str(exc))
        offset = _first_bad_offset(data[header_length:])
        feature = offset // record_length + 1 if offset is not None else None
        raise ImportValidationError(
            [Problem(label, feature, "encoding", f"attributes (.dbf): {message}")]
        ) from None
    return "UTF-8"


def _first_bad_offset(data: bytes) -> int | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _read_spatial(
    source: Path | io.BytesIO,
    label: str,
    layer: str | None,
    *,
    encoding: str | None = None,
    encoding_used: str | None = None,
) -> SourceTable:
    import pyogrio  # spatial files only: GDAL takes a second to load
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        gdf = pyogrio.read_dataframe(source, layer=layer, encoding=encoding)
    except (DataSourceError, DataLayerError, ValueError) as exc:
        _fail(label, None, "file", f"cannot read: {exc}")
    geometry: npt.NDArray[np.object_] | None = None
    crs = None
    if "geometry" in gdf.columns and hasattr(gdf, "geometry"):
        geometry = np.asarray(gdf.geometry.array, dtype=object)
        crs = gdf.crs
        gdf = pd.DataFrame(gdf.drop(columns="geometry"))
    header = [str(name) for name in gdf.columns]
    _check_headers(label, header)
    frame = pd.DataFrame({name: _column_text(gdf[name]) for name in header}, index=range(len(gdf)))
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    table = SourceTable(label, frame, rows, geometry=geometry, crs=crs, encoding=encoding_used)
    return _drop_blank_rows(table)


def _column_text(column: pd.Series) -> npt.NDArray[np.object_]:
    """Attribute values as the text a user would have typed for them."""
    if pd.api.types.is_bool_dtype(column):
        return np.where(column.to_numpy(dtype=bool), "true", "false").astype(object)
    if pd.api.types.is_float_dtype(column):
        values = column.to_numpy(dtype=np.float64)
        finite = np.isfinite(values)
        integral = finite.any() and bool(np.all(values[finite] == np.round(values[finite])))
        return np.array(
            [
                "" if not ok else (str(int(v)) if integral and abs(v) < 2**53 else repr(float(v)))
                for v, ok in zip(values, finite, strict=True)
            ],
            dtype=object,
        )
    if pd.api.types.is_datetime64_any_dtype(column):
        stamps = pd.to_datetime(column)
        midnight = bool((stamps.dropna() == stamps.dropna().dt.normalize()).all())
        text = stamps.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S")
        return np.asarray(text.fillna("").to_numpy(dtype=object), dtype=object)
    return np.array([_cell_text(value) for value in column], dtype=object)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
