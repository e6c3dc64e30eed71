"""Embedding on a partner's site with one script tag, and the origins that may (not) use the widget."""

from tests.browser.conftest import EXIT_URL


def open_chat(page):
    page.get_by_role("button", name="Chat with Harbor").click()
    frame = page.frame_locator("iframe[data-harbor=frame]")
    frame.get_by_label("Your message").wait_for()
    return frame


def frame_replies(page, before=0, timeout=30_000):
    frame = next(f for f in page.frames if "/widget/" in f.url)
    frame.wait_for_function(
        "n => document.querySelectorAll('.msg-bot:not(.intro)').length > n", arg=before, timeout=timeout
    )
    return frame


def test_one_script_tag_embeds_a_working_chat(context, host_sites, server_url):
    page = context.new_page()
    page.goto(f"{host_sites['partner']}/partner.html")
    assert page.locator("iframe").count() == 0  # nothing loads before the user asks

    frame = open_chat(page)
    assert page.get_by_role("button", name="Chat with Harbor").get_attribute("aria-expanded") == "true"
    frame.get_by_label("Your message").fill("hello")
    frame.get_by_label("Your message").press("Enter")
    inner = frame_replies(page)

    assert "Harbor" in inner.locator(".msg-bot:not(.intro)").first.inner_text()
    assert inner.url.startswith(f"{server_url}/widget/")
    # The host page cannot read the conversation (another origin).
    assert page.evaluate(
        "() => { try { return document.querySelector('iframe').contentDocument; } catch (e) { return 'blocked'; } }"
    ) in (None, "blocked")

    frame.get_by_role("button", name="Close chat").click()
    # Closing crosses frames by postMessage: wait for it rather than race it.
    page.locator("iframe[data-harbor=frame]").wait_for(state="hidden", timeout=5_000)
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.textContent === 'Chat with Harbor'", timeout=5_000
    )


def test_quick_exit_inside_the_embedded_chat_replaces_the_host_page(context, host_sites):
    page = context.new_page()
    page.goto("about:blank")
    page.goto(f"{host_sites['partner']}/partner.html")
    frame = open_chat(page)
    frame.get_by_label("Your message").fill("hello")
    frame.get_by_label("Your message").press("Enter")
    frame_replies(page)

    frame.get_by_role("button", name="Quick exit").click()
    page.wait_for_url(EXIT_URL, timeout=3_000)
    page.go_back()
    assert page.url == "about:blank"  # the partner page is not in history


def test_quick_exit_on_the_host_page_ends_the_chat_first(context, host_sites, server_url):
    page = context.new_page()
    page.goto(f"{host_sites['partner']}/partner.html")
    frame = open_chat(page)
    frame.get_by_label("Your message").fill("hello")
    frame.get_by_label("Your message").press("Enter")
    frame_replies(page)
    page.get_by_role("heading", name="Partner organisation").click()  # focus back on the host page

    page.keyboard.press("Escape")  # Escape on the host page, chat open
    page.wait_for_url(EXIT_URL, timeout=3_000)

    # The chat's sessionStorage (partitioned under the partner site) was cleared before leaving.
    page.goto(f"{host_sites['partner']}/partner.html")
    open_chat(page)
    inner = next(f for f in page.frames if "/widget/" in f.url)
    inner.wait_for_function("() => sessionStorage.getItem('harbor.session')")
    assert inner.locator(".msg-user").count() == 0


def test_a_site_not_listed_cannot_frame_the_widget(context, host_sites, watch):
    allowed = context.new_page()
    allowed.goto(f"{host_sites['partner']}/frame.html")
    allowed.frame_locator("#chat").get_by_role("button", name="Quick exit").wait_for()
    assert watch.violations == []

    stranger = context.new_page()
    stranger.goto(f"{host_sites['stranger']}/frame.html")
    stranger.wait_for_timeout(1500)
    frame = next(f for f in stranger.frames if f != stranger.main_frame)
    assert frame.locator("#exit").count() == 0
    assert len(watch.violations) == 1 and "frame-ancestors" in watch.violations[0]
    watch.violations.clear()  # the one violation this test expects


def test_socket_io_accepts_only_the_page_s_own_origin_and_listed_partners(context, host_sites, server_url):
    results = {}
    for site in ("partner", "stranger"):
        page = context.new_page()
        page.goto(f"{host_sites[site]}/direct.html")
        for transports in (["websocket"], ["polling"]):
            results[(site, transports[0])] = page.evaluate(
                "([server, t]) => tryConnect(server, t)", [server_url, transports]
            )

    assert results == {
        ("partner", "websocket"): "connected",
        ("partner", "polling"): "connected",
        ("stranger", "websocket"): "refused",
        ("stranger", "polling"): "refused",
    }
