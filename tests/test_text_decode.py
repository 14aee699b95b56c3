"""One decoder for dump files and web pages: byte order marks, configured and declared
character sets, <meta> sniffing, windows-1251 recognition, binary data."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from feeds.errors import InputError
from feeds.text.decode import Decoded, decode_bytes

DATA = Path(__file__).parent / "data"
RUSSIAN = "Генеральный секретарь ОДКБ провёл встречу с послом."
JOURNALISTS = "Генеральный секретарь ОДКБ провёл встречу с журналистами"
KOI8_TEXT = (
    "Генеральный секретарь ОДКБ провёл встречу с журналистами. Речь шла о совместных"
    " мерах по укреплению безопасности в регионе и о подготовке к учениям."
)


def refused(data: bytes, **options: str | bool) -> str:
    with pytest.raises(InputError) as caught:
        decode_bytes(data, locator="f.txt", **options)  # type: ignore[arg-type]
    return str(caught.value)


# -- byte order marks and plain UTF-8 ------------------------------------------------


def test_plain_utf8() -> None:
    assert decode_bytes("Jenča met Zas.\n".encode(), locator="a.txt") == Decoded(
        "Jenča met Zas.\n", "utf-8"
    )


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
    ],
)
def test_byte_order_mark_is_dropped_and_wins(bom: bytes, codec: str) -> None:
    data = bom + "Title\nМинск.\n".encode(codec)

    assert decode_bytes(data, locator="a.txt") == Decoded("Title\nМинск.\n", codec)
    assert decode_bytes(data, locator="a.txt", declared="koi8-r", markup=True) == Decoded(
        "Title\nМинск.\n", codec
    )


def test_utf8_mark_wins_over_a_configured_encoding() -> None:
    data = codecs.BOM_UTF8 + "Минск".encode()

    assert decode_bytes(data, locator="a.txt", override="cp1251") == Decoded("Минск", "utf-8")


def test_configured_encoding_beats_a_utf16_mark_that_is_text_in_it() -> None:
    data = "яю: строки".encode("cp1251")  # starts ff fe: the UTF-16 LE mark

    assert decode_bytes(data, locator="a.txt", override="cp1251") == Decoded("яю: строки", "cp1251")
    marked = codecs.BOM_UTF16_BE + "строки".encode("utf-16-be")
    assert decode_bytes(marked, locator="a.txt", override="utf-16") == Decoded(
        "строки", "utf-16-be"
    )


def test_bytes_not_valid_after_a_byte_order_mark_are_replaced_with_a_warning() -> None:
    data = codecs.BOM_UTF8 + b"Title \xff and a body long enough to stay text.\n"

    assert decode_bytes(data, locator="a.txt") == Decoded(
        "Title \ufffd and a body long enough to stay text.\n",
        "utf-8",
        ("a.txt: 1 byte sequences not valid utf-8 (the byte order mark's encoding) replaced",),
    )


# -- windows-1251: one test for dumps and pages ----------------------------------------


def test_windows_1251_text_is_recognised() -> None:
    assert decode_bytes(RUSSIAN.encode("cp1251"), locator="r.txt") == Decoded(RUSSIAN, "cp1251")
    fixture = (DATA / "dumps" / "cp1251_announcement_tail.txt").read_bytes()
    decoded = decode_bytes(fixture, locator="f")
    assert decoded.codec == "cp1251"
    assert decoded.text.startswith("Пресс-центр агентства «ТАСС»")


@pytest.mark.parametrize("markup", [False, True])
def test_a_page_full_of_ascii_markup_is_recognised_as_windows_1251(markup: bool) -> None:
    page = (DATA / "http" / "ru-plain-1251.html").read_bytes()

    decoded = decode_bytes(page, locator="page", markup=markup)

    assert (decoded.codec, decoded.warnings) == ("cp1251", ())
    assert f"<h1>{JOURNALISTS}</h1>" in decoded.text


def test_koi8_r_is_not_taken_for_windows_1251() -> None:
    assert decode_bytes(KOI8_TEXT.encode("koi8-r"), locator="k.txt") == Decoded(KOI8_TEXT, "koi8-r")


def test_accented_latin_letters_are_not_taken_for_cyrillic() -> None:
    text = "The café on the square hosted the délégation of the member states."

    decoded = decode_bytes(text.encode("cp1252"), locator="l.txt")

    assert decoded.text == text
    assert decoded.codec != "cp1251"


# -- a configured encoding ---------------------------------------------------------------


def test_configured_encoding_overrides_detection() -> None:
    assert decode_bytes(RUSSIAN.encode("koi8-r"), locator="k.txt", override="koi8-r") == Decoded(
        RUSSIAN, "koi8-r"
    )


def test_bytes_not_valid_in_the_configured_encoding_say_what_to_set() -> None:
    assert refused(RUSSIAN.encode("cp1251"), override="utf-8") == (
        "f.txt: not valid utf-8: byte 0xc3 at offset 0"
        " (windows-1251 expected? set encoding: cp1251)"
    )
    # 0x98 is the one byte windows-1251 leaves undefined; "И" in UTF-8 is d0 98.
    assert refused("Иван".encode(), override="cp1251") == (
        "f.txt: not valid cp1251: byte 0x98 at offset 1 (UTF-8 expected? set encoding: utf-8)"
    )
    assert refused(b"Zas \x98\x98 Jen\x9a", override="utf-8") == (
        "f.txt: not valid utf-8: byte 0x98 at offset 4 (set encoding: auto to have it detected)"
    )


@pytest.mark.parametrize("name", ["klingon", "base64", "idna"])
def test_configured_encoding_must_be_a_character_set(name: str) -> None:
    assert refused(b"Title", override=name) == (
        f"f.txt: unknown encoding {name!r}: name a character set such as utf-8 or cp1251"
    )


def test_configured_latin_1_is_taken_at_its_word() -> None:
    # Browsers read a latin-1 label as windows-1252; a configured name means what it says.
    assert decode_bytes(b"caf\xe9 \x81ok", locator="f", override="latin-1") == Decoded(
        "café \x81ok", "iso8859-1"
    )


# -- a declared charset (Content-Type) -------------------------------------------------


def test_declared_charset_wins_over_meta_when_it_fits() -> None:
    page = '<meta charset="utf-8"><p>Москва</p>'.encode("cp1251")

    assert decode_bytes(page, locator="u", declared="cp1251", markup=True) == Decoded(
        '<meta charset="utf-8"><p>Москва</p>', "cp1251"
    )


def test_declared_charset_that_does_not_fit_gives_way_with_a_warning() -> None:
    data = RUSSIAN.encode("cp1251")

    assert decode_bytes(data, locator="https://x.org/a", declared="utf-8") == Decoded(
        RUSSIAN,
        "cp1251",
        ("https://x.org/a: declared charset utf-8 does not fit the bytes; read as windows-1251",),
    )


def test_declared_charset_that_does_not_fit_gives_way_to_the_meta_charset() -> None:
    page = '<meta charset="koi8-r"><p>Москва</p>'.encode("koi8-r")

    assert decode_bytes(page, locator="u", declared="utf-8", markup=True) == Decoded(
        '<meta charset="koi8-r"><p>Москва</p>',
        "koi8-r",
        ("u: declared charset utf-8 does not fit the bytes; read as koi8-r",),
    )


def test_replacement_characters_really_in_utf8_text_fit() -> None:
    text = "Broken glyph \ufffd in the original text."

    assert decode_bytes(text.encode(), locator="u", declared="utf-8") == Decoded(text, "utf-8")


def test_latin_1_and_ascii_labels_mean_windows_1252() -> None:
    for label in ("ISO-8859-1", "us-ascii"):
        assert decode_bytes(b"\x93quoted\x94", locator="u", declared=label) == Decoded(
            "\u201cquoted\u201d", "cp1252"
        )


def test_unknown_charset_label_is_ignored_with_a_warning() -> None:
    assert decode_bytes("Бишкек".encode(), locator="u", declared="x-made-up") == Decoded(
        "Бишкек", "utf-8", ("u: unknown charset 'x-made-up' ignored",)
    )


# -- charsets named in markup ------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        '<html><head><meta charset="windows-1252"></head>',
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
        '<?xml version="1.0" encoding="windows-1252"?><rss>',
    ],
)
def test_charset_named_in_markup_comes_before_detection(head: str) -> None:
    page = (head + "<p>Москва</p>").encode("cp1251")

    # Detection alone reads Russian; the page's own word, even a wrong one, wins.
    assert decode_bytes(page, locator="u", markup=True) == Decoded(head + "<p>Ìîñêâà</p>", "cp1252")
    assert decode_bytes(page, locator="u") == Decoded(head + "<p>Москва</p>", "cp1251")


def test_meta_charset_past_the_first_4_kb_is_not_seen() -> None:
    page = b" " * 4096 + '<meta charset="koi8-r"><p>ОДКБ</p>'.encode("koi8-r")

    assert decode_bytes(page, locator="u", markup=True).codec != "koi8-r"


def test_markup_that_claims_utf16_is_read_as_utf8() -> None:
    page = '<meta charset="utf-16"><p>Ереван</p>'.encode()

    assert decode_bytes(page, locator="u", markup=True) == Decoded(
        '<meta charset="utf-16"><p>Ереван</p>', "utf-8"
    )


def test_meta_charset_that_does_not_fit_gives_way_with_a_warning() -> None:
    page = '<meta charset="utf-8"><p>Москва, Ереван, Минск</p>'.encode("cp1251")

    assert decode_bytes(page, locator="u", markup=True) == Decoded(
        '<meta charset="utf-8"><p>Москва, Ереван, Минск</p>',
        "cp1251",
        ("u: charset utf-8 named in the page does not fit the bytes; read as windows-1251",),
    )


# -- last resort, binary and empty data --------------------------------------------------


def test_unrecognised_bytes_are_read_as_utf8_with_a_warning() -> None:
    data = (
        b"The commit\xd7ee m\xb9t on Tuesda\xd6 and a\xf3\xaeeed \xb0n the text"
        b" of the statemen\x88. "
    )

    decoded = decode_bytes(data, locator="f")

    assert decoded.codec == "utf-8"
    assert decoded.text.startswith("The commit\ufffdee m\ufffdt on Tuesda\ufffd")
    assert decoded.warnings == (
        "f: character set not recognised; read as UTF-8 with 6 undecodable byte sequences replaced",
    )


def test_stray_nul_and_control_bytes_are_removed_with_a_warning() -> None:
    data = "Заседание\x00 Совета\x1b коллективной безопасности\x7f.\n".encode()

    assert decode_bytes(data, locator="d.txt") == Decoded(
        "Заседание Совета коллективной безопасности.\n",
        "utf-8",
        ("d.txt: 3 stray control characters removed",),
    )


def test_mostly_control_bytes_is_binary() -> None:
    assert refused(b"PK\x03\x04\x00\x00text") == (
        "f.txt: binary file, not text (4 of 10 characters are control codes or undecodable);"
        " if it is text, name its character set with encoding:"
    )
    assert refused(bytes(range(1, 9)) * 20) == (
        "f.txt: binary file, not text (160 of 160 characters are control codes or"
        " undecodable); if it is text, name its character set with encoding:"
    )


def test_utf16_without_a_byte_order_mark_is_named_as_a_likely_cause() -> None:
    assert refused("Title and body".encode("utf-16-le")) == (
        "f.txt: binary file, not text (14 of 28 characters are control codes or undecodable);"
        " UTF-16 without a byte order mark? set encoding: utf-16-le or utf-16-be"
    )
    assert decode_bytes(
        "Title and body".encode("utf-16-le"), locator="f", override="utf-16-le"
    ) == Decoded("Title and body", "utf-16-le")


@pytest.mark.parametrize(
    "data", [b"", b"  \r\n\t\n", "\u00a0\n".encode(), b"\x00\n\n\n\n\n\n\n\n\n\n"]
)
def test_empty_data(data: bytes) -> None:
    assert refused(data) == "f.txt: empty file (no text in it)"


# -- properties --------------------------------------------------------------------------

LABELS = st.sampled_from([None, "utf-8", "windows-1251", "iso-8859-1", "utf-16", "x-made-up"])
CONFIGURED = st.sampled_from([None, "utf-8", "cp1251", "koi8-r", "utf-16-le"])
TEXT = st.text(
    st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\ufeff")
    | st.sampled_from("\n\t"),
    min_size=1,
).filter(str.strip)
CP1251_CHARS = sorted(
    {
        char
        for char in bytes(range(0x20, 0x100)).decode("cp1251", errors="ignore")
        if char.isprintable()
    }
)
# Lower-case words, some capitalised; without "ё", whose byte can follow others as
# valid UTF-8 would.
WORD = st.builds(
    lambda word, capital: word.capitalize() if capital else word,
    st.text("абвгдежзийклмнопрстуфхцчшщъыьэюя", min_size=2, max_size=12),
    st.booleans(),
)
RUSSIAN_PROSE = st.builds(
    lambda words, seps: "".join(w + s for w, s in zip(words, seps, strict=False)),
    st.lists(WORD, min_size=1, max_size=40),
    st.lists(st.sampled_from([" ", ", ", ". ", "\n", " - ", " 2025 "]), min_size=40, max_size=40),
)


@settings(database=None, deadline=None)
@given(st.binary(max_size=3000), LABELS, CONFIGURED, st.booleans())
def test_any_bytes_decode_or_raise_input_error(
    data: bytes, declared: str | None, override: str | None, markup: bool
) -> None:
    try:
        decoded = decode_bytes(
            data, locator="b.bin", declared=declared, override=override, markup=markup
        )
    except InputError as exc:
        assert exc.where == "b.bin"
        return
    assert decoded.text.strip()
    assert not any(ord(c) < 32 and c not in "\t\n\f\r" for c in decoded.text)
    assert all(w.startswith("b.bin: ") for w in decoded.warnings)


@settings(database=None, deadline=None)
@given(TEXT)
def test_any_text_round_trips_through_utf8(text: str) -> None:
    assert decode_bytes(text.encode(), locator="t", markup=True) == Decoded(text, "utf-8")


@settings(database=None, deadline=None)
@given(RUSSIAN_PROSE)
def test_russian_prose_round_trips_through_windows_1251(text: str) -> None:
    assert decode_bytes(text.encode("cp1251"), locator="t") == Decoded(text, "cp1251")


@settings(database=None, deadline=None)
@given(st.text(st.sampled_from([*CP1251_CHARS, "\n"]), min_size=1).filter(str.strip))
def test_any_windows_1251_text_round_trips_when_configured(text: str) -> None:
    # The one exception: the bytes of a UTF-8 byte order mark.
    assume(not text.startswith("п»ї"))
    assert decode_bytes(text.encode("cp1251"), locator="t", override="cp1251") == Decoded(
        text, "cp1251"
    )
