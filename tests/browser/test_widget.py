"""The chat page at /widget/: conversation, rendering, safety of text, errors, language, layout."""

import json
import os
import re
from pathlib import Path

from bot.settings import action_timeout, reply_timeout_seconds
from tests.browser.conftest import AXE, PHONE, SESSION_ID

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def test_a_round_trip_shows_the_question_and_the_answer(widget):
    page = widget.open().page
    replies = widget.say("hello")

    assert page.locator(".msg-user .text").last.inner_text() == "hello"
    assert any("Harbor" in text for text in replies)
    assert widget.quick_replies().count() >= 2  # the greeting's menu as quick replies
    assert page.locator("#error").is_hidden()
    assert page.locator("#status").inner_text() == ""  # typing indicator gone after the reply


def test_a_quick_reply_click_sends_its_payload_and_shows_its_title(widget, tmp_path):
    page = widget.open().page
    widget.say("hello")
    first = widget.quick_replies().first
    title = first.inner_text()
    before = widget.bot_texts()

    replies = widget.click_reply(title)

    assert page.locator(".msg-user .text").last.inner_text() == title  # the title, not "/ask_…"
    assert replies and not any(r in before for r in replies)  # a new answer, not the greeting
    assert not any(r.startswith("/") for r in replies)
    assert page.locator(".replies.quick").count() <= 1  # the answered menu is gone
    # The README's picture (360 × 740): `make screenshot` sets HARBOR_SCREENSHOT to
    # docs/widget-phone.png; a plain test run writes into its own temporary folder.
    shot = Path(os.environ.get("HARBOR_SCREENSHOT") or tmp_path / "widget-phone.png")
    page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_html_typed_by_the_user_is_shown_as_inert_text(widget):
    page = widget.open().page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    attack = "<img src=x onerror=alert(1)> <script>alert(2)</script>"

    widget.say(attack)

    assert page.locator(".msg-user .text").last.inner_text() == attack
    assert page.locator("#log img, #log script").count() == 0
    assert dialogs == []


def test_html_and_script_links_from_the_server_are_inert(context, make_widget):
    """Whatever the server sends (a bug, a poisoned knowledge file), no markup reaches the DOM."""
    page = context.new_page()
    sockets = []

    def relay(ws):
        ws.connect_to_server()  # forwards both ways; we only add frames towards the page
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), relay)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    widget = make_widget(page).open()
    assert sockets, "the widget did not open its socket through the route"
    message = {
        "text": "<img src=x onerror=alert(1)> <b>bold</b> javascript:alert(2) "
        "see https://www.state.gov/t-visa). Call 1-888-373-7888.",
        "quick_replies": [{"content_type": "text", "title": "<i>Yes</i>", "payload": "/affirm"}],
        "buttons": [
            {"type": "web_url", "title": "Evil", "url": "javascript:alert(3)"},
            {"type": "web_url", "title": "Site", "url": "https://www.dhs.gov/blue-campaign"},
        ],
    }
    sockets[0].send("42" + json.dumps(["bot_uttered", message]))
    page.wait_for_selector(".msg-bot:not(.intro)")

    bubble = page.locator(".msg-bot:not(.intro)").last
    assert "<img src=x onerror=alert(1)> <b>bold</b> javascript:alert(2)" in bubble.inner_text()
    assert page.locator("#log img, #log b, #log i, #log script").count() == 0
    hrefs = page.eval_on_selector_all("#log a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://www.state.gov/t-visa", "tel:+18883737888", "https://www.dhs.gov/blue-campaign"]
    assert widget.quick_replies().first.inner_text() == "<i>Yes</i>"
    assert page.get_by_text("Evil").count() == 0  # a javascript: button is dropped
    link = page.locator("#log a").first
    assert link.get_attribute("rel") == "noopener noreferrer" and link.get_attribute("target") == "_blank"
    assert dialogs == []


def test_typing_indicator_then_the_hotline_when_no_reply_comes(context, make_widget):
    page = context.new_page()

    def swallow_replies(ws):
        server = ws.connect_to_server()
        server.on_message(lambda m: None if "bot_uttered" in str(m) else ws.send(m))

    page.route_web_socket(re.compile(r".*/socket\.io/.*"), swallow_replies)
    make_widget(page).open()
    page.get_by_label("Your message").fill("how long does a T visa last?")
    page.keyboard.press("Enter")

    assert page.get_by_role("status").inner_text().startswith("Harbor is typing")
    assert page.locator("#error").is_hidden()
    alert = page.get_by_role("alert")
    # the widget waits as long as the server's action timeout plus a margin (bot/settings.py)
    waits_ms = int(page.locator("html").get_attribute("data-reply-timeout-ms"))
    assert waits_ms == round(reply_timeout_seconds() * 1000) > action_timeout() * 1000
    alert.wait_for(state="visible", timeout=waits_ms + 5_000)
    assert "1-888-373-7888" in alert.inner_text() and "233733" in alert.inner_text()
    assert "911" in alert.inner_text()
    hrefs = alert.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["tel:+18883737888", "sms:233733", "tel:911"]
    assert page.get_by_role("status").inner_text() == ""


def test_the_hotline_shows_when_the_server_cannot_be_reached(context, make_widget):
    page = context.new_page()
    page.route_web_socket(re.compile(r".*/socket\.io/.*"), lambda ws: ws.close())
    page.route(re.compile(r".*/socket\.io/.*"), lambda route: route.abort())
    page.goto(f"{make_widget(page).base}/widget/")

    alert = page.get_by_role("alert")
    alert.wait_for(state="visible", timeout=10_000)  # 5 s without a connection
    assert "1-888-373-7888" in alert.inner_text()
    assert page.evaluate("() => sessionStorage.getItem('harbor.session')") is None


def test_the_language_switch_changes_the_page_and_the_assistant(widget):
    page = widget.open().page

    page.get_by_role("button", name="Español").click()
    replies = widget.wait_for_replies(0)

    assert any("español" in r for r in replies)  # utter_language_switched, Spanish variant
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("button", name="Español").get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="Salida rápida").is_visible()
    assert page.get_by_label("Su mensaje").get_attribute("placeholder") == "Escriba un mensaje…"
    assert page.locator(".msg-user").count() == 0  # the payload is not shown as typed text
    assert any(b.inner_text() for b in widget.quick_replies().all())

    before = widget.bot_messages.count()
    page.get_by_role("button", name="English").click()
    replies = widget.wait_for_replies(before)
    assert any("English" in r for r in replies)
    assert page.locator("html").get_attribute("lang") == "en"


def test_each_answer_is_marked_with_the_language_the_server_says_it_is_in(widget):
    # An English page, a person writing Spanish: the answers are Spanish, and so is their `lang`
    # (screen readers pronounce them as Spanish); the server says so with each message.
    page = widget.open().page
    answers = page.locator(".msg-bot:not(.intro)")

    def languages(since: int) -> set:
        return {answers.nth(i).get_attribute("lang") for i in range(since, answers.count())}

    assert any("Fuente" in r for r in widget.say("hola, ¿qué es la visa T?"))
    assert languages(0) == {"es"} and page.locator(".replies").last.get_attribute("lang") == "es"
    assert page.locator("html").get_attribute("lang") == "en"  # the page itself stays English
    before = answers.count()
    assert any("Source" in r for r in widget.say("what is a u visa"))
    assert languages(before) == {"en"}


def test_a_spanish_page_starts_a_spanish_conversation(widget):
    page = widget.open("?lang=es").page
    assert page.get_by_role("button", name="Salida rápida").is_visible()

    replies = widget.say("hola")

    assert any("español" in r or "Hola" in r for r in replies)
    assert not any("Hi, I'm Harbor" in r for r in replies)


def test_the_server_issues_the_session_id_and_ignores_one_the_client_chose(new_context, make_widget):
    context = new_context()
    context.add_init_script(
        "if (location.pathname === '/widget/') sessionStorage.setItem('harbor.session', 'chosen-by-the-client')"
    )
    widget = make_widget(context.new_page())
    widget.page.goto(f"{widget.base}/widget/")
    widget.page.wait_for_function("() => (sessionStorage.getItem('harbor.session') || '') !== 'chosen-by-the-client'")
    issued = widget.session_id()
    assert SESSION_ID.match(issued)

    other = make_widget(new_context().new_page()).open()
    assert other.session_id() != issued  # one conversation per tab
    assert widget.say("hello")  # and the issued id carries the chat


def test_a_reload_keeps_the_server_issued_id_and_a_forged_one_is_replaced(widget):
    page = widget.open().page
    issued = widget.session_id()
    page.reload()
    assert widget.wait_for_session() == issued

    forged = issued[:-4] + ("AAAA" if not issued.endswith("AAAA") else "BBBB")
    page.evaluate("id => sessionStorage.setItem('harbor.session', id)", forged)
    page.reload()
    page.wait_for_function("f => sessionStorage.getItem('harbor.session') !== f", arg=forged)
    fresh = widget.session_id()
    assert SESSION_ID.match(fresh) and fresh not in (issued, forged)


def test_a_message_cannot_be_filed_under_another_conversation(new_context, make_widget):
    victim = make_widget(new_context().new_page()).open()
    victim_id = victim.session_id()
    intruder = new_context().new_page()
    intruder.goto(f"{victim.base}/")  # same origin, a page without the widget
    intruder.add_script_tag(url=f"{victim.base}/widget/vendor/socket.io.min.js")
    answer = intruder.evaluate(
        """victimId => new Promise(resolve => {
        const s = io({transports: ["websocket"]});
        s.on("connect", () => s.emit("session_request", {session_id: victimId + "x"}));
        s.on("session_confirm", id => s.emit("user_uttered", {message: "hello", session_id: victimId}));
        s.on("bot_uttered", m => resolve(m.text || ""));
        setTimeout(() => resolve(null), 20000);
    })""",
        victim_id,
    )

    assert answer and "Harbor" in answer  # the intruder got its own reply …
    victim.page.wait_for_timeout(1500)
    assert victim.bot_messages.count() == 0  # … and nothing reached the other conversation


def test_keyboard_alone_reaches_quick_exit_first_then_chats(widget):
    page = widget.open().page
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "exit"  # first stop: Quick exit

    for _ in range(6):  # English, Español, the conversation, the message box
        if page.evaluate("() => document.activeElement.id") == "input":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "input"
    page.keyboard.type("hello")
    before = widget.bot_messages.count()
    page.keyboard.press("Enter")
    widget.wait_for_replies(before)

    page.keyboard.press("Shift+Tab")  # back from the message box to the last quick reply
    focused = page.evaluate("() => document.activeElement.textContent")
    assert page.evaluate("() => document.activeElement.closest('.replies') !== null")
    before = widget.bot_messages.count()
    page.keyboard.press("Enter")
    widget.wait_for_replies(before)
    assert page.locator(".msg-user .text").last.inner_text() == focused
    assert page.evaluate("() => document.activeElement.id") == "input"  # focus not lost


def test_the_page_fits_a_360_px_phone(widget):
    page = widget.open().page
    for text in ("hello", "what is a T visa?", "how do I find a lawyer?"):
        widget.say(text)

    size = page.evaluate("""() => ({
        width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
        inputFont: parseFloat(getComputedStyle(document.getElementById('input')).fontSize)})""")
    assert size["width"] <= PHONE["width"]  # no sideways scrolling
    assert size["height"] <= PHONE["height"]  # only the conversation scrolls
    assert size["inputFont"] >= 16  # phones do not zoom in on focus
    exit_box = page.get_by_role("button", name="Quick exit").bounding_box()
    assert exit_box["y"] >= 0 and exit_box["y"] + exit_box["height"] <= 100  # still on screen
    for button in page.locator("button:visible").all():
        assert button.bounding_box()["height"] >= 44, button.inner_text()  # tap targets


def axe_check(page):
    page.evaluate(AXE.read_text(encoding="utf-8"))  # axe-core from npm, injected locally
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA + ["best-practice"]
    )
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


def test_axe_finds_no_serious_or_critical_problems_in_a_conversation(widget):
    page = widget.open().page
    widget.say("hello")
    widget.click_reply(widget.quick_replies().first.inner_text())

    violations = axe_check(page)
    assert not [v for v in violations if v[1] in ("serious", "critical")], violations
    assert page.evaluate("() => typeof axe") == "object"  # the check really ran


def test_axe_finds_no_serious_or_critical_problems_in_spanish_with_the_error_shown(context, make_widget):
    page = context.new_page()
    page.route_web_socket(re.compile(r".*/socket\.io/.*"), lambda ws: ws.close())
    page.route(re.compile(r".*/socket\.io/.*"), lambda route: route.abort())
    page.goto(f"{make_widget(page).base}/widget/?lang=es")
    page.get_by_role("alert").wait_for(state="visible", timeout=10_000)

    violations = axe_check(page)
    assert not [v for v in violations if v[1] in ("serious", "critical")], violations
