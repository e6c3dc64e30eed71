"""Quick exit: the page is replaced at once, Back does not return, nothing is left behind."""

import pytest

from tests.browser.conftest import EXIT_URL, SESSION_ID

LEFTOVERS = """async () => ({
    session: sessionStorage.length,
    local: localStorage.length,
    cookies: document.cookie,
    databases: (await indexedDB.databases()).length,
    caches: (await caches.keys()).length,
})"""


def storage_of(page):
    return page.evaluate(LEFTOVERS)


@pytest.mark.parametrize("how", ["button", "Escape"])
def test_quick_exit_replaces_the_page_and_leaves_nothing(context, make_widget, watch, how):
    page = context.new_page()
    page.goto("about:blank")  # what was open before the chat
    widget = make_widget(page).open()
    widget.say("hello")
    during = storage_of(page)
    assert during["session"] >= 1  # the session id, in sessionStorage only
    assert (during["local"], during["cookies"], during["databases"]) == (0, "", 0)
    assert page.evaluate("() => history.length") == 2

    if how == "button":
        page.get_by_role("button", name="Quick exit").click()
    else:
        page.get_by_label("Your message").fill("half-typed words")
        page.keyboard.press("Escape")  # even while typing
    page.wait_for_url(EXIT_URL, timeout=3_000)

    assert page.title() == "Weather"
    assert watch.exits == [EXIT_URL]
    assert page.evaluate("() => history.length") == 2  # replaced, not added
    page.go_back()
    assert "/widget" not in page.url  # Back goes to what came before
    assert page.url == "about:blank"

    page.goto(f"{widget.base}/")  # back on our origin in the same tab:
    after = storage_of(page)  # nothing of the chat is left
    assert after == {"session": 0, "local": 0, "cookies": "", "databases": 0, "caches": 0}
    assert page.context.cookies() == []


def test_quick_exit_is_always_on_screen_and_says_how(widget):
    page = widget.open().page
    exit_button = page.get_by_role("button", name="Quick exit")
    assert exit_button.is_visible()
    assert exit_button.get_attribute("aria-keyshortcuts") == "Escape"
    assert "Esc" in page.locator("#exit-hint").inner_text()
    for text in ("hello", "what is a T visa?", "how do I find a lawyer?", "thanks"):
        widget.say(text)
        box = exit_button.bounding_box()
        assert box and 0 <= box["y"] < 100  # never scrolled away


def test_quick_exit_ends_the_session_on_the_server(context, make_widget):
    """The ended id is refused from then on, even if someone kept a copy of it."""
    page = context.new_page()
    widget = make_widget(page).open()
    old = widget.session_id()
    widget.say("hello")
    page.get_by_role("button", name="Quick exit").click()
    page.wait_for_url(EXIT_URL)

    page.goto(f"{widget.base}/")
    page.evaluate("id => sessionStorage.setItem('harbor.session', id)", old)  # a kept copy
    page.goto(f"{widget.base}/widget/")
    page.wait_for_function("old => sessionStorage.getItem('harbor.session') !== old", arg=old)
    assert SESSION_ID.match(widget.session_id())
    assert page.locator(".msg-user").count() == 0
