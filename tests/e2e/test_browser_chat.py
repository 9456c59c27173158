"""The Agent App and the Chat Widget in a real browser, against a real `chatplane serve`.

An agent signs in to /app/ (which makes her accept chats, so routing gives her the
customer's chat), a customer opens the widget's demo page, fills in the server's pre-chat
form (name and e-mail, no question: the first message comes after it), and they talk: typing
indicators, sneak peeks, files, the queue while she is not accepting chats, a rating stored
as chat properties (configured by `chatplane init`, see docs/decisions.md) and a transfer.

The tests in this module share one server, one agent browser and one customer browser,
and run in order (one conversation going on); the reconnect test restarts the server and the
transfer hands the chat away, so they come last. Set CHATPLANE_SCREENSHOTS=docs/screenshots
to write the README's images.
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
    wait_for,
)
from .harness import ServerProcess, run_cli, unique

pytestmark = pytest.mark.skipif(
    BROWSER_MISSING is not None, reason=f"no browser to test with: {BROWSER_MISSING}"
)

EMAIL = "ann.agent@example.com"
PASSWORD = "browser-test-pass-7"
AGENT_NAME = "Ann Agent"
OTHER_EMAIL = "bob.backup@example.com"
OTHER_NAME = "Bob Backup"


@dataclass
class Site:
    server: ServerProcess
    license_id: int
    client_id: str
    owner_token: str
    agent_id: str
    other_agent_id: str

    @property
    def base(self) -> str:
        return self.server.base_url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("browser")
    data_dir = root / "data"
    lic = run_cli(data_dir, "init")
    agent = run_cli(
        data_dir, "agent", "create", "--email", EMAIL, "--name", AGENT_NAME, "--password", PASSWORD
    )
    other = run_cli(data_dir, "agent", "create", "--email", OTHER_EMAIL, "--name", OTHER_NAME)
    server = ServerProcess(data_dir)
    server.start()
    try:
        yield Site(
            server=server,
            license_id=lic["license_id"],
            client_id=lic["client_id"],
            owner_token=lic["owner"]["access_token"],
            agent_id=agent["id"],
            other_agent_id=other["id"],
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
    """Fill the pre-chat form from get_form; without a question field in it, the question
    is the first message written after the form."""
    asked = False
    for field in w.find_all(".prechat input, .prechat textarea"):
        kind = field.get_attribute("type")
        auto = field.get_attribute("autocomplete")
        if auto == "name":
            field.send_keys(name)
        elif kind == "email":
            field.send_keys(email)
        elif field.tag_name == "textarea" or field.get_attribute("required") is not None:
            field.send_keys(question)
            asked = True
    w.find(".prechat button[type=submit]").click()
    wait_for(w.driver, lambda: w.state("view") == "chat", "the chat after the form")
    if not asked:
        widget_send(w, question)


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
    from selenium.webdriver.common.keys import Keys

    assert agent.find("#routing").get_attribute("aria-checked") == "true"  # login accepts
    open_widget(widget)
    wait_for(widget.driver, lambda: widget.state("view") == "prechat", "the pre-chat form")
    # The server's default pre-chat form: a header, name and e-mail, no question.
    assert "Please tell us who you are" in widget.find(".prechat .form-header").text
    assert not widget.find_all(".prechat textarea")
    fill_prechat(widget, "Carla Customer", "carla@example.com", "Hi, my parcel is late")
    wait_for(widget.driver, lambda: "Hi, my parcel is late" in widget.texts(), "my first message")

    # Routing gives the chat to the agent accepting chats: it is in her chats, not queued.
    wait_for(
        agent.driver,
        lambda: "Carla Customer" in agent.find("#list-mine .chat-item").text,
        "the assigned chat in My chats, named as in the pre-chat form",
    )
    assert agent.find("#count-mine").text == "1"
    assert agent.find("#count-queue").text == "0"
    click(agent.driver, lambda: agent.find("#list-mine .chat-item"), "the assigned chat")
    wait_for(agent.driver, lambda: agent.find("#chat-view").is_displayed(), "the conversation")
    wait_for(
        agent.driver,
        lambda: "you are in this chat" in agent.find("#chat-sub").text,
        "the agent to be in the chat",
    )
    assert not agent.find("#take").is_displayed()
    wait_for(agent.driver, lambda: "Hi, my parcel is late" in agent.event_texts(), "the message")
    form = agent.texts("#events .form-answers")[0]
    assert "Carla Customer" in form and "carla@example.com" in form
    assert f"Chat assigned to {AGENT_NAME}" in agent.event_texts()
    wait_for(widget.driver, lambda: AGENT_NAME in widget.find(".status").text, "agent's name")
    assert f"Chat assigned to {AGENT_NAME}" in widget.texts()

    # The agent types: the customer sees a typing indicator, then the answer.
    box = agent.find("#compose-text")
    box.send_keys("Hello Carla,")
    wait_for(
        widget.driver,
        lambda: f"{AGENT_NAME} is typing" in widget.find(".typing").text,
        "the agent's typing indicator in the widget",
    )
    box.send_keys(" let me check that for you.", Keys.ENTER)
    wait_for(
        widget.driver,
        lambda: "Hello Carla, let me check that for you." in widget.texts(),
        "the agent's answer in the widget",
    )
    wait_for(widget.driver, lambda: not widget.find(".typing").text, "the indicator to go")
    who = widget.texts(".msg.agent .who")
    assert any(AGENT_NAME in w for w in who), who

    # The customer types: the agent sees a sneak peek of the text, then the message.
    text = widget.find("#cp-text")
    text.send_keys("Thanks! The order")
    wait_for(
        agent.driver,
        lambda: "“Thanks! The order”" in agent.find("#typing").text,
        "the customer's sneak peek in the app",
    )
    text.send_keys(" number is 4711.")
    widget.find(".send").click()
    wait_for(
        agent.driver,
        lambda: "Thanks! The order number is 4711." in agent.event_texts(),
        "the customer's reply in the app",
    )
    wait_for(agent.driver, lambda: not agent.find("#typing").text, "the sneak peek to go")
    customer_bubbles = agent.texts("#events .event.customer .text")
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
    notes = widget.texts(".msg[data-type=annotation] .text")
    assert any("Order 4711 checked" in t for t in notes), notes
    internal = agent.texts("#events .event.internal .text")
    assert internal == ["Checking with the warehouse team."]
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


# -- the routing switch and the queue -------------------------------------------------------


def routing_switch(app: AgentApp, accepting: bool) -> None:
    """Flip the routing status switch to `accepting` (update_agent; agent_updated confirms)."""
    wanted = "true" if accepting else "false"
    switch = app.find("#routing")
    if switch.get_attribute("aria-checked") != wanted:
        switch.click()
    wait_for(
        app.driver,
        lambda: (
            switch.get_attribute("aria-checked") == wanted
            and app.find("#routing").get_attribute("data-confirmed") == wanted
            and not app.find_all(".toast.error")
        ),
        "the routing status to change",
    )
    label = app.find("#routing-label").text
    assert label == ("Accepting chats" if accepting else "Not accepting chats"), label


def test_chats_wait_in_the_queue_while_the_agent_is_not_accepting(
    agent: AgentApp, widget: Widget
) -> None:
    routing_switch(agent, accepting=False)
    try:
        # The customer comes back to the closed chat: its new thread finds nobody accepting.
        open_widget(widget)
        widget_send(widget, "Is anybody there?")
        wait_for(agent.driver, lambda: agent.find("#count-queue").text == "1", "the queue count")
        wait_for(widget.driver, lambda: "shortly" in widget.find(".status").text, "waiting")
        agent.find("#tab-queue").click()
        click(agent.driver, lambda: agent.find("#list-queue .chat-item"), "the queued chat")
        wait_for(agent.driver, lambda: "Is anybody there?" in agent.event_texts(), "the message")
        assert "Waiting in the queue" in agent.find("#chat-sub").text
        # A normal agent takes a queued chat by answering it.
        assert not agent.find("#take").is_displayed()
        agent_send(agent, "I am here, Carla.")
        wait_for(
            agent.driver,
            lambda: "you are in this chat" in agent.find("#chat-sub").text,
            "the agent to take the chat",
        )
        wait_for(agent.driver, lambda: agent.find("#count-queue").text == "0", "an empty queue")
        assert agent.find("#tab-mine").get_attribute("aria-selected") == "true"
        wait_for(widget.driver, lambda: "I am here, Carla." in widget.texts(), "the answer")
        wait_for(widget.driver, lambda: AGENT_NAME in widget.find(".status").text, "who")
    finally:
        routing_switch(agent, accepting=True)


# -- files and rating --------------------------------------------------------------------------


def test_files_go_both_ways(agent: AgentApp, widget: Widget, tmp_path: Path) -> None:
    ensure_conversation(agent, widget, "I have a photo of the label")
    picture = tmp_path / "label-photo.txt"
    picture.write_text("the shipping label\n")
    wait_for(widget.driver, lambda: widget.find(".attach").is_displayed(), "the attach button")
    widget.find("#cp-file").send_keys(str(picture))
    wait_for(
        agent.driver,
        lambda: any("label-photo.txt" in t for t in agent.texts("#events .file")),
        "the customer's file in the app",
    )
    wait_for(
        widget.driver,
        lambda: any("label-photo.txt" in t for t in widget.texts(".messages .msg.own .file")),
        "the file in the widget, as the customer's",
    )
    link = agent.find("#events .event.customer .file a").get_attribute("href")
    with httpx.Client(trust_env=False, timeout=10) as client:
        assert client.get(link).content == b"the shipping label\n"

    invoice = tmp_path / "invoice-4711.txt"
    invoice.write_text("invoice 4711\n")
    assert agent.find("#attach-label").is_displayed()
    agent.find("#attach").send_keys(str(invoice))
    wait_for(
        widget.driver,
        lambda: any("invoice-4711.txt" in t for t in widget.texts(".messages .msg.agent .file")),
        "the agent's file in the widget",
    )
    wait_for(
        agent.driver,
        lambda: any("invoice-4711.txt" in t for t in agent.texts("#events .event.own .file")),
        "the file in the app, as the agent's",
    )
    link = widget.find(".messages .msg.agent .file a").get_attribute("href")
    with httpx.Client(trust_env=False, timeout=10) as client:
        assert client.get(link).content == b"invoice 4711\n"


def test_customer_rates_the_chat(agent: AgentApp, widget: Widget) -> None:
    # `chatplane init` configured about-apis.md's rating properties in the namespace of the
    # license's default application, whose client_id the widget's customer token carries.
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
    details = "#chat-details .props"
    wait_for(
        agent.driver,
        lambda: "rating score\n4" in "\n".join(agent.texts(details)),
        "the rating in the app",
    )
    assert "Quick and friendly" in agent.texts(details)[0]
    assert agent.find("#chat-sub").text == "Closed"


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
        assert focused == "cp-text" or focused.startswith("cp-f-"), focused
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


# -- resuming after a dropped connection (docs/resume.md) -----------------------------------


def test_widget_resumes_after_its_connection_drops_and_gets_what_it_missed(
    agent: AgentApp, widget: Widget
) -> None:
    """The widget's socket drops while its network is down; the agent writes meanwhile; when
    the network is back the widget logs in resuming its session, and the server replays the
    missed message (the widget does not re-read the chat)."""
    ensure_conversation(agent, widget, "Hold on, my train goes into a tunnel")
    driver = widget.driver
    driver.execute_cdp_cmd("Network.enable", {})
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    try:
        driver.execute_script("window.ChatplaneWidget.rtm.reconnectNow()")
        wait_for(driver, lambda: widget.host.get_attribute("data-state") != "ready", "the drop")
        agent_send(agent, "Written while you were in the tunnel")
    finally:
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {**offline, "offline": False})
    wait_for(driver, lambda: widget.host.get_attribute("data-state") == "ready", "reconnected")
    wait_for(
        driver,
        lambda: "Written while you were in the tunnel" in widget.texts(),
        "the missed message, replayed",
    )
    assert driver.execute_script("return window.ChatplaneWidget.rtm.resumed") is True
    # The answer goes out with an idempotency key, like every message the widget sends.
    widget_send(widget, "Out of the tunnel")
    wait_for(agent.driver, lambda: "Out of the tunnel" in agent.event_texts(), "the reply")


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


# -- transfer (hands the chat to another agent: keep last) -----------------------------------


def test_agent_transfers_the_chat(site: Site, agent: AgentApp, widget: Widget) -> None:
    ensure_conversation(agent, widget, "Can someone from billing help?")
    agent.find("#transfer").click()
    wait_for(agent.driver, lambda: agent.find("#transfer-dialog").is_displayed(), "the dialog")
    agent.find("#transfer-ids").send_keys(site.other_agent_id)
    agent.find("#transfer-force").click()  # Bob is not signed in
    agent.find("#transfer-submit").click()
    wait_for(agent.driver, lambda: not agent.find("#transfer-dialog").is_displayed(), "closed")
    # The chat leaves her chats; the customer now chats with Bob.
    wait_for(
        agent.driver,
        lambda: (
            not any(
                "Carla" in t and "closed" not in t for t in agent.texts("#list-mine .chat-item")
            )
        ),
        "the chat to leave My chats",
    )
    wait_for(widget.driver, lambda: OTHER_NAME in widget.find(".status").text, "Bob's name")
    assert AGENT_NAME not in widget.find(".status").text
