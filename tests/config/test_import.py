"""`emstui import`: numbers found in text and CSV, reported, and added in one config write."""

from __future__ import annotations

import io
import os
import sys
import tomllib
from pathlib import Path

import pytest
from clihelpers import cli

from emstui.config import importer
from emstui.config.atomic import atomic_write_bytes, backup_path
from emstui.config.importer import candidates, scan_text
from emstui.core.s10 import make_number

TEA = "EE123456785CN"
TEA_TYPO = "EE123456786CN"  # check digit off by one: s10 suggests TEA
LETTER = "RR473124829GB"
PARCEL = make_number("CP", "12345678", "DE")
PACKET = make_number("LX", "87654321", "CN")




@pytest.fixture
def config_file(isolated_home: Path) -> Path:
    return Path(os.environ["EMSTUI_CONFIG"])


def watched(config_file: Path) -> dict[str, dict[str, object]]:
    doc = tomllib.loads(config_file.read_text(encoding="utf-8"))
    return {p["number"]: p for p in doc.get("parcels", [])}


def spaced(number: str) -> str:
    return f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:11]} {number[11:]}"


def test_email_with_three_valid_one_near_miss_one_watched_adds_three_and_reports_the_rest(
    config_file: Path, tmp_path: Path
) -> None:
    assert cli("add", TEA, "--label", "Tea").code == 0
    before = config_file.read_bytes()
    mail = tmp_path / "mail.txt"
    mail.write_text(
        "Dear customer,\n"
        f"your letter {spaced(LETTER)} left London today.\n"
        f"Parcel: {PARCEL[:2]}-{PARCEL[2:5]}-{PARCEL[5:8]}-{PARCEL[8:11]}-{PARCEL[11:]}\n"
        f"Small packet {PACKET.lower()} (tracking at https://t.17track.net/#nums={PACKET})\n"
        f"The tea you ordered before: {TEA}\n"
        f"Express: {TEA_TYPO[:-2]}CN, call +49 30 12345678 with questions.\n",
        encoding="utf-8",
    )

    result = cli("import", str(mail))

    assert result.code == 3, result.err  # near misses make it exit 3, like `check`
    assert set(watched(config_file)) == {TEA, LETTER, PARCEL, PACKET}
    lines = result.out.splitlines()
    assert sorted(line.split()[1] for line in lines if line.startswith("added")) == sorted(
        [LETTER, PARCEL, PACKET]
    )
    assert any(line.startswith("already watched") and TEA in line and '"Tea"' in line
               for line in lines)
    near = [line for line in lines if line.startswith("near miss")]
    assert len(near) == 1 and "line 6" in near[0] and TEA_TYPO in near[0]
    assert f"fix: emstui add {TEA} (already watched)" in result.out
    assert "3 added, 1 already watched, 1 near miss" in lines[-1]
    # One write: the backup is the config as it was before the import, not an intermediate.
    assert backup_path(config_file).read_bytes() == before


def test_candidates_skip_numbers_inside_longer_codes_ibans_and_phone_numbers() -> None:
    text = (f"X{TEA} {TEA}9 IBAN DE89370400440532013000 tel 0049 30 12345678 "
            "AB1234567 ok")
    assert list(candidates(text)) == []


def test_candidates_find_full_width_and_dash_separated_numbers() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in TEA)
    assert [n.replace(" ", "") for n in candidates(f"番号：{full_width}。")] == [TEA]
    assert list(candidates(f"({TEA[:2]}\u2013{TEA[2:11]}\u2013{TEA[11:]})")) == [
        f"{TEA[:2]}\u2013{TEA[2:11]}\u2013{TEA[11:]}"
    ]


def test_a_number_repeated_in_the_text_is_counted_once_and_said_so() -> None:
    scan = scan_text(f"{TEA}\nagain: {TEA.lower()}\n")
    assert [f.number for f in scan.found] == [TEA] and scan.repeats == 1


def test_numbers_split_across_lines_are_not_joined() -> None:
    assert scan_text(f"{TEA[:7]}\n{TEA[7:]}").found == []


def test_csv_label_and_note_columns_by_header_name_with_sniffed_semicolons(
    config_file: Path, tmp_path: Path
) -> None:
    shop = tmp_path / "orders.csv"
    shop.write_bytes(
        "Order;Tracking;Customer;Comment\r\n"
        f'1001;{LETTER};"Anna; Berlin";"fragile\r\nsecond line"\r\n'
        f"1002;{spaced(TEA).lower()};Bob \x1b[31mRED\x1b[0m [bold]x[/];\r\n".encode()
    )
    result = cli("import", str(shop), "--label-column", "customer", "--note-column", "Comment")
    assert result.code == 0, result.err
    parcels = watched(config_file)
    assert parcels[LETTER]["label"] == "Anna; Berlin"
    assert parcels[LETTER]["note"] == "fragile\nsecond line"
    assert parcels[TEA]["label"] == "Bob RED [bold]x[/]"  # escapes gone, text kept literally
    assert "\x1b" not in result.out and "line 4" in result.out


def test_csv_columns_by_position_read_every_row(config_file: Path, tmp_path: Path) -> None:
    shop = tmp_path / "orders.csv"
    shop.write_text(f"{LETTER},Anna\n{TEA},Bob\n", encoding="utf-8")
    assert cli("import", str(shop), "--label-column", "2").code == 0
    assert {n: p["label"] for n, p in watched(config_file).items()} == {
        LETTER: "Anna", TEA: "Bob"}


def test_csv_with_an_unknown_column_names_the_columns_it_has(
    config_file: Path, tmp_path: Path
) -> None:
    shop = tmp_path / "orders.csv"
    shop.write_text(f"Order,Tracking\n1,{TEA}\n", encoding="utf-8")
    result = cli("import", str(shop), "--label-column", "Name")
    assert result.code == 2 and not config_file.exists()
    assert result.err.count("\n") == 1
    assert "'Name' is not a column" in result.err and "Order, Tracking" in result.err


def test_csv_with_odd_quoting_gives_one_line_and_changes_nothing(
    config_file: Path, tmp_path: Path
) -> None:
    shop = tmp_path / "orders.csv"
    shop.write_text(f'Label,Number\nA,{TEA}\n"B,"{LETTER}\n', encoding="utf-8")
    result = cli("import", str(shop), "--label-column", "Label")
    assert result.code == 2 and not config_file.exists()
    assert result.err.count("\n") == 1 and "orders.csv: line 3:" in result.err
    assert "Traceback" not in result.err


def test_csv_not_in_utf8_is_refused_with_the_line_but_text_mode_still_finds_numbers(
    config_file: Path, tmp_path: Path
) -> None:
    shop = tmp_path / "latin1.csv"
    shop.write_bytes(f"Label,Number\nM\xfcller,{TEA}\n".encode("latin-1"))
    result = cli("import", str(shop), "--label-column", "Label")
    assert result.code == 2 and not config_file.exists()
    assert "line 2: byte 0xFC is not UTF-8" in result.err and result.err.count("\n") == 1
    assert cli("import", str(shop)).code == 0
    assert set(watched(config_file)) == {TEA}


def test_utf16_csv_from_excel_is_read(config_file: Path, tmp_path: Path) -> None:
    shop = tmp_path / "excel.csv"
    shop.write_bytes(f"Label\tNumber\r\nTee\t{TEA}\r\n".encode("utf-16"))
    assert cli("import", str(shop), "--label-column", "label").code == 0
    assert watched(config_file)[TEA]["label"] == "Tee"


def test_binary_file_is_refused_with_one_line(config_file: Path, tmp_path: Path) -> None:
    blob = tmp_path / "orders.xlsx"
    blob.write_bytes(b"PK\x03\x04\x00\x00" + TEA.encode())
    result = cli("import", str(blob))
    assert result.code == 2 and "not text" in result.err and result.err.count("\n") == 1


def test_missing_file_gives_one_line(config_file: Path, tmp_path: Path) -> None:
    result = cli("import", str(tmp_path / "nope.txt"))
    assert result.code == 2 and result.err == f"emstui: {tmp_path / 'nope.txt'}: no such file\n"


def test_import_from_stdin(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{TEA}\n".encode())))
    result = cli("import", "-")
    assert result.code == 0 and set(watched(config_file)) == {TEA}
    assert result.out.splitlines()[-1].startswith("stdin: 1 added")


def test_dry_run_reports_without_writing(config_file: Path, tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text(f"{TEA} {LETTER}", encoding="utf-8")
    result = cli("import", str(text), "--dry-run")
    assert result.code == 0 and not config_file.exists()
    assert "would add" in result.out and "2 to add" in result.out


def test_nothing_found_writes_nothing_and_says_so(config_file: Path, tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("nothing to see\n", encoding="utf-8")
    result = cli("import", str(text))
    assert result.code == 0 and not config_file.exists()
    assert result.out == f"{text}: no tracking numbers found\n"


def test_nothing_new_leaves_the_config_file_untouched(config_file: Path, tmp_path: Path) -> None:
    assert cli("add", TEA).code == 0
    stat_before = config_file.stat()
    text = tmp_path / "t.txt"
    text.write_text(TEA, encoding="utf-8")
    result = cli("import", str(text))
    assert result.code == 0 and "1 already watched" in result.out
    assert config_file.stat().st_mtime_ns == stat_before.st_mtime_ns


def test_import_keeps_parcels_added_by_someone_else_since_reading(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("add", TEA).code == 0
    real_load = importer.load_config

    def load_then_someone_edits(path: Path):  # type: ignore[no-untyped-def]
        config = real_load(path)
        text = config_file.read_text(encoding="utf-8")
        atomic_write_bytes(config_file,
                           (text + f'\n[[parcels]]\nnumber = "{PACKET}"\n').encode())
        return config

    monkeypatch.setattr(importer, "load_config", load_then_someone_edits)
    text = tmp_path / "t.txt"
    text.write_text(LETTER, encoding="utf-8")
    assert cli("import", str(text)).code == 0
    assert set(watched(config_file)) == {TEA, PACKET, LETTER}


def test_import_that_would_make_the_config_unreadable_is_refused(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_CONFIG_BYTES", 600)
    text = tmp_path / "t.txt"
    text.write_text("\n".join(make_number("EE", f"{i:08d}", "CN") for i in range(30)),
                    encoding="utf-8")
    result = cli("import", str(text))
    assert result.code == 2 and not config_file.exists()
    assert "nothing was written" in result.err and result.err.count("\n") == 1


def test_add_found_gives_the_new_parcels_the_interval_and_provider_and_skips_watched(
    config_file: Path,
) -> None:
    from datetime import date

    from emstui.config import Config, Parcel
    config = Config(path=config_file, parcels=[Parcel(number=TEA, label="Tea")])
    scan = scan_text(f"{TEA} {spaced(LETTER)} {PARCEL.lower()}")
    added, already = importer.add_found(config, scan.found, today=date(2027, 3, 15),
                                        interval=7200, provider="ems")
    assert [f.number for f in added] == [LETTER, PARCEL]
    assert [(f.number, p.label) for f, p in already] == [(TEA, "Tea")]
    new = {p.number: p for p in config.parcels[1:]}
    assert {(p.interval, p.provider, p.added) for p in new.values()} == {
        (7200, "ems", date(2027, 3, 15))}
    assert config.parcels[0] == Parcel(number=TEA, label="Tea")
