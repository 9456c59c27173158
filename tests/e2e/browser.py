"""Driving the Agent App and the Chat Widget in headless Chromium (Debian's package).

Selenium talks to `/usr/bin/chromedriver`; no browser or driver is ever downloaded.
`BROWSER_MISSING` says why the browser tests cannot run here, or is None.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# Where to write screenshots (docs/screenshots when regenerating the README's images).
SCREENSHOT_DIR = os.environ.get("CHATPLANE_SCREENSHOTS")


def _missing() -> str | None:
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).exists():
            return f"{path} not found: apt-get install {package} (.ci/setup-extra does it)"
    return None


BROWSER_MISSING = _missing()

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--hide-scrollbars",
)


def make_driver(
    profile_dir: Path, width: int = 1280, height: int = 860, extra_flags: tuple[str, ...] = ()
) -> Any:
    """A Chromium with a fresh profile, driven through Debian's chromedriver; `extra_flags`
    add to CHROMIUM_FLAGS (e.g. --host-resolver-rules)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, *extra_flags):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(
        executable_path=CHROMEDRIVER, log_output=str(profile_dir.parent / "chromedriver.log")
    )
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_window_size(width, height)
    return driver


def console(driver: Any) -> str:
    """The browser console so far (for failure messages)."""
    try:
        return "\n".join(f"{e['level']}: {e['message']}" for e in driver.get_log("browser"))
    except Exception as exc:  # the driver may be gone
        return f"(no console: {exc})"


def page_text(driver: Any) -> str:
    """What the page shows (for failure messages), the widget's shadow root included."""
    try:
        text: str = driver.execute_script(
            "const w = document.getElementById('chatplane-widget');"
            "const inside = w ? '\\n[widget]\\n' + w.shadowRoot.textContent : '';"
            "return document.body.innerText + inside"
        )
        return text[-3000:]
    except Exception as exc:
        return f"(no page: {exc})"


def wait_for(driver: Any, condition: Callable[[], T | None], what: str, timeout: float = 20) -> T:
    """Wait until `condition()` returns something truthy (retrying on stale elements)."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    def check(_driver: Any) -> T | None:
        try:
            return condition()
        except (StaleElementReferenceException, NoSuchElementException):
            return None

    try:
        found = WebDriverWait(driver, timeout, poll_frequency=0.1).until(check)
    except TimeoutException:
        raise AssertionError(
            f"gave up waiting for {what}\nconsole:\n{console(driver)}\npage:\n{page_text(driver)}"
        ) from None
    assert found is not None
    return found


def click(driver: Any, find: Callable[[], Any], what: str) -> None:
    """Click what `find()` returns, finding it again if a re-render replaced it."""
    from selenium.common.exceptions import StaleElementReferenceException

    def attempt() -> bool:
        try:
            find().click()
        except StaleElementReferenceException:
            return False
        return True

    wait_for(driver, attempt, f"to click {what}")


def screenshot(driver: Any, name: str) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SCREENSHOT_DIR) / name))


class Widget:
    """The widget on a page, inside its shadow root."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    @property
    def host(self) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.ID, "chatplane-widget")

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.host.shadow_root.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.host.shadow_root.find_elements(By.CSS_SELECTOR, css))

    def texts(self, css: str = ".messages .msg .text") -> list[str]:
        """The shown text of each element `css` finds, read at once (a re-render between
        finding and reading would leave stale elements)."""
        texts: list[str] = self.driver.execute_script(
            "const root = document.getElementById('chatplane-widget').shadowRoot;"
            "return [...root.querySelectorAll(arguments[0])].map((e) => e.innerText.trim())",
            css,
        )
        return texts

    def state(self, name: str) -> str | None:
        value: str | None = self.host.get_attribute(f"data-{name}")
        return value


class AgentApp:
    """The Agent App in a page."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def texts(self, css: str) -> list[str]:
        """The shown text of each element `css` finds, read at once (see Widget.texts)."""
        texts: list[str] = self.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText.trim())",
            css,
        )
        return texts

    def event_texts(self) -> list[str]:
        return self.texts("#events .event .text")

    def connection(self) -> str:
        value: str = self.find("#connection").get_attribute("data-state") or ""
        return value
