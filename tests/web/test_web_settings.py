"""My settings over real HTTP: a person's language and time zone live on their account and win over the
browser's (cookie, then Accept-Language; the zone their browser reported, then the workspace's)."""

from __future__ import annotations

import httpx
from test_web_pages import PASSWORD, csrf_of, people

from api_client import as_user, wait_status


async def signed_in(
    api: httpx.AsyncClient, email: str, *, zone: str = "Asia/Jakarta", **headers: str
) -> httpx.AsyncClient:
    """A new browser: its own cookie jar and Accept-Language, signed in through the form."""
    client = httpx.AsyncClient(base_url=api.base_url, timeout=30, headers=headers)
    r = await client.post("/signin", data={"email": email, "password": PASSWORD, "next": "/", "time_zone": zone})
    assert r.status_code == 303, r.text
    return client


async def awaiting(api: httpx.AsyncClient) -> None:
    body = {
        "channel_id": "sbx",
        "text": "Our roastery opens.",
        "submit": True,
        "publish_at": "2030-12-03T09:00:00+07:00",
    }
    r = await api.post("/posts", json=body, headers=as_user("ed"))
    assert r.status_code == 201, r.text
    await wait_status(api, r.json()["id"], "ed", "awaiting_approval")


async def test_my_language_and_zone_follow_me_to_every_browser(api: httpx.AsyncClient) -> None:
    await people(api)
    await awaiting(api)
    laptop = await signed_in(api, "pia@example.com", **{"Accept-Language": "en-GB"})
    home = await laptop.get("/")
    assert "Preferences" in home.text and "Tue 3 Dec 2030 09:00 WIB" in home.text  # the browser's zone

    page = await laptop.get("/account/preferences")
    assert (
        page.status_code == 200
        and 'value="Europe/Berlin"' in page.text
        and "From my browser (now English)" in page.text
    )
    r = await laptop.post(
        "/account/preferences", data={"csrf_token": csrf_of(page.text), "locale": "id", "time_zone": "Europe/Berlin"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/account/preferences?saved=1"
    saved = await laptop.get("/account/preferences?saved=1")
    assert "Pengaturan Anda sudah disimpan." in saved.text and '<option value="Europe/Berlin" selected>' in saved.text

    # Another browser, in English, that reports Jakarta and once chose English: my account wins.
    phone = await signed_in(api, "pia@example.com", zone="Asia/Jakarta", **{"Accept-Language": "en"})
    phone.cookies.set("postgate_lang", "en")
    home = await phone.get("/")
    assert 'lang="id"' in home.text and "Menunggu saya" in home.text
    assert "Sel 3 Des 2030 03.00 CET" in home.text
    me = (await api.get("/me", headers=as_user("pia"))).json()
    assert (me["locale"], me["time_zone"]) == ("id", "Europe/Berlin")

    # The language links change my account's language too (else they could not win over it).
    r = await phone.get("/language?lang=en&next=/")
    assert r.status_code == 303
    assert "Tue 3 Dec 2030 03:00 CET" in (await laptop.get("/")).text

    # Back to my browser's: the cookie, then Accept-Language, and the zone reported at sign-in.
    page = await laptop.get("/account/preferences")
    r = await laptop.post(
        "/account/preferences", data={"csrf_token": csrf_of(page.text), "locale": "", "time_zone": ""}
    )
    assert r.status_code == 303
    assert "Tue 3 Dec 2030 09:00 WIB" in (await laptop.get("/")).text
    stranger = await signed_in(api, "pia@example.com", **{"Accept-Language": "id-ID,en;q=0.5"})
    assert "Sel 3 Des 2030 09.00 WIB" in (await stranger.get("/")).text


async def test_a_language_or_zone_not_in_the_list_is_refused_and_nothing_is_stored(api: httpx.AsyncClient) -> None:
    await people(api)
    pia = await signed_in(api, "pia@example.com", **{"Accept-Language": "en"})
    page = await pia.get("/account/preferences")

    r = await pia.post(
        "/account/preferences", data={"csrf_token": csrf_of(page.text), "locale": "fr", "time_zone": "Mars/Olympus"}
    )

    assert r.status_code == 422
    assert "Choose a language from the list." in r.text and "Choose a time zone from the list." in r.text
    assert 'aria-describedby="error-time_zone"' in r.text
    no_csrf = await pia.post("/account/preferences", data={"locale": "id"})
    assert no_csrf.status_code == 403
    me = (await api.get("/me", headers=as_user("pia"))).json()
    assert (me["locale"], me["time_zone"]) == (None, None)
    r = await api.put("/me/preferences", json={"locale": "id", "time_zone": "Nowhere"}, headers=as_user("pia"))
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    r = await api.put("/me/preferences", json={"locale": "id", "time_zone": "Asia/Makassar"}, headers=as_user("pia"))
    assert r.status_code == 200 and r.json() == {"locale": "id", "time_zone": "Asia/Makassar"}
