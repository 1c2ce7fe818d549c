"""Normalise and validate UPU S10 tracking numbers, with one precise message per mistake.

One job, kept in one module on purpose although it is long: turn what a person typed into a valid
number, or into one sentence naming the first mistake and the numbers they probably meant. The
diagnosis and the near-miss suggestions cannot live apart from `parse`: `parse` asks the
diagnosis for its error, and every suggestion is a candidate that `parse` checks again, so a split
would be an import cycle or a second copy of the S10 rules. Most of the length is the messages.
"""

from __future__ import annotations

import functools
import operator
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from itertools import product
from typing import NamedTuple

from emstui.core.countries import country_name
from emstui.core.lazyre import compiled

WEIGHTS: tuple[int, ...] = (8, 6, 4, 2, 3, 5, 9, 7)
RESERVED_FIRST_LETTERS = frozenset("JKSTW")
S10_LENGTH = 13
OTHER_MIN_LENGTH = 8
OTHER_MIN_DIGITS = 6
OTHER_MAX_LENGTH = 50
EXAMPLE = "EE123456785CN"

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # string.ascii_uppercase: `string` imports `re`
_ALLOWED = frozenset(_LETTERS + "0123456789")
_ASCII_UPPER = str.maketrans(_LETTERS.lower(), _LETTERS)
# What each of the 13 positions must hold: L = letter, D = digit.
_TEMPLATE = "LLDDDDDDDDDLL"
_PART_OF_INDEX = (
    ("service indicator",) * 2 + ("serial number",) * 8 + ("check digit",) + ("country code",) * 2
)

# Characters people type (or OCR reads) for one another.
_DIGIT_FOR_LETTER = {"O": ("0",), "I": ("1",), "L": ("1",), "S": ("5",), "B": ("8",), "Z": ("2",)}
_LETTER_FOR_DIGIT = {"0": ("O",), "1": ("I", "L"), "5": ("S",), "8": ("B",), "2": ("Z",)}

# Non-Latin letters drawn like ASCII ones (Cyrillic, Greek) that NFKC does not fold.
_HOMOGLYPHS: dict[str, str] = {
    **dict(zip("АВЕЅІЈКМНОРСТХУҮӀԚԜ", "ABESIJKMHOPCTXYYIQW", strict=True)),  # Cyrillic capitals
    **dict(zip("аеѕіјорсхуһԛԝ", "AESIJOPCXYHQW", strict=True)),  # Cyrillic small letters
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧο", "ABEZHIKMNOPTYXO", strict=True)),  # Greek
    **dict(zip("ıØø", "IOO", strict=True)),  # Latin letters NFKD does not reduce to ASCII
}


class ServiceKind(StrEnum):
    """What the two-letter service indicator says the item is (specs/s10.md section 3)."""

    EMS = "ems"
    PARCEL = "parcel"
    REGISTERED = "registered"
    LETTER_EXPRESS = "letter_express"
    INSURED = "insured"
    CUSTOMS_LETTER = "customs_letter"
    ECOMMERCE = "ecommerce"
    M_BAGS = "m_bags"
    IBRS = "ibrs"
    DOMESTIC = "domestic"
    RFID_ECOMMERCE = "rfid_ecommerce"
    UNASSIGNED = "unassigned"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS: dict[ServiceKind, str] = {
    ServiceKind.EMS: "EMS (express mail service)",
    ServiceKind.PARCEL: "parcel post",
    ServiceKind.REGISTERED: "registered letter post",
    ServiceKind.LETTER_EXPRESS: "letter post express",
    ServiceKind.INSURED: "insured letter post",
    ServiceKind.CUSTOMS_LETTER: "letter post under customs control (CN 22/CN 23)",
    ServiceKind.ECOMMERCE: "e-commerce parcel",
    ServiceKind.M_BAGS: "M bag (printed matter)",
    ServiceKind.IBRS: "IBRS (international business reply service)",
    ServiceKind.DOMESTIC: "domestic or bilateral use",
    ServiceKind.RFID_ECOMMERCE: "RFID-tracked e-commerce item (domestic or bilateral use)",
    ServiceKind.UNASSIGNED: "unassigned service indicator",
    ServiceKind.OTHER: "other carrier number",
}

_KIND_OF_FIRST_LETTER: dict[str, ServiceKind] = {
    "E": ServiceKind.EMS,
    "C": ServiceKind.PARCEL,
    "R": ServiceKind.REGISTERED,
    "L": ServiceKind.LETTER_EXPRESS,
    "V": ServiceKind.INSURED,
    "U": ServiceKind.CUSTOMS_LETTER,
    "H": ServiceKind.ECOMMERCE,
    "M": ServiceKind.M_BAGS,
    **dict.fromkeys("BDNPZ", ServiceKind.DOMESTIC),
}


def _is_letters(text: str, count: int) -> bool:
    """`text` is `count` ASCII capital letters (the regular expression [A-Z]{count})."""
    return len(text) == count and text.isascii() and text.isalpha() and text.isupper()


def _has_s10_layout(norm: str) -> bool:
    """[A-Z]{2}[0-9]{9}[A-Z]{2}: two letters, nine digits, two letters, all ASCII. Tested
    without `re`, which a valid number then never needs (bench/cli_start.py)."""
    return (len(norm) == S10_LENGTH and norm.isascii() and _is_letters(norm[:2], 2)
            and norm[2:11].isdigit() and _is_letters(norm[11:], 2))


def service_kind(indicator: str) -> ServiceKind:
    """Kind of item for a non-reserved two-letter service indicator."""
    first, second = indicator[0], indicator[1]
    if first == "A":
        return ServiceKind.RFID_ECOMMERCE if second >= "V" else ServiceKind.UNASSIGNED
    if first == "G":
        return ServiceKind.DOMESTIC if second in "AD" else ServiceKind.UNASSIGNED
    if first == "Q":
        return ServiceKind.IBRS if second <= "M" else ServiceKind.UNASSIGNED
    return _KIND_OF_FIRST_LETTER.get(first, ServiceKind.UNASSIGNED)


class TrackingNumber(NamedTuple):
    """A validated tracking number: an S10 identifier split into its parts, or another carrier's.

    Immutable (a named tuple rather than a dataclass: `dataclasses` costs `emstui check` a
    third of its start-up, bench/cli_start.py)."""

    value: str
    is_s10: bool
    service_indicator: str | None
    serial: str | None
    check_digit: int | None
    country_code: str | None
    country_name: str | None  # the ISSUING operator's country, never the destination
    service: ServiceKind
    service_label: str
    warnings: tuple[str, ...] = ()
    shape: str = ""  # for another carrier's number: the shape that made it plausible

    @property
    def is_ems(self) -> bool:
        return self.is_s10 and self.value.startswith("E")

    def spaced(self) -> str:
        """Human grouping as printed under S10 barcodes: EE 123 456 785 CN."""
        v = self.value
        if not self.is_s10:
            return v
        return f"{v[:2]} {v[2:5]} {v[5:8]} {v[8:11]} {v[11:]}"

    def __str__(self) -> str:
        return self.value


class InvalidNumber(ValueError):
    """A number that failed validation; str() is one specific, user-facing line."""

    def __init__(
        self,
        message: str,
        *,
        input: str,
        normalized: str,
        position: int | None,
        expected: str,
        found: str,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.input = input
        self.normalized = normalized
        self.position = position  # 1-based, in the normalised number
        self.expected = expected
        self.found = found
        self.suggestions = suggestions


def normalize(raw: str) -> str:
    """NFKC-fold (full-width forms), drop whitespace, dashes and invisibles, upper-case ASCII."""
    if raw.isascii() and raw.isalnum():  # already clean (every stored number): nothing to fold
        return raw.upper()
    folded = unicodedata.normalize("NFKC", raw)
    kept = "".join(ch for ch in folded if not _is_separator(ch))
    # Only ASCII is upper-cased: str.upper() would turn 'ı' into 'I' or 'ß' into 'SS' and hide
    # a non-ASCII character the user needs to hear about.
    return kept.translate(_ASCII_UPPER)


def check_digit(serial8: str) -> int:
    """S10 check digit for an 8-digit serial: weights 8 6 4 2 3 5 9 7, mod 11, 10->0, 11->5."""
    if not (len(serial8) == 8 and serial8.isascii() and serial8.isdigit()):
        raise ValueError(f"serial must be 8 ASCII digits, got {serial8!r}")
    c = 11 - sum(map(operator.mul, serial8.encode(), WEIGHTS)) % 11  # ord("0") * 44 = 11 * 192
    return 0 if c == 10 else 5 if c == 11 else c


def make_number(service: str, serial8: str, country: str) -> str:
    """Build a valid S10 number from its parts, computing the check digit."""
    svc, cc = service.upper(), country.upper()
    if not _is_letters(svc, 2) or svc[0] in RESERVED_FIRST_LETTERS:
        raise ValueError(f"service indicator must be two letters, not reserved: {service!r}")
    if not _is_letters(cc, 2):
        raise ValueError(f"country code must be two letters: {country!r}")
    return f"{svc}{serial8}{check_digit(serial8)}{cc}"


def is_valid(raw: str, *, allow_other: bool = True) -> bool:
    """True when parse() accepts the number (warnings such as an unknown country still pass)."""
    try:
        parse(raw, allow_other=allow_other)
    except InvalidNumber:
        return False
    return True


def parse(raw: str, *, allow_other: bool = True) -> TrackingNumber:
    """Validate a typed or pasted number; raise InvalidNumber naming the first problem.

    Valid numbers are remembered (the config, the engine and the sources each ask about every
    watched number: a 20,000-parcel watchlist is parsed once, not three times)."""
    return _parse(raw, allow_other)


PARSE_CACHE = 65536  # valid numbers remembered by `parse`: well over any watchlist


@functools.lru_cache(maxsize=PARSE_CACHE)
def _parse(raw: str, allow_other: bool) -> TrackingNumber:
    norm = normalize(raw)
    if not norm:
        raise InvalidNumber(
            f"Empty tracking number: type one like {EXAMPLE}.",
            input=raw,
            normalized=norm,
            position=None,
            expected="a tracking number",
            found="",
        )
    if _has_s10_layout(norm):  # only letters and digits: nothing foreign to report
        return _parse_s10(raw, norm)
    for index, ch in enumerate(norm):
        if ch not in _ALLOWED:
            raise _foreign_character(raw, norm, index, allow_other=allow_other)
    if _looks_like_s10(norm) or not allow_other:
        raise _s10_shape_error(raw, norm)
    if len(norm) > OTHER_MAX_LENGTH:
        raise _error(
            raw,
            norm,
            f"too long ({len(norm)} characters): tracking numbers have at most {OTHER_MAX_LENGTH}",
            expected=f"at most {OTHER_MAX_LENGTH} characters",
            found=f"{len(norm)} characters",
        )
    shape = _other_shape(raw, norm)
    return TrackingNumber(
        value=norm,
        is_s10=False,
        service_indicator=None,
        serial=None,
        check_digit=None,
        country_code=None,
        country_name=None,
        service=ServiceKind.OTHER,
        service_label=ServiceKind.OTHER.label,
        shape=shape,
    )


_PREFIX_DIGITS = r"([A-Z]{1,4})([0-9]+)"
_WRAPPED_DIGITS = r"([A-Z]{1,4})([0-9]+)([A-Z]{1,4})"


def _other_shape(raw: str, norm: str) -> str:
    """What plausible carrier-number shape `norm` has; InvalidNumber when it has none.

    Carriers' formats are many and mostly unpublished, so this only refuses what no tracking
    number looks like (no digits, too short, mostly letters) and names the shape it accepted.
    """
    digits = sum(ch.isdigit() for ch in norm)
    n = len(norm)
    if n < OTHER_MIN_LENGTH:
        raise _error(raw, norm,
                     f"too short ({n} characters): an S10 number has 13, like {EXAMPLE}, and "
                     f"other carrier numbers at least {OTHER_MIN_LENGTH}",
                     expected=f"at least {OTHER_MIN_LENGTH} characters", found=f"{n} characters")
    if digits == 0:
        raise _error(raw, norm,
                     f"has no digits: not a tracking number (an S10 number looks like {EXAMPLE})",
                     expected="a tracking number with digits", found="no digits")
    if digits < OTHER_MIN_DIGITS or digits * 2 < n:
        raise _error(raw, norm,
                     f"mostly letters ({digits} digits in {n} characters): carrier numbers are "
                     f"mostly digits; an S10 number looks like {EXAMPLE}",
                     expected="mostly digits", found=f"{digits} digits in {n} characters")
    if norm.isdigit():
        return f"{n} digits: a numeric carrier number (FedEx, DHL and many posts use these)"
    if n == 18 and norm.startswith("1Z"):
        return "1Z and 16 characters: a UPS number"
    if match := compiled(_PREFIX_DIGITS).fullmatch(norm):
        return (f"{match.group(1)} and {len(match.group(2))} digits: a carrier prefix and a "
                "serial (Cainiao LP, SF Express SF, YunExpress YT and others)")
    if match := compiled(_WRAPPED_DIGITS).fullmatch(norm):
        return (f"{match.group(1)}, {len(match.group(2))} digits, {match.group(3)}: letters "
                "around a serial, as some carriers and consolidators use")
    return f"{n} characters, {digits} of them digits: mixed letters and digits"


def _parse_s10(raw: str, norm: str) -> TrackingNumber:
    svc, serial, found, cc = norm[:2], norm[2:10], int(norm[10]), norm[11:]
    if svc[0] in RESERVED_FIRST_LETTERS:
        raise _error(
            raw,
            norm,
            f"service indicator {svc} (positions 1-2) starts with {svc[0]}, which the UPU "
            "reserves: no S10 number starts with J, K, S, T or W",
            position=1,
            expected="a service indicator not starting with J, K, S, T or W",
            found=svc,
        )
    implied = check_digit(serial)
    if found != implied:
        fixed = f"{svc}{serial}{implied}{cc}"
        raise _error(
            raw,
            norm,
            f"check digit (position 11) is {found}, but the serial {serial} implies {implied}",
            position=11,
            expected=str(implied),
            found=str(found),
            suggestions=_unique([fixed, *_adjacent_swap_fixes(norm)]),
        )
    name = country_name(cc)
    warnings = (
        ()
        if name
        else (f"country code {cc} is not an ISO 3166-1 code; check the last two letters",)
    )
    kind = service_kind(svc)
    return TrackingNumber(
        value=norm,
        is_s10=True,
        service_indicator=svc,
        serial=serial,
        check_digit=found,
        country_code=cc,
        country_name=name,
        service=kind,
        service_label=kind.label,
        warnings=warnings,
    )


def _looks_like_s10(norm: str) -> bool:
    """True for strings that are S10 attempts and must not slip through as another carrier's."""
    n = len(norm)
    if 12 <= n <= 14 and norm[0].isalpha() and norm[-2:].isalpha():
        return True
    # Two letters, digits and one letter: the S10 layout with a letter lost or added.
    if n in (12, 14) and norm[:2].isalpha() and norm[-1].isalpha() and \
            sum(ch.isdigit() for ch in norm) >= 8:
        return True
    return n == S10_LENGTH and (len(_mismatches(norm)) <= 1 or _swapped_pair(norm) is not None)


def _swapped_pair(norm: str) -> int | None:
    """Index i when swapping characters i and i+1 gives the S10 letter/digit layout."""
    found = _mismatches(norm)
    if len(found) == 2 and found[1] == found[0] + 1:
        i = found[0]
        swapped = norm[:i] + norm[i + 1] + norm[i] + norm[i + 2:]
        if not _mismatches(swapped):
            return i
    return None


def _mismatches(norm: str) -> list[int]:
    """Indexes of a 13-character string whose letter/digit class differs from the S10 layout."""
    pairs = zip(norm, _TEMPLATE, strict=True)
    return [i for i, (ch, kind) in enumerate(pairs) if ch.isdigit() != (kind == "D")]


def _s10_shape_error(raw: str, norm: str) -> InvalidNumber:
    n = len(norm)
    if n == S10_LENGTH and (i := _swapped_pair(norm)) is not None:
        swapped = norm[:i] + norm[i + 1] + norm[i] + norm[i + 2:]
        return _error(
            raw,
            norm,
            f"positions {i + 1} and {i + 2} look swapped: an S10 number is 2 letters, 8-digit "
            f"serial, check digit, 2-letter country code (like {EXAMPLE})",
            position=i + 1,
            expected=f"{norm[i + 1]}{norm[i]}",
            found=f"{norm[i]}{norm[i + 1]}",
            suggestions=_valid_first_clean([swapped]),
        )
    if n == S10_LENGTH:
        return _wrong_class_error(raw, norm, _mismatches(norm))
    if n == S10_LENGTH - 1 and _has_s10_layout(norm + "X"):
        return _error(
            raw,
            norm,
            f"has 12 characters and ends with one letter: an S10 number has 13 and ends with a "
            f"two-letter country code (2 letters, 8-digit serial, check digit, 2 letters, like "
            f"{EXAMPLE}); a letter of the country code is missing",
            position=13,
            expected="a two-letter country code",
            found=norm[-1],
        )
    if n >= 4 and norm[:2].isalpha() and norm[-2:].isalpha():
        middle = norm[2:-2]
        for offset, ch in enumerate(middle):
            if not ch.isdigit():
                return _error(
                    raw,
                    norm,
                    f"position {offset + 3} should be a digit, found {_describe_found(ch)}",
                    position=offset + 3,
                    expected="a digit",
                    found=ch,
                )
        have = len(middle)
        if have < 9:
            missing = "a digit is missing" if have == 8 else f"{9 - have} digits are missing"
            tail, suggestions = missing, []
        else:
            tail = "one digit too many" if have == 10 else f"{have - 9} digits too many"
            suggestions = _deletion_fixes(norm) if have == 10 else []
        return _error(
            raw,
            norm,
            f"serial number and check digit have {have} digits, 9 expected: {tail}",
            expected="9 digits",
            found=f"{have} digits",
            suggestions=_unique(suggestions),
        )
    return _error(
        raw,
        norm,
        f"has {n} characters, but an S10 number has 13: 2 letters, 8-digit serial, "
        f"check digit, 2-letter country code (like {EXAMPLE})",
        expected="13 characters",
        found=f"{n} characters",
    )


def _wrong_class_error(raw: str, norm: str, mismatches: list[int]) -> InvalidNumber:
    first = mismatches[0]
    ch = norm[first]
    want = "a digit" if _TEMPLATE[first] == "D" else "a letter"
    detail = f"position {first + 1} ({_PART_OF_INDEX[first]}) should be {want}, found " + (
        _describe_found(ch)
    )
    # Only the misplaced characters are swapped for their look-alikes; the rest stay as typed.
    options = [_lookalikes(ch) if i in mismatches else (ch,) for i, ch in enumerate(norm)]
    candidates = ("".join(chars) for chars in product(*options))
    return _error(
        raw,
        norm,
        detail,
        position=first + 1,
        expected=want,
        found=ch,
        suggestions=_valid_first_clean(candidates),
    )


def _foreign_character(raw: str, norm: str, index: int, *, allow_other: bool) -> InvalidNumber:
    ch = norm[index]
    shown = _show_char(ch)
    ascii_twin = _ascii_lookalike(ch)
    if ascii_twin is None:
        detail = (
            f"position {index + 1} is {shown}, which cannot be part of a tracking number: "
            "use only the letters A-Z and the digits 0-9"
        )
        return _error(raw, norm, detail, position=index + 1, expected="a letter or digit", found=ch)
    if ascii_twin.isdigit():
        detail = (
            f"position {index + 1} is {shown}, the digit {ascii_twin} from another script: "
            "tracking numbers use the ASCII digits 0-9"
        )
    else:
        detail = (
            f"position {index + 1} is {shown}, which looks like the Latin letter {ascii_twin} "
            "but is a different character: tracking numbers use the ASCII letters A-Z"
        )
    twins = [_ascii_lookalike(c) if c not in _ALLOWED else c for c in norm]
    suggestions: tuple[str, ...] = ()
    if all(twins):
        candidate = "".join(t for t in twins if t)
        try:
            parse(candidate, allow_other=allow_other)
            suggestions = (candidate,)
        except InvalidNumber as exc:
            suggestions = exc.suggestions
    return _error(
        raw,
        norm,
        detail,
        position=index + 1,
        expected=ascii_twin,
        found=ch,
        suggestions=suggestions,
    )


def _ascii_lookalike(ch: str) -> str | None:
    if ch in _HOMOGLYPHS:
        return _HOMOGLYPHS[ch]
    value = unicodedata.decimal(ch, None)
    if value is not None:
        return str(value)
    base = unicodedata.normalize("NFKD", ch)[:1]
    if base.isascii() and base.upper() in _ALLOWED:
        return base.upper()
    return None


def _lookalikes(ch: str) -> tuple[str, ...]:
    return _DIGIT_FOR_LETTER.get(ch) or _LETTER_FOR_DIGIT.get(ch) or ()


def _adjacent_swap_fixes(norm: str) -> list[str]:
    """Numbers made by swapping two neighbouring digits of serial+check digit that validate."""
    digits = norm[2:11]
    fixes = []
    for i in range(len(digits) - 1):
        if digits[i] == digits[i + 1]:
            continue
        swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        if check_digit(swapped[:8]) == int(swapped[8]):
            fixes.append(f"{norm[:2]}{swapped}{norm[11:]}")
    return fixes


def _deletion_fixes(norm: str) -> list[str]:
    """Valid numbers made by deleting one of the digits of a number with one digit too many."""
    return _valid_first_clean(norm[:i] + norm[i + 1 :] for i in range(2, len(norm) - 2))


def _valid_first_clean(candidates: Iterable[str]) -> list[str]:
    """Candidates that parse as S10, those without warnings first, without duplicates."""
    clean: list[str] = []
    warned: list[str] = []
    for candidate in candidates:
        try:
            number = parse(candidate, allow_other=False)
        except InvalidNumber:
            continue
        (warned if number.warnings else clean).append(number.value)
    return list(_unique(clean + warned))


def _error(
    raw: str,
    norm: str,
    detail: str,
    *,
    expected: str,
    found: str,
    position: int | None = None,
    suggestions: tuple[str, ...] | list[str] = (),
) -> InvalidNumber:
    message = f"{_show(norm)}: {detail}."
    if suggestions:
        message += f" Did you mean {_or_list(suggestions)}?"
    return InvalidNumber(
        message,
        input=raw,
        normalized=norm,
        position=position,
        expected=expected,
        found=found,
        suggestions=tuple(suggestions),
    )


def _describe_found(ch: str) -> str:
    """'the letter O, which looks like 0' for an ASCII letter or digit in the wrong place."""
    found = f"the digit {ch}" if ch.isdigit() else f"the letter {ch}"
    swaps = _lookalikes(ch)
    return f"{found}, which looks like {' or '.join(swaps)}" if swaps else found


def _show_char(ch: str) -> str:
    """'Е' (U+0415 CYRILLIC CAPITAL LETTER IE); never echoes a control character itself."""
    code = f"U+{ord(ch):04X}"
    if not ch.isprintable():
        return f"{code} (an invisible control character)"
    return f"'{ch}' ({code} {unicodedata.name(ch, 'unnamed character')})"


def _show(text: str, limit: int = 60) -> str:
    """Text safe to echo in a message: control characters escaped, long input cut short."""
    safe = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


def _or_list(items: tuple[str, ...] | list[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _is_separator(ch: str) -> bool:
    # Pd: every Unicode dash; U+2212 MINUS SIGN is Sm; Cf: zero-width and direction marks
    # that come along when numbers are copied from web pages.
    return ch.isspace() or ch == "\u2212" or unicodedata.category(ch) in ("Pd", "Cf")
