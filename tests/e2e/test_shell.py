"""End-to-end check of the app shell in the real window, through tauri-driver.

Run by tests/e2e/run.sh (inside Xvfb, with tauri-driver started); reads:
  E2E_WEBDRIVER_URL   tauri-driver's address
  E2E_APP             absolute path of the consent-trail-app binary
  E2E_ENGINE_VERSION  the version the window must show
  CONSENTTRAIL_DB     the throwaway database the app must open and show
  E2E_ARTIFACTS       where shell.png goes
Exits non-zero when a check fails.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT_S = 30


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"e2e: {name} is not set (run tests/e2e/run.sh)")
    return value


def connect(url: str, app: str) -> webdriver.Remote:
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": app})
    deadline = time.monotonic() + TIMEOUT_S
    while True:  # tauri-driver needs a moment to listen
        try:
            return webdriver.Remote(command_executor=url, options=options)
        except WebDriverException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def text_of(driver: webdriver.Remote, test_id: str) -> str:
    locator = (By.CSS_SELECTOR, f'[data-testid="{test_id}"]')
    element = WebDriverWait(driver, TIMEOUT_S).until(ec.visibility_of_element_located(locator))
    return element.text.strip()


def main() -> int:
    url = env("E2E_WEBDRIVER_URL")
    app = env("E2E_APP")
    expected_version = env("E2E_ENGINE_VERSION")
    database = env("CONSENTTRAIL_DB")
    artifacts = Path(env("E2E_ARTIFACTS"))

    passed: list[str] = []
    failed: list[str] = []

    def check(name: str, ok: bool, detail: str) -> None:
        (passed if ok else failed).append(name)
        print(f"e2e: {'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)

    driver = connect(url, app)
    try:
        try:
            # Wait until the shell has its answer: the workspace details or an error notice.
            WebDriverWait(driver, TIMEOUT_S).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="database-path"]')
                or d.find_elements(By.CSS_SELECTOR, '[data-testid="app-info-error"]')
            )
        except TimeoutException:
            body = driver.find_element(By.TAG_NAME, "body").text
            check("shell loads", False, f"no answer after {TIMEOUT_S}s; the window shows: {body!r}")
        else:
            error = driver.find_elements(By.CSS_SELECTOR, '[data-testid="app-info-error"]')
            if error:
                check("shell loads", False, f"the window shows an error: {error[0].text!r}")
            else:
                check("shell loads", True, "engine version and database path are shown")
                title = text_of(driver, "app-title")
                check("title", title == "ConsentTrail", repr(title))
                version = text_of(driver, "engine-version")
                check("engine version", version == expected_version, f"{version!r} (expected {expected_version!r})")
                path = text_of(driver, "database-path")
                check("database path", path == database, f"{path!r} (expected {database!r})")
                check("database created", Path(database).is_file(), database)

        artifacts.mkdir(parents=True, exist_ok=True)
        driver.get_screenshot_as_png()  # the first screenshot of a session is stale: discard it
        time.sleep(0.5)
        shot = artifacts / "shell.png"
        check("screenshot", driver.save_screenshot(str(shot)) and shot.stat().st_size > 0, str(shot))
    finally:
        driver.quit()

    print(f"e2e: {len(passed)} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
