"""The starter styles for social copy (brand/starter), on sample posts in English and Bahasa Indonesia:
the errors they exist for are found, and correct posts stay quiet."""

from __future__ import annotations

import pytest
from brand_helpers import findings_of

from brand.engine import compile_style
from brand.starters import STARTERS, starter_files

EN = compile_style(starter_files("en-social"))
ID = compile_style(starter_files("id-social"))


def _found(style: object, text: str) -> list[tuple[str, str, str | None]]:
    return [(f.rule, f.match, f.replacement) for f in findings_of(style, text)]  # type: ignore[arg-type]


def test_every_starter_loads() -> None:
    assert STARTERS == ("en-social", "id-social")
    assert EN.names == ("SocialEN",) and ID.names == ("SocialID",)
    with pytest.raises(ValueError, match="no starter style"):
        starter_files("fr-social")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("Kami buka dirumah mulai besok.", [("SocialID.KataDepan", "dirumah", "di rumah")]),
        ("Yuk kejakarta akhir pekan ini!", [("SocialID.KataDepan", "kejakarta", "ke jakarta")]),
        ("Dimana kamu belanja? Disini saja.", [("SocialID.KataDepan", "Dimana", "Di mana"),
                                                 ("SocialID.KataDepan", "Disini", "Di sini")]),
        ("Semua pesanan di kirim hari ini.", [("SocialID.AwalanDi", "di kirim", "dikirim")]),
        ("Ulasan ini di tulis oleh pelanggan.", [("SocialID.AwalanDi", "di tulis", "ditulis")]),
        ("Hadiah akan di berikan minggu depan.", [("SocialID.AwalanDi", "di berikan", "diberikan")]),
        ("Cek apotik terdekat untuk nasehat dokter.", [("SocialID.KataBaku", "apotik", "apotek"),
                                                        ("SocialID.KataBaku", "nasehat", "nasihat")]),
        ("Resiko kecil, praktek mudah, ijin lengkap.", [("SocialID.KataBaku", "Resiko", "Risiko"),
                                                         ("SocialID.KataBaku", "praktek", "praktik"),
                                                         ("SocialID.KataBaku", "ijin", "izin")]),
        ("Terima kasih pada semua pelanggan setia.", [("SocialID.KepadaPada", "Terima kasih pada",
                                                        "Terima kasih kepada")]),
        ("Promo berlaku kepada hari Senin saja.", [("SocialID.KepadaPada", "kepada hari", "pada hari")]),
        ("Diskon hari ini!!!", [("SocialID.TandaSeru", "!!!", None)]),
    ],
)  # fmt: skip
def test_indonesian_errors_are_found(post: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert _found(ID, post) == expected


@pytest.mark.parametrize(
    "post",
    [
        "Kami buka di rumah mulai besok.",
        "Ulasan ini ditulis oleh pelanggan dan dimakan habis oleh tim kami.",
        "Yuk ke Jakarta akhir pekan ini! Di mana kamu belanja? Di sini saja.",
        "Semua pesanan dikirim hari ini dan dijalankan oleh kurir kami.",
        "Karyawan yang dirumahkan tetap menerima gaji.",
        "Kami keluar kota besok, kantor tutup di jalan Sudirman.",
        "Info lengkap ada di pesan ini dan di proses pendaftaran.",
        "Acara di pekan raya dimulai pukul 10.",
        "Cek apotek terdekat untuk nasihat dokter. Risiko kecil, praktik mudah, izin lengkap.",
        "Terima kasih kepada semua pelanggan setia. Promo berlaku pada hari Senin saja.",
        "Rubah itu lari ke hutan.",
    ],
)
def test_correct_indonesian_posts_are_quiet(post: str) -> None:
    assert _found(ID, post) == []


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("We recieved alot of orders!", [("SocialEN.Misspellings", "recieved", "received"),
                                          ("SocialEN.Misspellings", "alot", "a lot")]),
        ("You should of seen it.", [("SocialEN.Misspellings", "should of", "should have")]),
        ("In order to join, sign up.", [("SocialEN.Wordiness", "In order to", "To")]),
        ("You won't believe what happens next", [("SocialEN.Clickbait", "You won't believe", None),
                                                  ("SocialEN.Clickbait", "what happens next", None)]),
        ("Sale ends today!!", [("SocialEN.Exclamation", "!!", None)]),
        ("Join the the launch", [("SocialEN.Repeated", "the the", None)]),
    ],
)  # fmt: skip
def test_english_errors_are_found(post: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert _found(EN, post) == expected


@pytest.mark.parametrize(
    "post",
    [
        "We received a lot of orders! Thanks, everyone.",
        "To join, sign up by Friday. Tag your team in the comments if you like.",
        "You should have seen it: the launch is live at https://acme.example/launch #AcmeLaunch",
        "Our new calendar is out tomorrow, and it is separate from the old one.",
    ],
)
def test_correct_english_posts_are_quiet(post: str) -> None:
    assert _found(EN, post) == []
