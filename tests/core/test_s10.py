"""Tests for UPU S10 number normalisation, validation, messages and suggestions."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from emstui.core.countries import COUNTRIES, HISTORIC, country_name
from emstui.core.s10 import (
    InvalidNumber,
    ServiceKind,
    TrackingNumber,
    check_digit,
    is_valid,
    make_number,
    normalize,
    parse,
)

SPEC_VALID = [
    "EE123456785CN",
    "EA473124829CN",
    "EB987654326CN",
    "EM612345671CN",
    "EV111111115CN",
    "EE700000000CN",
    "EE719248650CN",
    "EE434640975CN",
    "CP202403158CN",
    "RR314159268CN",
    "LX271828189CN",
    "EE471108151FR",
    "RB123456785GB",
    "RB123456785US",
    "RR287043775IN",
    "EB000000005CN",
    "EG688165502JP",
    "EE950677712TW",
    "RG022754039CN",
    "AM247540919CN",
]

# (input, the check digit the serial implies)
SPEC_WRONG_CHECK_DIGIT = [
    ("RB123456786US", 5),
    ("EE123456784CN", 5),
    ("EA473124828CN", 9),
    ("EE700000005CN", 0),
    ("EV111111110CN", 5),
]


def _error(raw: str, **kwargs: bool) -> InvalidNumber:
    with pytest.raises(InvalidNumber) as info:
        parse(raw, **kwargs)
    return info.value


# --- the spec's example vectors -------------------------------------------------------------


@pytest.mark.parametrize("number", SPEC_VALID)
def test_spec_valid_numbers_are_accepted_as_s10_without_warnings(number: str) -> None:
    parsed = parse(number)
    assert parsed.is_s10
    assert parsed.value == number
    assert parsed.warnings == ()


@pytest.mark.parametrize(("number", "implied"), SPEC_WRONG_CHECK_DIGIT)
def test_spec_wrong_check_digits_name_the_implied_digit(number: str, implied: int) -> None:
    exc = _error(number)
    assert exc.position == 11
    assert exc.expected == str(implied)
    assert exc.found == number[10]
    assert f"implies {implied}" in str(exc)
    assert exc.suggestions[0] == number[:10] + str(implied) + number[11:]


def test_wrong_check_digit_message_names_digit_and_suggests_the_fix() -> None:
    exc = _error("EE123456786CN")
    assert str(exc) == (
        "EE123456786CN: check digit (position 11) is 6, but the serial 12345678 implies 5. "
        "Did you mean EE123456785CN, EE123546786CN or EE123456768CN?"
    )
    assert exc.message == str(exc)
    assert exc.suggestions == ("EE123456785CN", "EE123546786CN", "EE123456768CN")
    assert all(is_valid(s) for s in exc.suggestions)


def test_wrong_check_digit_offers_the_adjacent_swap_that_validates() -> None:
    # The user swapped the last serial digit with the check digit of EE123456785CN.
    exc = _error("EE123456758CN")
    assert exc.suggestions[0] == "EE123456754CN"  # what the typed serial implies
    assert "EE123456785CN" in exc.suggestions


def test_check_digit_follows_the_worked_example_and_both_special_rules() -> None:
    assert check_digit("47312482") == 9  # Wikipedia's worked example, r = 2
    assert check_digit("70000000") == 0  # r = 1: C = 10 -> 0
    assert check_digit("11111111") == 5  # r = 0: C = 11 -> 5
    assert check_digit("12345678") == 5  # r = 6: plain 11 - r


@pytest.mark.parametrize("bad", ["1234567", "123456789", "1234567A", "١٢٣٤٥٦٧٨", ""])
def test_check_digit_refuses_anything_but_eight_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="8 ASCII digits"):
        check_digit(bad)


@pytest.mark.parametrize("number", ["JA123456785CN", "KA123456785CN", "SA123456785CN",
                                    "TA123456785CN", "WA123456785CN"])
def test_reserved_service_indicators_are_rejected(number: str) -> None:
    exc = _error(number)
    assert exc.position == 1
    assert exc.found == number[:2]
    assert f"starts with {number[0]}" in str(exc)
    assert "reserves" in str(exc)


def test_unknown_country_is_accepted_with_a_warning() -> None:
    parsed = parse("RB123456785XX")
    assert parsed.is_s10
    assert parsed.country_code == "XX"
    assert parsed.country_name is None
    assert len(parsed.warnings) == 1
    assert "XX" in parsed.warnings[0]


@pytest.mark.parametrize(
    ("number", "name"),
    [("EE123456785AN", "Netherlands Antilles"), ("EE123456785XK", "Kosovo"),
     ("EE123456785TP", "East Timor")],
)
def test_historic_country_codes_are_named_without_warning(number: str, name: str) -> None:
    parsed = parse(number)
    assert parsed.country_name == name
    assert parsed.warnings == ()


def test_twelve_characters_say_a_digit_is_missing() -> None:
    exc = _error("EE12345678CN")
    assert "8 digits, 9 expected: a digit is missing" in str(exc)
    assert exc.expected == "9 digits"
    assert exc.found == "8 digits"


def test_s10_attempt_with_missing_digit_is_not_taken_as_another_carrier() -> None:
    exc = _error("EE12345675CN")
    assert str(exc) == (
        "EE12345675CN: serial number and check digit have 8 digits, 9 expected: "
        "a digit is missing."
    )


def test_one_digit_too_many_suggests_the_deletions_that_validate() -> None:
    exc = _error("EE1234567850CN")
    assert "one digit too many" in str(exc)
    assert "EE123456785CN" in exc.suggestions
    assert all(is_valid(s, allow_other=False) for s in exc.suggestions)


def test_digit_in_service_indicator_names_position_and_look_alike_letters() -> None:
    exc = _error("E1123456785CN")
    assert exc.position == 2
    assert exc.expected == "a letter"
    assert exc.found == "1"
    assert "position 2 (service indicator) should be a letter, found the digit 1" in str(exc)
    assert exc.suggestions == ("EI123456785CN", "EL123456785CN")


@pytest.mark.parametrize("raw", ["ee 1234 5678 5 cn", "EE-123456785-CN", "ee\t123456785\ncn",
                                 "EE\u00a0123456785\u2013CN", "EE\u200b123456785CN"])
def test_case_spaces_dashes_and_invisibles_are_normalised_away(raw: str) -> None:
    assert parse(raw).value == "EE123456785CN"


def test_full_width_characters_are_folded_to_ascii() -> None:
    assert normalize("ＥＥ１２３４５６７８５ＣＮ") == "EE123456785CN"
    assert parse("ｅｅ１２３４５６７８５ｃｎ").value == "EE123456785CN"


def test_normalize_upper_cases_only_ascii_so_look_alikes_stay_visible() -> None:
    assert normalize("ıb") == "ıB"


# --- parts, labels, display -----------------------------------------------------------------


def test_parts_of_an_ems_number_are_exposed() -> None:
    parsed = parse("EE123456785CN")
    assert parsed == TrackingNumber(
        value="EE123456785CN",
        is_s10=True,
        service_indicator="EE",
        serial="12345678",
        check_digit=5,
        country_code="CN",
        country_name="China",
        service=ServiceKind.EMS,
        service_label="EMS (express mail service)",
    )
    assert parsed.is_ems
    assert parsed.spaced() == "EE 123 456 785 CN"
    assert str(parsed) == "EE123456785CN"


def test_registered_item_is_not_ems() -> None:
    assert not parse("RB123456785GB").is_ems


@pytest.mark.parametrize(
    ("indicator", "kind"),
    [("EA", ServiceKind.EMS), ("EZ", ServiceKind.EMS), ("CP", ServiceKind.PARCEL),
     ("RR", ServiceKind.REGISTERED), ("LX", ServiceKind.LETTER_EXPRESS),
     ("VA", ServiceKind.INSURED), ("UA", ServiceKind.CUSTOMS_LETTER),
     ("HA", ServiceKind.ECOMMERCE), ("MA", ServiceKind.M_BAGS), ("QA", ServiceKind.IBRS),
     ("QM", ServiceKind.IBRS), ("QN", ServiceKind.UNASSIGNED), ("BA", ServiceKind.DOMESTIC),
     ("GA", ServiceKind.DOMESTIC), ("GD", ServiceKind.DOMESTIC), ("GB", ServiceKind.UNASSIGNED),
     ("ZZ", ServiceKind.DOMESTIC), ("AA", ServiceKind.UNASSIGNED), ("AU", ServiceKind.UNASSIGNED),
     ("AV", ServiceKind.RFID_ECOMMERCE), ("AZ", ServiceKind.RFID_ECOMMERCE),
     ("FA", ServiceKind.UNASSIGNED), ("NA", ServiceKind.DOMESTIC), ("PA", ServiceKind.DOMESTIC)],
)
def test_service_indicator_maps_to_its_kind_and_label(indicator: str, kind: ServiceKind) -> None:
    parsed = parse(make_number(indicator, "12345678", "FR"))
    assert parsed.service is kind
    assert parsed.service_label == kind.label
    assert parsed.country_name == "France"


def test_every_service_kind_has_a_distinct_label() -> None:
    labels = [kind.label for kind in ServiceKind]
    assert len(set(labels)) == len(labels)


# --- look-alikes, non-ASCII, junk ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "position", "fixed"),
    [
        ("EE12345678SCN", 11, "EE123456785CN"),  # S for 5
        ("EE70000O000CN", 8, "EE700000000CN"),  # O for 0
        ("ee7oooooooocn", 4, "EE700000000CN"),  # every 0 typed as o
        ("EEl23456785CN", 3, "EE123456785CN"),  # lower-case l for 1
        ("EEI23456785CN", 3, "EE123456785CN"),  # I for 1
        ("EE1234567B5CN", 10, "EE123456785CN"),  # B for 8
        ("EE1Z3456785CN", 4, "EE123456785CN"),  # Z for 2
        ("EE123456785C0", 13, "EE123456785CO"),  # 0 for O in the country code
    ],
)
def test_look_alike_characters_get_the_corrected_number(raw: str, position: int,
                                                        fixed: str) -> None:
    exc = _error(raw)
    assert exc.position == position
    assert fixed in exc.suggestions
    assert "looks like" in str(exc)


def test_look_alike_fix_that_fails_the_check_digit_is_not_suggested() -> None:
    exc = _error("EE12345678OCN")  # 0 would be the wrong check digit (5 is right)
    assert exc.position == 11
    assert "found the letter O, which looks like 0" in str(exc)
    assert exc.suggestions == ()


@pytest.mark.parametrize(
    ("raw", "name", "latin"),
    [("EЕ123456785CN", "CYRILLIC CAPITAL LETTER IE", "E"),
     ("ΕE123456785CN", "GREEK CAPITAL LETTER EPSILON", "E"),
     ("eе123456785cn", "CYRILLIC SMALL LETTER IE", "E"),
     ("EE123456785СN", "CYRILLIC CAPITAL LETTER ES", "C")],
)
def test_non_ascii_look_alike_is_named_with_its_ascii_twin(raw: str, name: str,
                                                          latin: str) -> None:
    exc = _error(raw)
    bad = next(i for i, ch in enumerate(exc.normalized) if not ch.isascii())
    assert exc.position == bad + 1
    assert name in str(exc)
    assert f"looks like the Latin letter {latin}" in str(exc)
    assert exc.expected == latin
    assert exc.suggestions == ("EE123456785CN",)


def test_digits_from_another_script_are_named_and_corrected() -> None:
    exc = _error("EE١٢٣٤٥٦٧٨٥CN")
    assert exc.position == 3
    assert "ARABIC-INDIC DIGIT ONE" in str(exc)
    assert "the digit 1 from another script" in str(exc)
    assert exc.suggestions == ("EE123456785CN",)


def test_control_characters_are_named_but_never_echoed() -> None:
    exc = _error("EE123\x1b[2J456785CN")
    assert "\x1b" not in str(exc)
    assert "U+001B" in str(exc)
    assert exc.position == 6


@pytest.mark.parametrize("raw", ["", "   ", "- -", "\u200b"])
def test_empty_input_gets_a_clear_error(raw: str) -> None:
    exc = _error(raw)
    assert str(exc).startswith("Empty tracking number")
    assert exc.input == raw


def test_thirteen_characters_of_punctuation_name_the_first_bad_one() -> None:
    exc = _error("#############")
    assert exc.position == 1
    assert "'#' (U+0023 NUMBER SIGN), which cannot be part of a tracking number" in str(exc)


def test_thirteen_letters_are_treated_as_a_broken_s10() -> None:
    exc = _error("ABCDEFGHIJKLM")
    assert exc.position == 3
    assert "should be a digit, found the letter C" in str(exc)


def test_very_long_input_is_shortened_in_the_message() -> None:
    exc = _error("A" * 500 + "!")
    assert len(str(exc)) < 250


# --- other carriers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "shape"), [
    ("1Z999AA10123456784", "UPS"), ("1234567890123", "13 digits"),
    ("sf1234567890123", "SF and 13 digits"), ("LP00123456789012", "LP and 14 digits"),
    ("AB12CD34EF56", "mixed letters and digits")])
def test_other_carrier_numbers_are_accepted_as_other_naming_their_shape(raw: str,
                                                                        shape: str) -> None:
    parsed = parse(raw)
    assert not parsed.is_s10
    assert parsed.value == raw.upper()
    assert parsed.service is ServiceKind.OTHER
    assert parsed.service_label == "other carrier number"
    assert parsed.country_code is None
    assert parsed.country_name is None
    assert not parsed.is_ems
    assert parsed.spaced() == parsed.value
    assert shape in parsed.shape


@pytest.mark.parametrize(("raw", "reason"), [
    ("hello", "too short"), ("helloworld", "has no digits"), ("12345", "too short"),
    ("ABCDEFGH12", "mostly letters"), ("TRACKING123456", "mostly letters")])
def test_text_that_no_carrier_number_looks_like_is_refused(raw: str, reason: str) -> None:
    assert reason in str(_error(raw))


@pytest.mark.parametrize(("raw", "words"), [
    ("EE123456785C", "a letter of the country code is missing"),
    ("ee 123 456 785 c", "12 characters"),
    ("EE1234567855CN", "one digit too many")])
def test_s10_near_misses_are_not_taken_as_another_carriers_number(raw: str, words: str) -> None:
    exc = _error(raw)
    assert words in str(exc) and "EE123456785CN" in str(exc)


def test_a_letter_digit_swap_in_an_s10_number_is_named_and_fixed() -> None:
    exc = _error("EE12345678C5N")
    assert "positions 11 and 12 look swapped" in str(exc)
    assert exc.suggestions == ("EE123456785CN",)


def test_other_numbers_are_refused_when_only_s10_is_allowed() -> None:
    exc = _error("1Z999AA10123456784", allow_other=False)
    assert "has 18 characters, but an S10 number has 13" in str(exc)
    assert not is_valid("1Z999AA10123456784", allow_other=False)


@pytest.mark.parametrize(("raw", "words"), [("AB12", "too short"), ("A" * 51, "too long")])
def test_other_numbers_outside_8_to_50_characters_are_refused(raw: str, words: str) -> None:
    assert words in str(_error(raw))


# --- building numbers, countries --------------------------------------------------------------


def test_make_number_adds_the_check_digit() -> None:
    assert make_number("RR", "47312482", "GB") == "RR473124829GB"
    assert make_number("ee", "70000000", "cn") == "EE700000000CN"


@pytest.mark.parametrize(("service", "serial", "country"),
                         [("JA", "12345678", "CN"), ("E1", "12345678", "CN"),
                          ("EE", "1234567", "CN"), ("EE", "12345678", "C")])
def test_make_number_refuses_impossible_parts(service: str, serial: str, country: str) -> None:
    with pytest.raises(ValueError):
        make_number(service, serial, country)


def test_country_table_is_the_full_iso_list() -> None:
    assert len(COUNTRIES) == 249
    assert all(len(code) == 2 and code.isupper() for code in COUNTRIES)
    assert COUNTRIES["CN"] == "China"
    assert COUNTRIES["GB"] == "United Kingdom"
    assert not set(HISTORIC) & set(COUNTRIES)


def test_country_name_covers_current_and_historic_codes_only() -> None:
    assert country_name("fr") == "France"
    assert country_name("AN") == "Netherlands Antilles"
    assert country_name("XX") is None
    assert country_name("UK") is None


def test_invalid_number_is_a_value_error_keeping_the_raw_input() -> None:
    exc = _error(" ee 123456786 cn ")
    assert isinstance(exc, ValueError)
    assert exc.input == " ee 123456786 cn "
    assert exc.normalized == "EE123456786CN"


# --- properties -------------------------------------------------------------------------------

_ALLOWED_FIRST = "ABCDEFGHILMNOPQRUVXYZ"  # every letter except the reserved J K S T W
services = st.builds(lambda a, b: a + b, st.sampled_from(_ALLOWED_FIRST),
                     st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
serials = st.text(alphabet="0123456789", min_size=8, max_size=8)
countries = st.sampled_from(sorted(COUNTRIES))
valid_numbers = st.builds(make_number, services, serials, countries)


@given(services, serials, countries)
def test_every_generated_valid_number_parses_into_its_parts(svc: str, serial: str,
                                                            country: str) -> None:
    parsed = parse(make_number(svc, serial, country))
    assert parsed.is_s10
    assert (parsed.service_indicator, parsed.serial, parsed.country_code) == (svc, serial, country)
    assert parsed.country_name == COUNTRIES[country]
    assert parsed.warnings == ()
    assert parse(parsed.spaced()) == parsed


@given(valid_numbers, st.integers(1, 9))
def test_every_change_of_the_check_digit_is_caught(number: str, shift: int) -> None:
    wrong = number[:10] + str((int(number[10]) + shift) % 10) + number[11:]
    exc = _error(wrong)
    assert exc.position == 11
    assert exc.suggestions[0] == number


@given(valid_numbers, st.integers(2, 9), st.integers(1, 9))
def test_single_serial_digit_change_is_caught_unless_check_digit_is_5(number: str, index: int,
                                                                      shift: int) -> None:
    # A substitution always changes S mod 11, but remainders 0 and 6 both give check digit 5,
    # so only numbers whose check digit is 5 can hide one (see the test below).
    assume(number[10] != "5")
    wrong = number[:index] + str((int(number[index]) + shift) % 10) + number[index + 1 :]
    assert not is_valid(wrong)


@given(valid_numbers, st.integers(2, 8))
def test_adjacent_serial_swap_is_caught_unless_check_digit_is_5(number: str, index: int) -> None:
    # Neighbouring weights differ by 1, 2 or 4, never a multiple of 11, so a swap of two
    # different digits always changes S mod 11; the 0/6 -> 5 collision is the only gap.
    assume(number[10] != "5" and number[index] != number[index + 1])
    wrong = number[:index] + number[index + 1] + number[index] + number[index + 2 :]
    assert not is_valid(wrong)


@given(valid_numbers)
def test_swap_of_last_serial_digit_and_check_digit_is_caught_except_4_5_and_0_2(
    number: str,
) -> None:
    pair = {number[9], number[10]}
    assume(len(pair) == 2 and pair not in ({"4", "5"}, {"0", "2"}))
    wrong = number[:9] + number[10] + number[9] + number[11:]
    assert not is_valid(wrong)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("EE123456785CN", "EE323456785CN"),  # substitution: remainders 6 and 0 both give 5
        ("EE000079195CN", "EE000079915CN"),  # serial swap with check digit 5
        ("EE010000645CN", "EE010000654CN"),  # serial/check swap 4<->5 (remainder 0 -> 5)
        ("EE010000402CN", "EE010000420CN"),  # serial/check swap 0<->2 (remainder 1 -> 0)
    ],
)
def test_known_blind_spots_of_the_s10_scheme_are_both_valid(first: str, second: str) -> None:
    assert is_valid(first, allow_other=False)
    assert is_valid(second, allow_other=False)


@given(valid_numbers, st.integers(1, 9))
def test_every_suggestion_offered_for_a_wrong_check_digit_validates(number: str,
                                                                    shift: int) -> None:
    wrong = number[:10] + str((int(number[10]) + shift) % 10) + number[11:]
    assert all(is_valid(s, allow_other=False) for s in _error(wrong).suggestions)


@given(st.text(max_size=30))
def test_parse_either_returns_or_raises_invalid_number(raw: str) -> None:
    try:
        parsed = parse(raw)
    except InvalidNumber as exc:
        assert exc.message
        assert exc.input == raw
    else:
        assert parsed.value == normalize(raw)
