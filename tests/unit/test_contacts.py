"""Contact details have one home, data/contacts.yml; everything else uses them exactly as written there."""

import re
from pathlib import Path

import pytest
import yaml

from actions.sources import source_problem
from bot.contacts import (
    ContactError,
    contacts,
    fill,
    numbers_written_differently,
    public_phone_numbers,
    typed_contact,
    widget_values,
)
from tests.conftest import run_coroutine

ROOT = Path(__file__).resolve().parents[2]
# Files that may write numbers out (they must work with the action server down) and the widget.
STATIC_TEXTS = ["domain.yml", "bot/channels/messages.yml"]
WIDGET = ["bot/widget/index.html", "bot/widget/widget.js", "bot/widget/embed.js"]
PHONE_SHAPED = re.compile(r"(?<![\w-])(?:\+?1[-. ]?)?\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}(?![\w-])")
SHORT_CODE = re.compile(r"(?<![\w.,$/:#-])\d{5,6}(?![\w.,/-])")
EMERGENCY_LIKE = re.compile(r"(?<![\w.,$/:#-])(911|988|711)(?![\w,/-]|\.\d)")


def test_every_contact_names_an_official_source_and_numbers_are_well_formed():
    for key, fields in contacts().items():
        assert source_problem(fields["source"]["url"]) is None, key
        assert fields["source"]["title"], key


def test_public_phone_numbers_lists_every_number_for_the_scrubber():
    numbers = public_phone_numbers()
    for expected in (
        "911",
        "988",
        "1-888-373-7888",
        "233733",
        "711",
        "1-800-799-7233",
        "1-800-787-3224",
        "88788",
        "1-877-447-4847",
        "1-888-539-2373",
    ):
        assert expected in numbers
    every = {str(f[n]) for f in contacts().values() for n in ("phone", "text", "tty") if n in f}
    assert set(numbers) == every
    assert len(numbers) == len(set(numbers))


def test_fill_uses_the_language_and_refuses_unknown_details():
    assert fill("{hotline.name}", "es") == "Línea Nacional contra la Trata de Personas"
    assert fill("{hsi_tipline.phone}") == "1-877-447-4847"
    with pytest.raises(ContactError, match="hotline.fax"):
        fill("{hotline.fax}")


@pytest.mark.parametrize(
    "written", ["1-888-373-7888", "888-373-7888", "(888) 373-7888", "18883737888", "911", "233733"]
)
def test_a_typed_number_is_found_however_it_is_written(written):
    assert typed_contact(f"Call {written} now.") is not None


@pytest.mark.parametrize("text", ["Directive 11005.4", "Executive Order 14159", "$5,000", "in 1988", "7/11"])
def test_other_numbers_are_not_taken_for_contacts(text):
    assert typed_contact(text) is None


@pytest.mark.parametrize("name", STATIC_TEXTS + WIDGET)
def test_numbers_outside_the_knowledge_base_are_the_contacts_written_the_same_way(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    allowed = set(public_phone_numbers())
    for found in PHONE_SHAPED.findall(text) + SHORT_CODE.findall(text) + EMERGENCY_LIKE.findall(text):
        assert found in allowed, (name, found)
    assert numbers_written_differently(text) == [], name


@pytest.mark.parametrize("name", WIDGET)
def test_the_widget_types_no_contact_number(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert typed_contact(text) is None, (name, typed_contact(text))


def test_the_widget_page_placeholders_are_all_known_contact_details():
    page = (ROOT / "bot/widget/index.html").read_text(encoding="utf-8")
    placeholders = set(re.findall(r"\{\{[a-z_]+\.[a-z_]+\}\}", page))
    assert {"{{emergency.phone}}", "{{hotline.phone}}", "{{hotline.text}}"} <= placeholders
    assert placeholders <= set(widget_values())


def test_static_responses_use_the_hotline_and_911_as_written_in_contacts():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    emergency = " ".join(v["text"] for v in domain["responses"]["utter_emergency"])
    assert contacts()["emergency"]["phone"] in emergency
    hotline = " ".join(v["text"] for v in domain["responses"]["utter_emergency_support"])
    assert contacts()["hotline"]["phone"] in hotline and contacts()["hotline"]["text"] in hotline


def _scrubbed_public_numbers():
    from bot.privacy.scrubber import Scrubber

    scrubber = Scrubber.default()
    return [n for n in public_phone_numbers() if scrubber.scrub(f"is {n} free") != f"is {n} free"]


def test_the_scrubber_keeps_every_public_number():
    assert _scrubbed_public_numbers() == []


class _RouteRecorder:
    """Stands in for the Sanic app: records the routes the socket.io channel adds for the widget."""

    def __init__(self):
        self.routes = {}

    def add_route(self, handler, uri, **_):
        self.routes[uri] = handler


def _served(uri):

    from bot.channels.socketio import HarborSocketIOInput

    app = _RouteRecorder()
    HarborSocketIOInput.from_credentials({}).widget_routes(app)
    return run_coroutine(app.routes[uri](None)).body.decode("utf-8")  # a loop of its own: Playwright may hold this one


def test_the_served_widget_page_carries_the_contact_details_from_their_home():
    page = _served("/widget/")
    assert "{{" not in page
    assert f'data-hotline-phone="{contacts()["hotline"]["phone"]}"' in page
    assert f'data-hotline-text="{contacts()["hotline"]["text"]}"' in page
    assert f'data-emergency-phone="{contacts()["emergency"]["phone"]}"' in page
    assert f"Call {contacts()['emergency']['phone']}." in page
    assert "{{" not in _served("/widget/embed.js")
