"""End-to-end test of ConsentTrail in the real window, through tauri-driver + WebKitWebDriver.

A compliance officer's path: drop a folder of multi-system exports on the window (the test-only
`e2e_drop` command emits the same event a native drop does), watch the import progress finish,
find a subject, open their timeline, see a finding and an event's raw source row, make their
evidence pack, check the file and verify it; then look at every other screen. A screenshot of
each screen is saved to $E2E_ARTIFACTS.

Run by tests/e2e/run.sh (inside Xvfb, with tauri-driver started); reads:
  E2E_WEBDRIVER_URL   tauri-driver's address
  E2E_APP             absolute path of the consent-trail-app binary (built with --features e2e)
  E2E_ENGINE_VERSION  the version the window must show
  E2E_DROP_FOLDER     the folder to drop (fixtures plus one large generated export)
  E2E_LARGE_ROWS      rows in the large export (the progress bar must move while it imports)
  E2E_WORK            a scratch folder for the pack
  E2E_CANCEL_FILE     a large export not yet imported, to cancel mid-import
  CONSENTTRAIL_DB     the throwaway database the app must open and show
  E2E_ARTIFACTS       where the screenshots go
Exits non-zero when a check fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import (
    ElementNotInteractableException,
    StaleElementReferenceException,
)
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

TIMEOUT_S = 30
# React replaces elements as data arrives: a wait looks again instead of failing on these.
RERENDERED = (StaleElementReferenceException, ElementNotInteractableException)
IMPORT_TIMEOUT_S = 300
# A subject the fixtures give an R1 finding (data shared with a party their consent never named).
SUBJECT = "soren.ostergaard@example.dk"


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"e2e: {name} is not set (run tests/e2e/run.sh)")
    return value


def blank_detail(shot: Path) -> str:
    """Distinct colours and the share of the commonest one, for the log."""
    if not shot.is_file():
        return "no file"
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height) or []
        commonest = max((count for count, _ in colours), default=0)
        return f"{len(colours)} colours, the commonest on {commonest * 100 // max(1, rgb.width * rgb.height)}%"


def not_blank(shot: Path) -> bool:
    """A screen with text and controls has many colours (anti-aliasing) and no colour covering
    almost all of it; a blank, black or half-painted window fails."""
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height) or []
    commonest = max((count for count, _ in colours), default=0)
    return len(colours) >= 32 and commonest < 0.97 * rgb.width * rgb.height


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


class Session:
    """The WebDriver session with the checks and screenshots of this run."""

    def __init__(self, driver: webdriver.Remote, artifacts: Path) -> None:
        self.driver = driver
        self.artifacts = artifacts
        self.passed: list[str] = []
        self.failed: list[str] = []
        self.first_shot = True

    def check(self, name: str, ok: bool, detail: str) -> bool:
        (self.passed if ok else self.failed).append(name)
        print(f"e2e: {'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
        return ok

    def all(self, test_id: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{test_id}"]')

    def wait_for(self, test_id: str, timeout: float = TIMEOUT_S) -> WebElement:
        def visible(_: webdriver.Remote) -> WebElement | bool:
            for element in self.all(test_id):
                if element.is_displayed():
                    return element
            return False

        return WebDriverWait(self.driver, timeout, poll_frequency=0.1, ignored_exceptions=RERENDERED).until(visible)

    def wait_until(self, what: Callable[[], object], timeout: float = TIMEOUT_S) -> object:
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1, ignored_exceptions=RERENDERED).until(lambda _: what())

    def click(self, test_id: str) -> None:
        """Clicks the first visible element with `test_id`, looking again if a re-render replaced it."""
        self.wait_until(lambda: click_quietly(self.wait_for(test_id)))

    def type_into(self, test_id: str, text: str) -> None:
        field = self.wait_for(test_id)
        field.clear()
        field.send_keys(text)

    def screenshot(self, name: str, expect: str, show: str | None = None, block: str = "start") -> None:
        """Saves a screenshot and checks it has content: `expect` (the screen's key text) is in the
        page at that moment, and the image is not blank (one flat colour, or nearly). `show` is a
        test id to scroll into view first (at `block`)."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        if show is not None:
            elements = self.all(show)
            if elements:
                self.driver.execute_script("arguments[0].scrollIntoView({block: arguments[1]});", elements[0], block)
        if self.first_shot:  # the first screenshot of a session is stale: discard it
            self.driver.get_screenshot_as_png()
            self.first_shot = False
        time.sleep(0.4)
        shot = self.artifacts / f"{name}.png"
        saved = self.driver.save_screenshot(str(shot))
        page = self.driver.execute_script("return document.body.textContent") or ""
        self.check(f"screenshot {name} shows {expect!r}", expect in page, f"{len(page)} characters of text on the page")
        self.check(f"screenshot {name}", bool(saved) and shot.is_file() and not_blank(shot), f"{shot} ({blank_detail(shot)})")

    def body_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text


def shell_loads(s: Session, expected_version: str, database: str) -> bool:
    try:
        s.wait_until(lambda: s.all("database-path") or s.all("app-info-error"))
    except TimeoutException:
        source = s.driver.page_source
        return s.check("shell loads", False, f"no answer after {TIMEOUT_S}s; the page is: {source[:3000]!r}")
    errors = s.all("app-info-error")
    if errors:
        return s.check("shell loads", False, f"the window shows an error: {errors[0].text!r}")
    s.check("shell loads", True, "engine version and database path are shown")
    title = s.wait_for("app-title").text.strip()
    s.check("title", title == "ConsentTrail", repr(title))
    version = s.wait_for("engine-version").text.strip()
    s.check("engine version", version == expected_version, f"{version!r} (expected {expected_version!r})")
    path = s.wait_for("database-path").text.strip()
    s.check("database path", path == database, f"{path!r} (expected {database!r})")
    s.check("database created", Path(database).is_file(), database)
    return True


def drop(s: Session, paths: list[str]) -> None:
    """Emits a native drop of `paths` through the test-only command (the page's IPC bridge)."""
    error = s.driver.execute_async_script(
        """
        const [paths, done] = arguments;
        window.__TAURI_INTERNALS__.invoke('e2e_drop', { paths }).then(() => done(null), (e) => done(String(e)));
        """,
        paths,
    )
    s.check("drop emitted", error is None, repr(error))


def choose_in_dialog(s: Session, paths: list[str]) -> None:
    """The next native dialog returns `paths` as if the user chose them (test-only `e2e_choose`):
    the window names files only by the tokens the Rust side issues, so no path is typed."""
    error = s.driver.execute_async_script(
        """
        const [paths, done] = arguments;
        window.__TAURI_INTERNALS__.invoke('e2e_choose', { paths }).then(() => done(null), (e) => done(String(e)));
        """,
        paths,
    )
    s.check("dialog choice registered", error is None, repr(error))


SAMPLE_DB_NAME = "consenttrail-sample-data.sqlite"


def first_run_with_sample_data(s: Session, work: Path, database: str) -> None:
    """A new user's first hour (issue 16): the empty window says which exports it reads, "Try with
    sample data" opens a fictional company's exports in a separate demo database, the findings
    carry rule names, a decision, a filter, an export, a subject pack and the profile work on it,
    and "Leave sample data" returns to the user's own, still empty, database."""
    try:
        systems = s.wait_for("first-run-systems")
    except TimeoutException:
        s.check("first run lists the systems", False, s.body_text()[:400])
        return
    listed = systems.text
    s.check(
        "first run lists the systems and which file each export is",
        all(part in listed for part in ("Mailchimp", "Audience", "Salesforce", "OneTrust", "HubSpot")),
        listed.replace("\n", " | ")[:200],
    )
    s.screenshot("first-run", expect="Try with sample data", show="first-run")

    s.click("try-sample-data")
    try:
        banner = s.wait_for("sample-banner", timeout=180)
    except TimeoutException:
        s.check("sample data opens", False, s.body_text()[:400])
        return
    s.check(
        "the sample-data banner says so",
        "Sample data — not your organisation's records" in banner.text,
        banner.text.replace("\n", " | ")[:160],
    )
    demo = str(Path(database).with_name(SAMPLE_DB_NAME))
    s.wait_until(lambda: s.wait_for("database-path").text.strip() == demo)
    s.check("the demo database is open, not the user's", True, demo)

    # Findings, by rule name.
    try:
        s.wait_until(lambda: s.wait_for("nav-findings").get_attribute("aria-current") == "page")
        s.wait_until(lambda: len(s.all("finding-row")) >= 10)
        chart = s.wait_for("findings-chart-rule").text
    except TimeoutException:
        s.check("sample findings shown", False, s.body_text()[:400])
        return
    names = ("Unnamed recipient", "Processing after withdrawal", "Child consent")
    s.check("the chart names the rules", all(n in chart for n in names), chart.replace("\n", " | ")[:240])
    rows = " ".join(r.text for r in s.all("finding-row"))
    s.check("findings carry rule names", all(n in rows for n in names), rows.replace("\n", " | ")[:240])
    s.screenshot("sample-findings", expect="Unnamed recipient", show="findings-chart-rule")

    # A decision on the first finding.
    s.click("finding-expand")
    try:
        Select(s.wait_for("decision-status")).select_by_value("accepted")
        s.type_into("decision-note", "Known gap: DPA with the list broker being signed (e2e)")
        s.click("decision-submit")
        decided = s.wait_until(
            lambda: next((d for d in s.all("finding-decision") if "Known gap" in d.text), None), timeout=60
        )
        assert isinstance(decided, WebElement)
        s.check("a decision is recorded", True, decided.text.replace("\n", " | ")[:160])
    except TimeoutException:
        s.check("a decision is recorded", False, s.body_text()[:400])
    s.screenshot("sample-decision", expect="Known gap: DPA", show="finding-decision", block="center")

    # A filter: only processing after withdrawal.
    Select(s.wait_for("filter-rule")).select_by_value("R3")
    try:
        s.wait_until(
            lambda: s.all("finding-row")
            and all("Processing after withdrawal" in r.text for r in s.all("finding-row"))
            and len(s.all("finding-row")) < 10
        )
        s.check("the rule filter narrows the list", True, f"{len(s.all('finding-row'))} finding(s)")
    except TimeoutException:
        s.check("the rule filter narrows the list", False, s.body_text()[:400])
    s.screenshot("sample-filtered", expect="Processing after withdrawal", show="filter-rule")

    # Export the filtered findings (the save dialog answered through the test-only hook).
    export = work / "sample-findings.csv"
    choose_in_dialog(s, [str(export)])
    s.click("findings-export")
    try:
        result = s.wait_for("findings-export-result", timeout=60).text
        text = export.read_text(encoding="utf-8-sig") if export.is_file() else ""
        data_rows = [line for line in text.splitlines()[1:] if line.strip()]
        s.check(
            "the filtered findings are exported with rule names",
            "Processing after withdrawal" in text and "Unnamed recipient" not in text and len(data_rows) >= 1,
            f"{result!r}; {len(data_rows)} row(s) in {export.name}",
        )
    except TimeoutException:
        s.check("the filtered findings are exported", False, s.body_text()[:400])
    s.screenshot("sample-export", expect="Exported", show="findings-export-result", block="center")

    # A subject pack: from the finding to the person's timeline, then Make pack.
    s.click("finding-subject")
    pack = work / "sample-subject-pack.pdf"
    try:
        s.wait_for("timeline-screen")
        s.click("make-pack")
        choose_in_dialog(s, [str(pack)])
        s.click("pack-choose")
        s.wait_until(lambda: pack.name in s.wait_for("pack-path").text)
        s.click("pack-make")
        s.wait_for("pack-result", timeout=120)
        s.check("a subject pack of the sample", pack.read_bytes()[:5] == b"%PDF-", str(pack))
    except (TimeoutException, OSError) as error:
        s.check("a subject pack of the sample", False, f"{error}; {s.body_text()[:300]!r}")
    s.screenshot("sample-pack", expect=pack.name, show="pack-result")

    # Remove a source that brought events (the CDP's activation log, behind the unnamed-recipient
    # findings): its events go, the findings are checked again, the list says so.
    s.click("nav-sources")
    try:
        s.wait_until(lambda: len(s.all("source-row")) >= 2)
        before = len(s.all("source-row"))
        demo = s.wait_for("database-path").text.strip()

        def findings_stored() -> int:
            with sqlite3.connect(f"file:{demo}?mode=ro", uri=True) as db:
                return int(db.execute("SELECT count(*) FROM findings").fetchone()[0])

        findings_before = findings_stored()
        def cdp_remove_button() -> WebElement | None:
            row = next((r for r in s.all("source-row") if "cdp_activation_log" in r.text), None)
            return None if row is None else row.find_element(By.CSS_SELECTOR, '[data-testid="source-remove"]')

        # Scrolled to the centre first, as a person would: the table scrolls sideways inside its
        # card, and WebKit's own scroll-into-view left the button under the card's scrollbar.
        s.wait_until(lambda: click_quietly(cdp_remove_button()))
        s.click("source-remove-confirm")
        removed = s.wait_for("sources-removed", timeout=120).text
        s.wait_until(lambda: len(s.all("source-row")) == before - 1)
        with sqlite3.connect(f"file:{demo}?mode=ro", uri=True) as db:
            stored = db.execute("SELECT count(*) FROM sources").fetchone()[0]
        findings_after = findings_stored()
        s.check(
            "a source is removed in the window and in the database, and its findings with it",
            stored == before - 1 and "cdp_activation_log" in removed and " 0 events" not in removed
            and findings_after < findings_before,
            f"{before} sources before, {stored} after; findings {findings_before} -> {findings_after}; {removed[:120]!r}",
        )
    except (TimeoutException, StopIteration, sqlite3.Error, WebDriverException) as error:
        s.check("source removal", False, f"{type(error).__name__}: {error}; {s.body_text()[:300]!r}")
    s.screenshot("sample-source-removed", expect="Removed", show="sources-removed", block="center")

    # The profile: save a change, then export it.
    s.click("nav-profile")
    try:
        s.wait_until(lambda: s.all("profile-purpose"))
        label = s.driver.find_element(By.XPATH, "//label[normalize-space()='Withdrawal grace (hours)']")
        grace = s.driver.find_element(By.ID, label.get_attribute("for") or "")
        grace.clear()
        grace.send_keys("72")
        s.click("profile-save")
        saved = s.wait_for("profile-saved", timeout=60).text
        s.check("the profile is saved", bool(saved.strip()), saved[:160])
        profile_file = work / "sample-profile.json"
        choose_in_dialog(s, [str(profile_file)])
        s.click("profile-export")
        s.wait_for("profile-file-done", timeout=60)
        exported = json.loads(profile_file.read_text(encoding="utf-8"))
        s.check(
            "the saved profile is exported",
            exported["organisation"]["name"].startswith("Alder & Finch")
            and exported["policy"]["withdrawal_grace_hours"] == 72,
            f"{profile_file.name}: {exported['organisation']['name']}, grace {exported['policy']['withdrawal_grace_hours']} h",
        )
    except (TimeoutException, OSError, ValueError, KeyError, WebDriverException) as error:
        s.check("profile save and export", False, f"{type(error).__name__}: {error}; {s.body_text()[:300]!r}")
    s.screenshot("sample-profile", expect="Withdrawal grace", show="profile-file-done", block="center")

    # Leave: back on the user's database, which holds nothing of the sample.
    s.click("leave-sample-data")
    try:
        s.wait_until(lambda: not s.all("sample-banner") and s.wait_for("database-path").text.strip() == database)
        s.check("leaving returns to the user's database", True, database)
    except TimeoutException:
        s.check("leaving returns to the user's database", False, s.body_text()[:300])
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        sources = db.execute("SELECT count(*) FROM sources").fetchone()[0]
        identifiers = db.execute("SELECT count(*) FROM identifiers").fetchone()[0]
    s.check("the user's database holds no sample data", sources == 0 and identifiers == 0, f"{sources} sources, {identifiers} identifiers")
    s.screenshot("sample-left", expect="Try with sample data", show="first-run")


def mapper_and_date_order(s: Session, work: Path) -> None:
    """A CSV no importer knows, mapped in the window, whose dates could be day/month or
    month/day: the report asks for the order instead of guessing, and the import then succeeds."""
    signups = work / "newsletter-signups.csv"
    signups.write_text(
        "Contact,Signed up on,Form\n"
        "ada.lovelace@example.org,03/04/2024,Footer form\n"
        "alan.turing@example.org,05/06/2024,Footer form\n"
        "grace.hopper@example.org,07/08/2024,Checkout\n",
        encoding="utf-8",
    )
    drop(s, [str(signups)])
    try:
        mapper = s.wait_for("column-mapper")
    except TimeoutException:
        s.check("an unknown layout opens the column mapper", False, s.body_text()[:400])
        return
    s.check("an unknown layout opens the column mapper", True, "needs-mapping")

    def field(label: str) -> WebElement:
        return mapper.find_element(By.XPATH, f".//label[contains(., '{label}')]/input")

    def select_for(label: str) -> Select:
        target = mapper.find_element(By.XPATH, f".//label[contains(., '{label}')]").get_attribute("for")
        return Select(mapper.find_element(By.ID, target or ""))

    field("Mapping name").clear()
    field("Mapping name").send_keys("Newsletter sign-ups (e2e)")
    field("System id").clear()
    field("System id").send_keys("signup-form")
    select_for("Subject (e-mail").select_by_value("Contact")
    select_for("When it happened").select_by_value("Signed up on")
    select_for("Capture source").select_by_value("Form")
    Select(mapper.find_element(By.XPATH, ".//select[@aria-label='Kind of event for every row']")).select_by_value(
        "consent.given"
    )
    s.screenshot("import-mapper", expect="Column mapping", show="column-mapper")
    mapper.find_element(By.XPATH, ".//button[contains(., 'Save mapping')]").click()
    try:
        s.wait_until(
            lambda: [p for p in s.all("import-preview-file") if p.get_attribute("data-status") == "ready"]
            and not s.all("column-mapper")
        )
        s.check("the saved mapping makes the file ready", True, signups.name)
    except TimeoutException:
        s.check("the saved mapping makes the file ready", False, s.body_text()[:400])
        return

    s.click("import-start")
    try:
        s.wait_until(lambda: "could be day/month or month/day" in s.wait_for("import-report").text, timeout=120)
        s.check("ambiguous dates: the report asks for the order", True, "day/month or month/day")
    except TimeoutException:
        s.check("ambiguous dates: the report asks for the order", False, s.body_text()[:400])
        return
    s.screenshot("import-date-order", expect="could be day/month or month/day", show="import-report")
    order = s.driver.find_element(By.XPATH, "//label[contains(., 'Day/month order for slash dates')]")
    Select(s.driver.find_element(By.ID, order.get_attribute("for") or "")).select_by_value("dmy")
    s.driver.find_element(By.XPATH, "//button[contains(., 'Import again')]").click()
    try:
        s.wait_until(
            lambda: any(
                r.get_attribute("data-status") == "imported" and signups.name in r.text for r in s.all("import-report-file")
            ),
            timeout=120,
        )
        s.check("with day first chosen, the file imports", True, signups.name)
    except TimeoutException:
        s.check("with day first chosen, the file imports", False, s.body_text()[:400])
    s.screenshot("import-date-order-done", expect="newsletter-signups.csv", show="import-report")


def import_folder(s: Session, folder: str, large_rows: int) -> None:
    s.screenshot("import-empty", expect="Choose files")
    drop(s, [folder])
    try:
        s.wait_until(lambda: len(s.all("import-preview-file")) >= 10)
    except TimeoutException:
        s.check("preview", False, f"no previews; the window shows: {s.body_text()[:600]!r}")
        return
    files = s.all("import-preview-file")
    statuses = [f.get_attribute("data-status") for f in files]
    s.check("preview lists every file", len(files) >= 10, f"{len(files)} files: {statuses}")
    s.check("preview detects every system", all(st == "ready" for st in statuses), str(statuses))
    s.screenshot("import-preview", expect="ContactPointTypeConsent.csv", show="import-preview")

    s.click("import-start")
    # Watch the progress bar move on the large export, then the report.
    progress_values: set[str] = set()
    rates: set[str] = set()
    deadline = time.monotonic() + IMPORT_TIMEOUT_S
    shot_taken = False
    while time.monotonic() < deadline and not s.all("import-report"):
        panels = s.all("import-progress")
        if panels:
            try:
                bars = panels[0].find_elements(By.TAG_NAME, "progress")
                if bars:
                    progress_values.add(bars[0].get_attribute("value") or "")
                text = panels[0].text
                if "/s" in text:
                    rates.add(text)
                if not shot_taken and len(progress_values) >= 2:
                    s.screenshot("import-progress", expect="Rows read", show="import-progress")
                    shot_taken = True
            except WebDriverException:
                pass  # the panel went away between the lookup and the read
        time.sleep(0.2)
    moving = {v for v in progress_values if v not in ("", "0")}
    s.check(
        "progress moves while importing",
        len(moving) >= 2,
        f"{len(moving)} distinct progress values over {large_rows} rows: {sorted(moving)[:6]}",
    )
    s.check("rows per second shown", bool(rates), next(iter(rates), "none").replace("\n", " | ")[:160])
    try:
        report = s.wait_for("import-report", timeout=IMPORT_TIMEOUT_S)
    except TimeoutException:
        s.check("import report", False, f"no report; the window shows: {s.body_text()[:600]!r}")
        return
    rows = s.all("import-report-file")
    statuses = [r.get_attribute("data-status") for r in rows]
    s.check("every file imported", len(rows) >= 10 and all(st == "imported" for st in statuses), str(statuses))
    consent_rows = next((r.text for r in rows if "ContactPointTypeConsent.csv" in r.text), "")
    s.check(
        "rejected rows reported with line, field and reason",
        all(part in consent_rows for part in ("line 8", "PrivacyConsentStatus", "'Maybe'", "line 10", "missing PartyId")),
        consent_rows.replace("\n", " | ")[:300],
    )
    s.screenshot("import-report", expect="View subjects", show="import-report")


def find_subject(s: Session) -> bool:
    s.click("import-show-subjects")
    s.type_into("subject-search", SUBJECT[:5])

    def subject_row() -> WebElement | None:
        try:
            # textContent: a long identifier is cut with an ellipsis on screen, not in the DOM.
            return next((r for r in s.all("subject-row") if SUBJECT in (r.get_attribute("textContent") or "")), None)
        except StaleElementReferenceException:
            return None  # the list re-rendered under us: look again

    try:
        s.wait_until(lambda: subject_row() is not None and "1 subject" in s.wait_for("subject-count").text)
    except TimeoutException:
        s.screenshot("subjects", expect="Subjects")
        return s.check("subject found", False, f"no row for {SUBJECT}; the window shows: {s.body_text()[:400]!r}")
    row = subject_row()
    s.check("subject found", row is not None, (row.get_attribute("textContent") or "")[:160] if row else "gone")
    count = s.wait_for("subject-count").text
    s.check("search narrows the list", "1 subject" in count, count)
    s.screenshot("subjects", expect=SUBJECT)
    opened = s.wait_until(lambda: click_quietly(subject_row()))
    return bool(opened)


def click_quietly(element: WebElement | None) -> bool:
    """Scrolls to and clicks an element that a re-render may replace or a layout may still be
    moving; False (try again) when it went stale or could not take the click yet."""
    if element is None:
        return False
    try:
        element.parent.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()
        return True
    except (StaleElementReferenceException, ElementNotInteractableException):
        return False


def timeline(s: Session) -> None:
    try:
        s.wait_for("timeline-screen")
        s.wait_until(lambda: s.all("timeline-event"))
    except TimeoutException:
        s.check("timeline", False, f"the window shows: {s.body_text()[:400]!r}")
        return
    findings = s.all("timeline-finding")
    texts = " ".join(f.text for f in findings)
    s.check("a finding is shown", "R1" in texts, texts.replace("\n", " | ")[:200])
    markers = s.all("timeline-finding-marker")
    s.check("findings are marked on the time axis", len(markers) >= 1, f"{len(markers)} marker(s)")
    # WebKitWebDriver will not click a <tr> itself: click its first cell (the row handles it).
    s.wait_until(
        lambda: click_quietly(next((row.find_element(By.TAG_NAME, "td") for row in s.all("timeline-event")), None))
    )
    try:
        raw = s.wait_for("event-source-raw")
        s.check("an event shows its raw source row", bool(raw.text.strip()), raw.text[:120])
    except TimeoutException:
        s.check("an event shows its raw source row", False, s.body_text()[:300])
    s.screenshot("timeline", expect=SUBJECT, show="timeline-screen")
    s.screenshot("timeline-chart", expect=SUBJECT, show="timeline-finding-marker", block="center")


def evidence(s: Session, work: Path) -> None:
    s.click("make-pack")
    pack = work / "evidence-soren.pdf"
    choose_in_dialog(s, [str(pack)])
    s.click("pack-choose")
    s.wait_until(lambda: pack.name in s.wait_for("pack-path").text)
    s.click("pack-make")
    try:
        s.wait_for("pack-result", timeout=120)
    except TimeoutException:
        s.check("pack written", False, s.body_text()[:400])
        return
    s.check("pack written", pack.is_file() and pack.stat().st_size > 0, str(pack))
    shown_sha = s.wait_for("pack-result-sha256").text.strip()
    actual_sha = hashlib.sha256(pack.read_bytes()).hexdigest()
    s.check("the window shows the file's SHA-256", actual_sha in shown_sha, f"{shown_sha[:20]}… vs {actual_sha[:20]}…")
    if shutil.which("qpdf"):
        qpdf = subprocess.run(["qpdf", "--check", str(pack)], capture_output=True, text=True)
        s.check("qpdf --check", qpdf.returncode == 0, " ".join(qpdf.stdout.split())[:160] or qpdf.stderr)
    # Verify the pack as an auditor would: chosen in the open dialog (it verifies at once).
    choose_in_dialog(s, [str(pack)])
    s.click("verify-choose")
    try:
        result = s.wait_until(
            lambda: next((r for r in s.all("verify-result") if r.get_attribute("data-ok") in ("true", "false")), None),
            timeout=60,
        )
    except TimeoutException:
        s.check("pack verifies", False, s.body_text()[:400])
        return
    assert isinstance(result, WebElement)
    s.check("pack verifies", result.get_attribute("data-ok") == "true", result.text.replace("\n", " | ")[:200])
    s.screenshot("evidence", expect="Pack written", show="pack-result")


def cancel_an_import(s: Session, export: str) -> None:
    """Cancel in the real window: the running file is rolled back, nothing else changes."""
    s.click("nav-sources")
    s.wait_until(lambda: s.all("source-row"))
    before = len(s.all("source-row"))
    drop(s, [export])
    s.wait_until(lambda: [p for p in s.all("import-preview-file") if p.get_attribute("data-status") == "ready"])
    s.click("import-start")
    try:
        s.wait_for("import-progress")
        s.wait_until(lambda: "Rows read" in s.wait_for("import-progress").text)
        s.click("import-cancel")
        s.wait_for("import-cancelled", timeout=120)
    except TimeoutException:
        s.check("cancel", False, s.body_text()[:400])
        return
    message = s.wait_for("import-cancelled").text
    s.check("cancel stops the import", "rolled back" in message, message.replace("\n", " | ")[:200])
    s.screenshot("import-cancelled", expect="rolled back", show="import-cancelled")
    s.click("nav-sources")
    s.wait_until(lambda: s.all("source-row"))
    after = len(s.all("source-row"))
    s.check("a cancelled file leaves no source", after == before, f"{before} sources before, {after} after")


def other_screens(s: Session) -> None:
    s.click("nav-findings")
    try:
        total = s.wait_for("findings-total").text
        s.wait_until(lambda: s.all("finding-row"))
        s.check("findings dashboard", any(ch.isdigit() for ch in total), total)
        s.wait_for("findings-chart-rule")
    except TimeoutException:
        s.check("findings dashboard", False, s.body_text()[:400])
    s.screenshot("findings", expect="Unnamed recipient")

    s.click("nav-sources")
    try:
        s.wait_until(lambda: len(s.all("source-row")) >= 10)
        s.check("sources listed", True, f"{len(s.all('source-row'))} sources")
    except TimeoutException:
        s.check("sources listed", False, s.body_text()[:400])
    s.screenshot("sources", expect="ContactPointTypeConsent.csv")

    s.click("nav-profile")
    try:
        s.wait_until(lambda: s.all("profile-purpose"))
        s.check("profile editor", True, f"{len(s.all('profile-purpose'))} purposes")
    except TimeoutException:
        s.check("profile editor", False, s.body_text()[:400])
    s.screenshot("profile", expect="Withdrawal grace")

    # Keyboard: the navigation is reachable with Tab and works with Enter.
    s.wait_for("nav-import").send_keys(Keys.ENTER)
    s.check(
        "navigation works from the keyboard",
        s.wait_for("nav-import").get_attribute("aria-current") == "page",
        "Enter on Import",
    )


def main() -> int:
    url = env("E2E_WEBDRIVER_URL")
    app = env("E2E_APP")
    expected_version = env("E2E_ENGINE_VERSION")
    database = env("CONSENTTRAIL_DB")
    folder = env("E2E_DROP_FOLDER")
    large_rows = int(env("E2E_LARGE_ROWS"))
    work = Path(env("E2E_WORK"))
    artifacts = Path(env("E2E_ARTIFACTS"))

    driver = connect(url, app)
    # Typing a path that exists must type it, not upload the file (Selenium's default).
    driver.file_detector = UselessFileDetector()
    driver.set_window_size(1280, 800)
    s = Session(driver, artifacts)
    try:
        if shell_loads(s, expected_version, database):
            first_run_with_sample_data(s, work, database)
            import_folder(s, folder, large_rows)
            mapper_and_date_order(s, work)
            if find_subject(s):
                timeline(s)
                evidence(s, work)
            other_screens(s)
            cancel_an_import(s, env("E2E_CANCEL_FILE"))
    except (TimeoutException, WebDriverException) as error:
        traceback.print_exc()
        s.check("session", False, f"{type(error).__name__}: {error}; the window shows: {s.body_text()[:400]!r}")
        s.screenshot("failure", expect="")
    finally:
        driver.quit()

    print(f"e2e: {len(s.passed)} passed, {len(s.failed)} failed", flush=True)
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
