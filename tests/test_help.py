"""The public help pages: help services near you (from the directory) and the accessibility
statement, on SQLite and PostgreSQL. Every page fetched here also passes the page checks."""

from __future__ import annotations

import re
from html import unescape

import pytest

import i18n
from db.tables import Service
from services import directory
from tests.dbutil import rows, run
from tests.journey import h1
from tests.staff_helpers import english, text_of, unique

HELP = "/help-services"
ACCEPT = {"Accept-Encoding": "br"}
HTML_BUDGET = 10 * 1024


@pytest.fixture
def add(backend):
    """add(name_prefix, **columns) -> name: a service row, deleted again after the test."""
    made: list[int] = []

    def add_service(prefix: str = "Service ", **values) -> str:
        values = {"kind": "ngo", "public": True, "active": True, **values}
        name = unique(prefix)
        made.append(run(Service.insert(Service(name=name, **values)).returning(Service.id))[0]["id"])
        return name

    yield add_service
    if made:
        run(Service.delete().where(Service.id.is_in(made)))


@pytest.fixture
def en(client):
    english(client)
    return client


def page(client, query: str = "") -> str:
    response = client.get(HELP + query)
    assert response.status_code == 200, (query, response.status_code)
    return unescape(response.text)


def tel_hrefs(html: str) -> list[str]:
    return re.findall(r'href="tel:([^"]*)"', html)


def test_public_active_services_are_shown_and_the_others_never(en, add):
    shown = add("Shown ", kind="legal_aid", county="tirane", municipality="tirane",
                address="Rruga e Durrësit 1", hours="Monday to Friday, 8:00 to 16:00")
    hidden = [add("Private ", public=False), add("Closed ", active=False),
              add("Private closed ", public=False, active=False),
              add("Example private ", public=False, example=True)]
    example = add("Example ", example=True, county="shkoder")
    html = page(en)
    assert h1(html) == "Help near you"
    assert shown in html and "Legal aid" in html
    assert "Rruga e Durrësit 1" in html and "Monday to Friday, 8:00 to 16:00" in html
    assert not [name for name in hidden if name in html]
    # An example is shown only because it is public, and it says what it is.
    item = re.search(rf"<li>(?:(?!</li>).)*{example}.*?</li>", html, re.S).group(0)
    assert "This is an example, not a real service" in item
    shown_item = re.search(rf"<li>(?:(?!</li>).)*{shown}.*?</li>", html, re.S).group(0)
    assert "This is an example" not in shown_item


def test_the_helpline_and_emergency_numbers_are_always_at_the_top(en, add):
    add("Police ", kind="police", phone="129")
    html = page(en, "?county=kukes")
    assert html.index('id="emergency"') < html.index('class="filters"')
    card = html.split('id="emergency"')[1].split("</section>")[0]
    assert set(tel_hrefs(card)) == {"112", "129", "127", "116111"}


def test_phone_numbers_are_tel_links_of_digits_and_plus_only(en, add):
    name = add("Phone ", phone="+355 (4) 222-3333")
    local = add("Local phone ", phone="0800 11 11", county="vlore")
    words_only = add("No digits ", phone="ask at the desk")
    html = page(en)
    assert 'href="tel:+35542223333"' in html and "Call +355 (4) 222-3333" in html
    assert 'href="tel:08001111"' in html and "Call 0800 11 11" in html
    assert "ask at the desk" in html and name in html and local in html and words_only in html
    assert all(re.fullmatch(r"\+?[0-9]+", href) for href in tel_hrefs(html)), tel_hrefs(html)


@pytest.mark.parametrize("phone, href", [("+355 4 222 3333", "+35542223333"),
                                         ("04/222-3333 ext. 5", "0422233335"),
                                         ("٠١٢", ""), ("+", ""), ("", ""),
                                         ("tel:112;javascript:alert(1)", "1121")])
def test_tel_keeps_a_leading_plus_and_ascii_digits(phone, href):
    assert directory.tel(phone) == href


def test_national_services_come_first_under_their_own_heading(en, add):
    county_wide = add("Aaa county ", county="berat")
    town = add("Aaa town ", county="berat", municipality="berat")
    national = add("Zzz national ")
    text = text_of(page(en))
    whole_country = text.index("Services for the whole country")
    assert whole_country < text.index(national) < text.index("Berat county")
    assert text.index("Berat county") < text.index(county_wide) < text.index(town)
    assert not re.search(r"<h2>[^<]*county</h2>.*Services for the whole country", page(en), re.S)


def test_filtering_by_county_then_municipality(en, add):
    national = add("National ")
    county_wide = add("Tirana county ", county="tirane")
    tirana = add("Tirana town ", county="tirane", municipality="tirane")
    kamez = add("Kamez ", county="tirane", municipality="kamez")
    shkoder = add("Shkoder ", county="shkoder", municipality="shkoder")

    everywhere = page(en)
    assert all(name in everywhere for name in (national, county_wide, tirana, kamez, shkoder))
    assert 'name="municipality"' not in everywhere  # first the county, then the municipality

    county = page(en, "?county=tirane")
    assert all(name in county for name in (national, county_wide, tirana, kamez))
    assert shkoder not in county
    assert '<option value="tirane" selected>' in county
    assert '<select id="municipality" name="municipality"' in county
    assert '<option value="kamez">Kamëz</option>' in county

    town = page(en, "?county=tirane&municipality=kamez")
    assert all(name in town for name in (national, county_wide, kamez))
    assert tirana not in town and shkoder not in town
    assert '<option value="kamez" selected>' in town
    assert "<h3>Kamëz</h3>" in town and "<h3>Tiranë</h3>" not in town


@pytest.mark.parametrize("query", ["?county=nowhere", "?county=%3Cscript%3E&municipality=x",
                                   "?municipality=kamez", "?county=&municipality=",
                                   "?county=" + "a" * 5000, "?county=tiran%C3%AB",
                                   "?county=%00", "?county=national", "?county=tirane%20",
                                   "?other=1"])
def test_bad_filter_values_show_everything(en, add, query):
    tirana, shkoder = add("Tirana ", county="tirane"), add("Shkoder ", county="shkoder")
    html = page(en, query)
    assert tirana in html and shkoder in html
    assert 'name="municipality"' not in html and " selected>" not in html


def test_a_repeated_county_picks_one_of_them(en):
    html = page(en, "?county=kukes&county=tirane&municipality=has&municipality=kamez")
    assert len(re.findall(r'<option value="[a-z-]+" selected>', html)) <= 2


def test_a_municipality_of_another_county_is_ignored(en, add):
    kamez = add("Kamez ", county="tirane", municipality="kamez")
    shkoder = add("Shkoder ", county="shkoder", municipality="shkoder")
    html = page(en, "?county=shkoder&municipality=kamez")
    assert shkoder in html and kamez not in html
    assert '<select id="municipality"' in html and 'value="kamez"' not in html


def test_an_empty_place_says_so_and_points_to_the_helpline(en, add):
    assert not rows(Service, Service.county == "kukes", Service.public == True,  # noqa: E712
                    Service.active == True)  # noqa: E712
    add("Hidden in Kukes ", county="kukes", public=False)
    html = page(en, "?county=kukes&municipality=has")
    assert "We do not know of a help service here yet." in html
    message = html.split("We do not know of a help service here yet.")[1].split("</p>")[0]
    assert 'href="tel:116111"' in message and "116 111" in message
    assert "Kukës county" not in html


def test_no_public_services_at_all(en, monkeypatch):
    async def nothing(county="", municipality=""):
        return []

    monkeypatch.setattr(directory, "public_services", nothing)
    html = page(en)
    assert "We do not know of a help service here yet." in html
    assert "<h2>Services for the whole country</h2>" not in html


def test_the_accessibility_statement_in_english(en):
    response = en.get("/accessibility")
    assert response.status_code == 200
    html = unescape(response.text)
    assert h1(html) == "Accessibility statement" and 'lang="en"' in html
    for words in ("WCAG 2.2 at level AA", "320 pixels", "JavaScript turned off",
                  "1.3.5", "sign language", "28.11.2026"):
        assert words in html, words
    assert 'href="tel:116111"' in html and 'href="/chat"' in html


def test_the_accessibility_statement_in_albanian(client):
    response = client.get("/accessibility")
    assert response.status_code == 200
    assert response.headers["content-language"] == "sq" and 'lang="sq"' in response.text
    albanian = i18n.translations("sq").gettext("Accessibility statement")
    assert h1(unescape(response.text)) == albanian
    assert "WCAG 2.2" in response.text and 'href="tel:116111"' in response.text


def test_the_help_page_in_albanian(client, add):
    name = add("Qendra ", county="tirane")
    html = page(client)
    assert 'lang="sq"' in html and name in html
    assert h1(html) == i18n.translations("sq").gettext("Help near you")


def test_the_footer_links_to_both_pages(en):
    footer = en.get("/").text.split("<footer>")[1]
    assert 'href="/help-services">Help near you</a>' in footer
    assert 'href="/accessibility">Accessibility</a>' in footer


@pytest.mark.parametrize("language", ["sq", "en"])
def test_both_pages_fit_the_html_budget_with_a_full_directory(sqlite_client, engines, language):
    """One public service in each municipality, one per county and three national, with every
    detail filled in: still within 10 KB as sent."""
    from config import get_settings

    sqlite_client.get(f"/language/{language}?next=/")
    made = []
    places = [("", "")] * 3
    for county in get_settings().profile.counties:
        places += [(county.id, "")] + [(county.id, town.id) for town in county.municipalities]
    for county, town in places:
        service = Service(name=unique("Njësia për Mbrojtjen e Fëmijëve "), kind="child_protection",
                          county=county, municipality=town, phone="+355 4 222 3333",
                          address="Rruga e Kavajës, nr. 12, kati 2", public=True, active=True,
                          hours="E hënë – e premte, 8:00–16:00")
        made.append(run(Service.insert(service).returning(Service.id))[0]["id"])
    try:
        for path in (HELP, HELP + "?county=tirane&municipality=kamez", "/accessibility"):
            response = sqlite_client.get(path, headers=ACCEPT)
            assert response.headers.get("content-encoding") == "br"
            size = response.num_bytes_downloaded
            print(f"{path} ({language}): {size} B")
            assert size <= HTML_BUDGET, f"{path}: {size} B"
    finally:
        run(Service.delete().where(Service.id.is_in(made)))
