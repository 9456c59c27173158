"""The Agent App and the Chat Widget in a real browser, against a real `chatplane serve`.

An agent signs in to /app/, a customer opens the widget's demo page, and they talk. Tests
of features other branches are still building (files, ratings, routing status) probe the
server and skip until it answers the action.

The tests in this module share one server, one agent browser and one customer browser,
and run in order (one conversation going on); the reconnect test restarts the server, so
it comes last. Set CHATPLANE_SCREENSHOTS=docs/screenshots to write the README's images.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from .browser import (
    BROWSER_MISSING,
    AgentApp,
    Widget,
    click,
    make_driver,
    screenshot,
    supports,
    wait_for,
)
from .harness import ServerProcess, run_cli, unique

pytestmark = pytest.mark.skipif(
    BROWSER_MISSING is not None, reason=f"no browser to test with: {BROWSER_MISSING}"
)

EMAIL = "ann.agent@example.com"
PASSWORD = "browser-test-pass-7"
AGENT_NAME = "Ann Agent"


@dataclass
class Site:
    server: ServerProcess
    license_id: int
    client_id: str
    owner_token: str
    agent_id: str

    @property
    def base(self) -> str:
        return self.server.base_url

    def supports(self, api: str, action: str) -> bool:
        lic = self.license_id if api == "customer" else None
        return supports(self.base, api, action, lic)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("browser")
    data_dir = root / "data"
    lic = run_cli(data_dir, "init")
    agent = run_cli(
        data_dir, "agent", "create", "--email", EMAIL, "--name", AGENT_NAME, "--password", PASSWORD
    )
    server = ServerProcess(data_dir)
    server.start()
    try:
        yield Site(
            server=server,
            license_id=lic["license_id"],
            client_id=lic["client_id"],
            owner_token=lic["owner"]["access_token"],
            agent_id=agent["id"],
        )
    finally:
        try:
            server.stop()
        finally:
            server.kill()


@pytest.fixture(scope="module")
def browsers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    root = tmp_path_factory.mktemp("chromium")
    made: list[Any] = []
    try:
        for name in ("agent", "customer"):
            profile = root / name / "profile"
            profile.mkdir(parents=True)
            made.append(make_driver(profile))
        yield made[0], made[1]
    finally:
        for driver in made:
            driver.quit()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def agent(site: Site, browsers: tuple[Any, Any]) -> AgentApp:
    """The Agent App, signed in."""
    app = AgentApp(browsers[0])
    app.driver.get(site.base + "/app/")
    wait_for(app.driver, lambda: app.find("#signin-email").is_displayed(), "the sign-in form")
    app.find("#signin-email").send_keys(EMAIL)
    app.find("#signin-password").send_keys(PASSWORD)
    app.find("#signin-submit").click()
    wait_for(app.driver, lambda: app.connection() == "ready", "the Agent App to connect")
    wait_for(app.driver, lambda: AGENT_NAME in app.find("#me").text, "the agent's name")
    return app


@pytest.fixture(scope="module")
def widget(site: Site, browsers: tuple[Any, Any]) -> Widget:
    """The widget on its demo page."""
    w = Widget(browsers[1])
    w.driver.get(site.base + "/widget/demo")
    wait_for(w.driver, lambda: w.state("ready") == "true", "the widget to log in")
    return w


def open_widget(w: Widget) -> None:
    if w.find(".launcher").get_attribute("aria-expanded") != "true":
        w.find(".launcher").click()
    wait_for(w.driver, lambda: w.find("#cp-window").is_displayed(), "the chat window")


def fill_prechat(w: Widget, name: str, email: str, question: str) -> None:
    """Fill the pre-chat form, the built-in one or a form from get_form."""
    for field in w.find_all(".prechat input, .prechat textarea"):
        kind = field.get_attribute("type")
        auto = field.get_attribute("autocomplete")
        if auto == "name":
            field.send_keys(name)
        elif kind == "email":
            field.send_keys(email)
        elif field.tag_name == "textarea" or field.get_attribute("required") is not None:
            field.send_keys(question)
    w.find(".prechat button[type=submit]").click()


def widget_send(w: Widget, text: str) -> None:
    box = w.find("#cp-text")
    box.send_keys(text)
    w.find(".send").click()
    wait_for(w.driver, lambda: text in w.texts(), f"the widget to show {text!r}")


def agent_send(app: AgentApp, text: str, kind: str = "message") -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    Select(app.find("#compose-kind")).select_by_value(kind)
    box = app.find("#compose-text")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    wait_for(app.driver, lambda: text in app.event_texts()[-3:][-1], f"the app to show {text!r}")


def agent_open_customer_chat(app: AgentApp, customer_name: str) -> None:
    """Open the customer's chat from My chats or the queue, and take it if needed."""

    def item() -> Any:
        for tab in ("#tab-mine", "#tab-queue"):
            for candidate in app.find_all(tab.replace("#tab-", "#list-") + " .chat-item"):
                text = candidate.get_attribute("textContent")  # the tab may be hidden
                if customer_name in text and "closed" not in text:
                    return tab, candidate
        return None

    tab, _found = wait_for(app.driver, item, f"{customer_name}'s chat in a list")
    app.find(tab).click()
    click(app.driver, lambda: item()[1], f"{customer_name}'s chat")
    wait_for(app.driver, lambda: app.find("#chat-view").is_displayed(), "the conversation")
    if "reply to take it" in app.find("#chat-sub").text:
        agent_send(app, "Hi, I am taking this chat.")
    elif app.find("#take").is_displayed():
        app.find("#take").click()
    wait_for(
        app.driver,
        lambda: "you are in this chat" in app.find("#chat-sub").text,
        "the agent to be in the chat",
    )


def ensure_conversation(app: AgentApp, w: Widget, opener: str) -> None:
    """An active chat between the widget's customer and the agent (starting one if needed)."""
    open_widget(w)
    if w.state("view") == "prechat":
        fill_prechat(w, "Carla Customer", "carla@example.com", opener)
        wait_for(w.driver, lambda: opener in w.texts(), "the opening message in the widget")
    else:
        widget_send(w, opener)
    agent_open_customer_chat(app, "Carla")
    wait_for(app.driver, lambda: opener in app.event_texts(), "the customer's message in the app")


# -- the conversation ----------------------------------------------------------------------


def test_customer_and_agent_exchange_messages(agent: AgentApp, widget: Widget) -> None:
    open_widget(widget)
    wait_for(widget.driver, lambda: widget.state("view") == "prechat", "the pre-chat form")
    fill_prechat(widget, "Carla Customer", "carla@example.com", "Hi, my parcel is late")
    wait_for(widget.driver, lambda: "Hi, my parcel is late" in widget.texts(), "my first message")

    # The chat waits in the agent's queue, with the pre-chat form's answers.
    wait_for(agent.driver, lambda: agent.find("#count-queue").text == "1", "the queue count")
    agent.find("#tab-queue").click()
    wait_for(
        agent.driver,
        lambda: "Carla Customer" in agent.find("#list-queue .chat-item").text,
        "the queued chat, named as in the pre-chat form",
    )
    click(agent.driver, lambda: agent.find("#list-queue .chat-item"), "the queued chat")
    wait_for(agent.driver, lambda: agent.find("#chat-view").is_displayed(), "the conversation")
    assert "Waiting in the queue" in agent.find("#chat-sub").text
    form = agent.find("#events .form-answers").text
    assert "Carla Customer" in form and "carla@example.com" in form
    assert "Hi, my parcel is late" in agent.event_texts()

    # A normal agent takes it by answering; the customer sees the answer and who is chatting.
    assert not agent.find("#take").is_displayed()
    agent_send(agent, "Hello Carla, let me check that for you.")
    wait_for(agent.driver, lambda: "you are in this chat" in agent.find("#chat-sub").text, "take")
    wait_for(agent.driver, lambda: agent.find("#list-mine .chat-item"), "the chat in My chats")
    assert agent.find("#count-queue").text == "0"
    wait_for(
        widget.driver,
        lambda: "Hello Carla, let me check that for you." in widget.texts(),
        "the agent's answer in the widget",
    )
    wait_for(widget.driver, lambda: AGENT_NAME in widget.find(".status").text, "agent's name")
    who = [e.text for e in widget.find_all(".msg.agent .who")]
    assert any(AGENT_NAME in w for w in who), who

    # The customer writes back; the agent sees it live.
    widget_send(widget, "Thanks! The order number is 4711.")
    wait_for(
        agent.driver,
        lambda: "Thanks! The order number is 4711." in agent.event_texts(),
        "the customer's reply in the app",
    )
    customer_bubbles = [e.text for e in agent.find_all("#events .event.customer .text")]
    assert "Thanks! The order number is 4711." in customer_bubbles

    # A message to agents only stays on the agents' side; an annotation goes to everyone.
    agent_send(agent, "Checking with the warehouse team.", kind="agents")
    agent_send(agent, "Order 4711 checked", kind="annotation")
    agent_send(agent, "Found it: it ships tomorrow.")
    wait_for(
        widget.driver,
        lambda: "Found it: it ships tomorrow." in widget.texts(),
        "the last answer in the widget",
    )
    shown = widget.texts()
    assert "Checking with the warehouse team." not in shown
    notes = [e.text for e in widget.find_all(".msg[data-type=annotation] .text")]
    assert any("Order 4711 checked" in t for t in notes), notes
    internal = agent.find_all("#events .event.internal .text")
    assert [e.text for e in internal] == ["Checking with the warehouse team."]
    assert shown.index("Hello Carla, let me check that for you.") < shown.index(
        "Thanks! The order number is 4711."
    )

    screenshot(agent.driver, "agent-app.png")
    screenshot(widget.driver, "widget.png")


def test_customer_comes_back_after_reload(site: Site, widget: Widget) -> None:
    widget.driver.get(site.base + "/widget/demo")
    wait_for(widget.driver, lambda: widget.state("ready") == "true", "the widget to log in")
    open_widget(widget)
    wait_for(
        widget.driver,
        lambda: "Found it: it ships tomorrow." in widget.texts(),
        "the same conversation after a reload",
    )
    assert widget.state("view") == "chat"


def test_agent_closes_the_thread(agent: AgentApp, widget: Widget) -> None:
    ensure_conversation(agent, widget, "One more question")
    agent.find("#close-thread").click()
    wait_for(agent.driver, lambda: agent.find("#chat-sub").text == "Closed", "the thread closed")
    wait_for(widget.driver, lambda: widget.find_all(".messages .ended"), "the chat ended")
    assert any("archived the chat" in t for t in agent.event_texts())
    assert not widget.find(".end").is_displayed()


def test_archives_search_finds_the_closed_chat(agent: AgentApp, widget: Widget) -> None:
    agent.find("#tab-archives").click()
    query = agent.find("#archive-query")
    query.clear()
    query.send_keys("4711")
    agent.find("#archive-form button[type=submit]").click()
    wait_for(
        agent.driver,
        lambda: "Carla Customer" in agent.find("#list-archives .chat-item").text,
        "the closed chat among the results",
    )
    click(agent.driver, lambda: agent.find("#list-archives .chat-item"), "the result")
    wait_for(
        agent.driver,
        lambda: "Thanks! The order number is 4711." in agent.event_texts(),
        "the archived thread",
    )
    assert "Archived thread" in agent.find("#chat-sub").text
    assert not agent.find("#composer").is_displayed()

    query.clear()
    query.send_keys(unique("nothing-like-this"))
    agent.find("#archive-form button[type=submit]").click()
    wait_for(agent.driver, lambda: agent.find("#empty-archives").text == "Nothing found.", "none")


def test_customer_starts_a_new_thread_in_the_same_chat(agent: AgentApp, widget: Widget) -> None:
    ensure_conversation(agent, widget, "Back again with another question")
    agent_send(agent, "Welcome back!")
    wait_for(widget.driver, lambda: "Welcome back!" in widget.texts(), "the answer")
    # A new thread of the same chat: the app marks where it starts, after the earlier ones.
    wait_for(agent.driver, lambda: agent.find_all("#events .thread-sep"), "a thread separator")
    texts = agent.event_texts()
    earlier = texts.index("Thanks! The order number is 4711.")
    assert earlier < texts.index("Back again with another question") < texts.index("Welcome back!")


def test_customer_ends_the_chat_from_the_widget(agent: AgentApp, widget: Widget) -> None:
    ensure_conversation(agent, widget, "Can I end this myself?")
    widget.find(".end").click()
    wait_for(widget.driver, lambda: widget.find_all(".messages .ended"), "the chat ended")
    wait_for(agent.driver, lambda: agent.find("#chat-sub").text == "Closed", "closed in the app")


# -- features other branches are building: each runs once the server answers it -------------


@pytest.fixture
def needs(site: Site) -> Any:
    def check(api: str, action: str) -> None:
        if not site.supports(api, action):
            pytest.skip(f"the server does not serve {api} {action} yet")

    return check


def test_file_upload_reaches_the_agent(
    site: Site, agent: AgentApp, widget: Widget, needs: Any, tmp_path: Path
) -> None:
    needs("customer", "send_file")
    ensure_conversation(agent, widget, "I have a photo of the label")
    picture = tmp_path / "label-photo.txt"
    picture.write_text("the shipping label\n")
    wait_for(widget.driver, lambda: widget.find(".attach").is_displayed(), "the attach button")
    widget.find("#cp-file").send_keys(str(picture))
    wait_for(
        agent.driver,
        lambda: any("label-photo.txt" in e.text for e in agent.find_all("#events .file")),
        "the file in the app",
    )
    wait_for(
        widget.driver,
        lambda: any("label-photo.txt" in e.text for e in widget.find_all(".messages .file")),
        "the file in the widget",
    )
    link = agent.find("#events .file a").get_attribute("href")
    with httpx.Client(trust_env=False, timeout=10) as client:
        assert client.get(link).content == b"the shipping label\n"


def test_customer_rates_the_chat(site: Site, agent: AgentApp, widget: Widget, needs: Any) -> None:
    needs("customer", "update_chat_properties")
    needs("configuration", "properties/create_properties")
    # The rating example of about-apis.md: two chat properties the customer may write.
    access = {"agent": {"read": True, "write": False}, "customer": {"read": True, "write": True}}
    with httpx.Client(trust_env=False, timeout=10) as client:
        resp = client.post(
            f"{site.base}/configuration/properties/create_properties",
            headers={"Authorization": f"Bearer {site.owner_token}"},
            json={
                "rating_score": {"type": "int", "locations": {"chat": {"access": access}}},
                "rating_comment": {"type": "string", "locations": {"chat": {"access": access}}},
            },
        )
    assert resp.status_code == 200, resp.text
    ensure_conversation(agent, widget, "Please rate me")
    widget.find(".end").click()
    rating = wait_for(widget.driver, lambda: widget.find(".rating"), "the rating form")
    wait_for(widget.driver, rating.is_displayed, "the rating form shown")
    widget.find_all(".star")[3].click()
    widget.find("#cp-rating-comment").send_keys("Quick and friendly")
    widget.find(".rating-form button[type=submit]").click()
    wait_for(
        widget.driver,
        lambda: "4 out of 5" in widget.find(".rated").text,
        "the widget to confirm the rating",
    )
    wait_for(
        agent.driver,
        lambda: (
            "rating score" in agent.find("#chat-details").text
            and "4" in agent.find("#chat-details").text
        ),
        "the rating in the app",
    )
    assert "Quick and friendly" in agent.find("#chat-details").text


def test_routing_status_switch(site: Site, agent: AgentApp, needs: Any) -> None:
    needs("agent", "update_agent")
    switch = agent.find("#routing")
    before = switch.get_attribute("aria-checked")
    switch.click()
    wait_for(
        agent.driver,
        lambda: (
            switch.get_attribute("aria-checked") != before and not agent.find_all(".toast.error")
        ),
        "the routing status to change",
    )


def test_unsupported_actions_show_an_error_and_the_app_keeps_working(
    site: Site, agent: AgentApp, widget: Widget
) -> None:
    if site.supports("agent", "update_agent"):
        pytest.skip("update_agent is served: nothing to degrade")
    switch = agent.find("#routing")
    before = switch.get_attribute("aria-checked")
    switch.click()
    toast = wait_for(agent.driver, lambda: agent.find(".toast.error"), "an error toast")
    assert "does not support" in toast.text
    assert switch.get_attribute("aria-checked") == before
    ensure_conversation(agent, widget, "Still there?")
    agent_send(agent, "Yes, still here.")
    wait_for(widget.driver, lambda: "Yes, still here." in widget.texts(), "the answer")


# -- keyboard and phone width --------------------------------------------------------------


def test_widget_by_keyboard_at_phone_width(site: Site, widget: Widget) -> None:
    from selenium.webdriver.common.keys import Keys

    driver = widget.driver
    driver.set_window_size(390, 844)
    try:
        if widget.find(".launcher").get_attribute("aria-expanded") == "true":
            widget.find(".minimize").click()
        widget.find(".launcher").send_keys(Keys.ENTER)
        wait_for(driver, lambda: widget.find("#cp-window").is_displayed(), "the window")
        # The window takes the whole phone screen, and focus moves into it.
        width = driver.execute_script("return window.innerWidth")
        assert widget.find("#cp-window").rect["width"] == width
        focused = driver.execute_script(
            "return document.getElementById('chatplane-widget').shadowRoot.activeElement?.id"
        )
        assert focused in ("cp-text", "cp-f-name")
        # Escape closes it and gives focus back to the button.
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait_for(driver, lambda: not widget.find("#cp-window").is_displayed(), "closed")
        back = driver.execute_script(
            "return document.getElementById('chatplane-widget').shadowRoot.activeElement?.className"
        )
        assert back == "launcher"
        assert widget.find(".launcher").get_attribute("aria-expanded") == "false"
    finally:
        driver.set_window_size(1280, 860)


def test_agent_app_by_keyboard_at_phone_width(agent: AgentApp) -> None:
    from selenium.webdriver.common.keys import Keys

    driver = agent.driver
    driver.set_window_size(390, 844)
    try:
        # One pane at a time: the list, then the conversation with a way back.
        if agent.find("#conversation").is_displayed():
            agent.find("#back").click()
        wait_for(driver, lambda: agent.find(".sidebar").is_displayed(), "the list")
        assert not agent.find("#conversation").is_displayed()
        # Arrow keys move between the list tabs.
        agent.find("#tab-mine").click()
        agent.find("#tab-mine").send_keys(Keys.ARROW_RIGHT)
        assert agent.find("#tab-queue").get_attribute("aria-selected") == "true"
        assert driver.switch_to.active_element.get_attribute("id") == "tab-queue"
        driver.switch_to.active_element.send_keys(Keys.ARROW_LEFT)
        assert agent.find("#panel-mine").is_displayed()
        agent.find("#list-mine .chat-item").send_keys(Keys.ENTER)
        wait_for(driver, lambda: agent.find("#conversation").is_displayed(), "the conversation")
        assert not agent.find(".sidebar").is_displayed()
        agent.find("#back").send_keys(Keys.ENTER)
        wait_for(driver, lambda: agent.find(".sidebar").is_displayed(), "the list again")
        # Focus returns to the chat that was open.
        assert "chat-item" in (driver.switch_to.active_element.get_attribute("class") or "")
    finally:
        driver.set_window_size(1280, 860)


# -- reconnecting (restarts the server: keep last) ------------------------------------------


def test_agent_app_reconnects_and_fills_in_what_it_missed(
    site: Site, agent: AgentApp, widget: Widget
) -> None:
    ensure_conversation(agent, widget, "Are you still there?")
    driver = agent.driver
    driver.execute_cdp_cmd("Network.enable", {})
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    try:
        # The server restarts: every connection drops; the agent's browser stays offline.
        port = site.server.port
        site.server.stop()
        site.server.start(port=port)
        wait_for(driver, lambda: agent.connection() == "waiting", "the app to notice the drop")
        # Meanwhile the customer's widget reconnects by itself and the customer writes.
        wait_for(widget.driver, lambda: widget.host.get_attribute("data-state") == "ready", "w")
        widget_send(widget, "Hello? Sent while you were away")
    finally:
        online = {**offline, "offline": False}
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", online)
    wait_for(driver, lambda: agent.connection() == "ready", "the app to reconnect", timeout=60)
    wait_for(
        driver,
        lambda: "Hello? Sent while you were away" in agent.event_texts(),
        "the missed message in the open conversation",
    )
    agent_send(agent, "Back online.")
    wait_for(widget.driver, lambda: "Back online." in widget.texts(), "the answer after it")
