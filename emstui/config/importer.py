"""Find tracking numbers in pasted text or a shop's CSV export and add them to the watchlist.

Every S10-shaped string is a candidate (`EE123456785CN`, `rr 473 124 829 gb`,
`RR-473-124-829-GB`, `EE12345678SCN` with a look-alike letter); `s10.parse` decides. Valid
numbers are added in one config write, numbers already watched are reported, and candidates that
fail validation are reported with the fixes `s10` suggests. Nothing is added silently and no fix
is applied for the user.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from emstui.config import (
    MAX_CONFIG_BYTES,
    Config,
    ConfigError,
    Parcel,
    load_config,
    update_config,
)
from emstui.core import s10
from emstui.core.sanitize import clean_block, clean_line

MAX_INPUT_BYTES = 50 * 1024 * 1024
LABEL_LIMIT = 120
NOTE_LIMIT = 1000
SNIFF_BYTES = 64 * 1024
# Bytes of TOML around one imported entry: [[parcels]], the key names, quotes, `added = `.
_ENTRY_OVERHEAD = 80

# Separators posts and shops print inside numbers: spaces (also no-break and thin ones), tabs,
# hyphens and other dashes. Never a line break: a number does not continue on the next line.
_SEP = "[ \\t\u00a0\u2009\u202f\\-\u2010-\u2015\u2212]"
# Digits, and the letters people and OCR put in their place (s10 suggests the fix for those).
_DIGITISH = "0-9OoIiLlSsBbZz"
_CANDIDATE_RE = re.compile(
    rf"(?<![A-Za-z0-9])[A-Za-z]{{2}}{_SEP}?(?:[{_DIGITISH}]{_SEP}?){{7,10}}[{_DIGITISH}]"
    rf"{_SEP}?[A-Za-z]{{2}}(?![A-Za-z0-9])"
)
# An S10 attempt has mostly real digits in its middle; fewer means it is a word, not a number.
_MIN_REAL_DIGITS = 7
_DIGIT_RE = re.compile("[0-9]")


class ImportInputError(Exception):
    """The input cannot be read as asked; str() is one line naming the file and what to do."""


@dataclass(frozen=True, slots=True)
class Found:
    """A valid number and where it was first seen, with the label and note from its CSV row."""

    number: str
    line: int
    label: str = ""
    note: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NearMiss:
    """An S10-shaped string that failed validation; ``suggestions`` are s10's valid fixes."""

    text: str
    line: int
    message: str
    suggestions: tuple[str, ...]


@dataclass
class Scan:
    """What one input held: valid numbers (each once, in order), near misses, repeats."""

    found: list[Found] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)
    repeats: int = 0  # valid numbers seen again later in the same input
    _seen: set[str] = field(default_factory=set, repr=False)
    _seen_misses: set[str] = field(default_factory=set, repr=False)

    def add_candidate(self, raw: str, line: int, label: str = "", note: str = "") -> None:
        try:
            parsed = s10.parse(raw, allow_other=False)
        except s10.InvalidNumber as exc:
            if exc.normalized not in self._seen_misses:
                self._seen_misses.add(exc.normalized)
                self.near_misses.append(
                    NearMiss(exc.normalized, line, clean_line(exc.message), exc.suggestions)
                )
            return
        if parsed.value in self._seen:
            self.repeats += 1
            return
        self._seen.add(parsed.value)
        self.found.append(Found(parsed.value, line, label, note, parsed.warnings))


@dataclass
class ImportResult:
    """The outcome of applying a scan to the watchlist."""

    source: str
    added: list[Found]
    already: list[tuple[Found, Parcel]]
    near_misses: list[NearMiss]
    repeats: int
    config_file: Path
    dry_run: bool = False
    watched: frozenset[str] = frozenset()  # every number watched after the import


# ---- finding numbers ----------------------------------------------------------------------------


def candidates(text: str) -> Iterator[str]:
    """S10-shaped substrings of one line of text, as written (separators and case kept)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)  # full-width digits and letters
    for match in _CANDIDATE_RE.finditer(text):
        raw = match.group()
        if len(_DIGIT_RE.findall(raw)) >= _MIN_REAL_DIGITS:
            yield raw


def scan_text(text: str) -> Scan:
    """Every candidate in free text (an e-mail, a chat, a page), by line."""
    scan = Scan()
    for line_no, line in enumerate(text.split("\n"), start=1):
        for raw in candidates(line):
            scan.add_candidate(raw, line_no)
    return scan


def scan_csv(
    text: str, source: str, *, label_column: str | None, note_column: str | None
) -> Scan:
    """Numbers from every cell of a CSV except the label and note columns, which give each
    number found in that row its label and note. A column is a header name (any case) or a
    1-based position; with names, the first row is the header."""
    dialect = _sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    by_name = any(c is not None and not c.strip().isdigit() for c in (label_column, note_column))
    scan = Scan()
    try:
        label_at = note_at = None
        if by_name:
            header = next(reader, [])
            label_at = _column_index(label_column, header, source, "--label-column")
            note_at = _column_index(note_column, header, source, "--note-column")
        else:
            label_at = _column_position(label_column)
            note_at = _column_position(note_column)
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            label = _cell(row, label_at)
            note = _cell(row, note_at)
            for index, cell in enumerate(row):
                if index in (label_at, note_at):
                    continue
                for raw in candidates(cell):
                    scan.add_candidate(
                        raw,
                        start,
                        clean_line(label, limit=LABEL_LIMIT),
                        clean_block(note, limit=NOTE_LIMIT),
                    )
    except csv.Error as exc:
        raise ImportInputError(
            f"{source}: line {reader.line_num}: cannot read it as CSV ({exc}); fix the quoting "
            "on that line, or import without --label-column/--note-column to read it as text"
        ) from None
    return scan


class _Rfc4180(csv.excel):
    """Excel's quoting rules (RFC 4180: quotes doubled inside quoted fields) with the sniffed
    delimiter. The Sniffer's other guesses are not used: it turns off doubled quotes when the
    sample has none, and a stray quote then silently merges two fields instead of failing."""

    strict = True


def _sniff(text: str) -> type[csv.Dialect]:
    try:
        delimiter = csv.Sniffer().sniff(text[:SNIFF_BYTES], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","  # one column, or too little text to tell
    return type("Sniffed", (_Rfc4180,), {"delimiter": delimiter})


def _column_position(column: str | None) -> int | None:
    if column is None:
        return None
    position = int(column.strip())
    if position < 1:
        raise ImportInputError(f"column positions start at 1, not {position}")
    return position - 1


def _column_index(column: str | None, header: list[str], source: str, option: str) -> int | None:
    if column is None:
        return None
    if column.strip().isdigit():
        return _column_position(column)
    wanted = column.strip().casefold()
    names = [cell.strip().casefold() for cell in header]
    if wanted in names:
        return names.index(wanted)
    shown = ", ".join(clean_line(cell, limit=40) for cell in header[:20]) or "nothing"
    raise ImportInputError(
        f"{source}: {option} {clean_line(column, limit=40)!r} is not a column of the first "
        f"row (it holds: {shown}); give a header name or a 1-based position"
    )


def _cell(row: list[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


# ---- reading input --------------------------------------------------------------------------


def decode_input(data: bytes, source: str, *, strict: bool) -> str:
    """Text of the input: UTF-8 (a BOM is dropped) or UTF-16 with a BOM, as Excel saves it.

    ``strict`` (CSV, where labels are taken): other encodings are refused with one line, since
    guessing would store garbled labels. Otherwise undecodable bytes are replaced: numbers are
    ASCII and are still found.
    """
    if len(data) > MAX_INPUT_BYTES:
        raise ImportInputError(
            f"{source}: {len(data) // (1024 * 1024)} MB is more than the "
            f"{MAX_INPUT_BYTES // (1024 * 1024)} MB emstui imports at once; split it"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\x00" in data[:SNIFF_BYTES]:
            raise ImportInputError(
                f"{source}: this is not text (it holds NUL bytes; a spreadsheet or PDF?); "
                "export it as CSV or plain text first"
            )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if not strict:
            return data.decode(encoding, errors="replace")
        line = data[: exc.start].count(b"\n") + 1
        raise ImportInputError(
            f"{source}: line {line}: byte 0x{data[exc.start]:02X} is not UTF-8; save the file "
            "as UTF-8 (Excel: \"CSV UTF-8\") and import it again"
        ) from None


def scan_input(
    data: bytes, source: str, *, label_column: str | None = None, note_column: str | None = None
) -> Scan:
    """Scan raw input: as CSV when a label or note column is asked for, else as free text."""
    as_csv = label_column is not None or note_column is not None
    text = decode_input(data, source, strict=as_csv)
    text = text.replace("\r\n", "\n").replace("\r", "\n") if not as_csv else text
    if as_csv:
        return scan_csv(text, source, label_column=label_column, note_column=note_column)
    return scan_text(text)


# ---- adding to the watchlist ----------------------------------------------------------------


def add_found(
    config: Config,
    found: Iterable[Found],
    *,
    today: date,
    interval: int | None = None,
    provider: str | None = None,
) -> tuple[list[Found], list[tuple[Found, Parcel]]]:
    """Append the numbers not yet watched to ``config``; return (added, already watched).

    Refuses (ConfigError, nothing changed on disk) an addition that would make the config too
    big to read back: this is the edit function of one atomic config write.

    Parcels are appended directly rather than through ``config.add_parcel``, which scans the
    whole watchlist per call: for thousands of imported numbers that is quadratic. The numbers
    here are already validated and normalised by ``s10.parse``.
    """
    watched = {p.number: p for p in config.parcels}
    added: list[Found] = []
    already: list[tuple[Found, Parcel]] = []
    for item in found:
        existing = watched.get(item.number)
        if existing is not None:
            already.append((item, existing))
            continue
        parcel = Parcel(number=item.number, label=item.label, note=item.note, added=today,
                        interval=interval, provider=provider)
        config.parcels.append(parcel)
        watched[item.number] = parcel
        added.append(item)
    _refuse_oversized(config, added)
    return added, already


def import_scan(
    config_file: Path, scan: Scan, *, source: str, today: date, dry_run: bool = False
) -> ImportResult:
    """Add the scan's new numbers to the config file in one atomic write (none when nothing
    is new, or with ``dry_run``)."""
    outcome: dict[str, tuple[list[Found], list[tuple[Found, Parcel]]]] = {}

    def edit(config: Config) -> None:
        # update_config may apply this twice (the file changed meanwhile): start afresh.
        outcome["result"] = add_found(config, scan.found, today=today)

    current = load_config(config_file)
    watched_now = {p.number for p in current.parcels}
    if dry_run or all(item.number in watched_now for item in scan.found):
        edit(current)  # a dry run, or nothing new: no write at all
        final = current
    else:
        final = update_config(config_file, edit, expected=current.fingerprint)
    added, already = outcome["result"]
    return ImportResult(
        source=source,
        added=added,
        already=already,
        near_misses=scan.near_misses,
        repeats=scan.repeats,
        config_file=config_file,
        dry_run=dry_run,
        watched=frozenset(p.number for p in final.parcels),
    )


def _refuse_oversized(config: Config, added: list[Found]) -> None:
    """Refuse an import that would make the file too big for load_config to read back.

    Estimated from the file's size and what each new entry adds, because rendering the whole
    config once more only for this check doubles the cost of a large import."""
    try:
        size = config.path.stat().st_size
    except OSError:
        size = 0
    size += sum(_ENTRY_OVERHEAD + len(f.number) + len(f.label.encode()) + len(f.note.encode())
                for f in added)
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"with these numbers the config would be about {size // 1024} KiB, more than the "
            f"{MAX_CONFIG_BYTES // 1024} KiB emstui reads back; nothing was written",
            path=config.path,
            hint="Archive or remove delivered parcels first, or import fewer numbers",
        )


# ---- the report ---------------------------------------------------------------------------


def report_lines(result: ImportResult) -> list[str]:
    """One line per number found (added, already watched, near miss), then a summary."""
    verb = "would add" if result.dry_run else "added"
    lines: list[str] = []
    for item in result.added:
        label = f'  "{item.label}"' if item.label else ""
        lines.append(f"{verb:<16} {item.number}  line {item.line}{label}")
        lines += [f"{'':<16} warning: {w}" for w in item.warnings]
    for item, parcel in result.already:
        known = f' as "{clean_line(parcel.label, limit=LABEL_LIMIT)}"' if parcel.label else ""
        lines.append(f"{'already watched':<16} {item.number}  line {item.line}{known}")
    for miss in result.near_misses:
        lines.append(f"{'near miss':<16} line {miss.line}: {miss.message}")
        for fix in miss.suggestions:
            status = " (already watched)" if fix in result.watched else ""
            lines.append(f"{'':<16} fix: emstui add {fix}{status}")
    lines.append(summary(result))
    return lines


def summary(result: ImportResult) -> str:
    parts = [
        f"{len(result.added)} {'to add' if result.dry_run else 'added'}",
        f"{len(result.already)} already watched",
        f"{len(result.near_misses)} near miss{'' if len(result.near_misses) == 1 else 'es'}",
    ]
    text = f"{result.source}: " + ", ".join(parts)
    if result.repeats:
        text += f" ({result.repeats} repeated in the input, counted once)"
    if result.near_misses:
        text += "; near misses were not added: check each against the label or receipt"
    if not (result.added or result.already or result.near_misses):
        text = f"{result.source}: no tracking numbers found"
    elif result.added and not result.dry_run:
        text += f"; saved to {result.config_file}"
    return text
