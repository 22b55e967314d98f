"""The console in a real browser (Debian's chromium, headless, through chromedriver): what an operator sees.

Screenshots go to ``$TONGBAN_CONSOLE_PNG`` when set (else the test's temporary folder), for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.console import fleet_sim
from tests.console.conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium and chromium-driver are not installed (Debian packages)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER, log_output=os.devnull))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def navigate(driver: Any, element: Any) -> None:
    """Click something that loads a page, and wait until the new page replaced the old one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 60).until(expected_conditions.staleness_of(old))


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TONGBAN_CONSOLE_PNG") or tmp_path / "png")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_an_operator_sees_a_kiosk_out_of_paper_within_one_heartbeat(console, browser, tmp_path):
    from selenium.webdriver.common.by import By

    out = shots(tmp_path)
    ids = [f"K{n:04d}" for n in range(1, 13)]
    for n, kiosk_id in enumerate(ids):
        console.kiosk(kiosk_id, "pilot" if n < 4 else "all", "城南街道" if n % 2 else "城北社区")
        assert console.beat(kiosk_id, config_version="12" if n < 4 else "11").status_code == 204
    console.kiosk("K0099", "all", "城北社区")  # registered, never reported
    console.operator("alice", "operator")

    browser.get(f"{console.url}/")
    assert "/login" in browser.current_url
    browser.save_screenshot(str(out / "console-login.png"))
    browser.find_element(By.NAME, "name").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert browser.title.startswith("概览")
    cards = {c.get_attribute("data-state"): c.text for c in browser.find_elements(By.CSS_SELECTOR, ".card")}
    assert cards["ok"].split()[0] == "12" and "正常" in cards["ok"] and cards["never_seen"].startswith("1")

    # One heartbeat says the paper ran out: the next page the operator opens shows it.
    assert console.beat("K0003", config_version="11", printer={"paper": "out", "counters": {}}).status_code == 204
    browser.refresh()
    row = browser.find_element(By.CSS_SELECTOR, "tr[data-kiosk=K0003]")
    assert "需处理" in row.text and "缺纸" in row.text
    browser.save_screenshot(str(out / "console-overview.png"))
    navigate(browser, browser.find_element(By.LINK_TEXT, "告警"))
    alert = browser.find_element(By.CSS_SELECTOR, "tr[data-rule=paper_out]")
    assert alert.get_attribute("data-kiosk") == "K0003" and "缺纸" in alert.text and "城北社区" in alert.text
    browser.save_screenshot(str(out / "console-alerts.png"))
    navigate(browser, alert.find_element(By.TAG_NAME, "button"))
    assert "alice" in browser.find_element(By.CSS_SELECTOR, "tr[data-rule=paper_out]").text

    # Filters: the operator narrows the table to the pilot group.
    navigate(browser, browser.find_element(By.LINK_TEXT, "概览"))
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.NAME, "group")).select_by_value("pilot")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
    shown = {r.get_attribute("data-kiosk") for r in browser.find_elements(By.CSS_SELECTOR, "tr[data-kiosk]")}
    assert shown == {"K0001", "K0002", "K0003", "K0004"}

    # The kiosk's page: devices over time.
    devices = {**fleet_sim.heartbeat()["devices"], "printer": {"state": "user_error", "warnings": ["paper_out"]}}
    console.beat("K0003", config_version="11", devices=devices, printer={"paper": "out", "counters": {}}, restarts=2,
                 audit_head={"seq": 41, "hash": "9f" * 32})  # fmt: skip
    browser.get(f"{console.url}/kiosks/K0003")
    history = browser.find_element(By.ID, "history").text
    assert "需人工处理 (paper_out)" in history and "在线" in history and "凭条打印机" in history
    assert "41 · 9f9f" in browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    browser.save_screenshot(str(out / "console-kiosk.png"))

    browser.get(f"{console.url}/rollouts")
    assert "配置包版本 12" in browser.page_source
    browser.save_screenshot(str(out / "console-rollouts.png"))

    # English second: the language link, remembered by a cookie.
    navigate(browser, browser.find_element(By.LINK_TEXT, "English"))
    assert "Bundle version 12" in browser.page_source
    browser.get(f"{console.url}/")
    assert "Paper out" in browser.find_element(By.CSS_SELECTOR, "tr[data-kiosk=K0003]").text
    browser.save_screenshot(str(out / "console-overview-en.png"))

    # Log out: the pages are closed again.
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "header form button"))
    browser.get(f"{console.url}/alerts")
    assert "/login" in browser.current_url
