"""``calcikg web`` in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium).

One journey through the interface on the built graph: search "JDM" and pick the suggestion, run
the flagship question, follow a row to its report and locator, open a term page, follow a cell of
the evidence map; the browser's console must stay free of errors. Screenshots go to a temporary
folder and their paths are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

import pytest

from calcikg.serve import _read_line, free_port

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver): "
                "'make test-deps' installs them", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install -e '.[test]')")
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 60  # seconds: generous, the machine may be busy


@pytest.fixture(scope="module")
def server():
    """``calcikg web`` on a free loopback port, stopped by its PID."""
    port = free_port()
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    process = subprocess.Popen([sys.executable, "-m", "calcikg", "web", "--port", str(port)], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        line = _read_line(process, 120)
        assert line and line.startswith("serving"), f"calcikg web did not start: {line!r}"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots():
    """A temporary folder of its own (pytest's own are pruned by later runs): kept to look at."""
    return Path(tempfile.mkdtemp(prefix="calcikg-web-screenshots-"))


def snap(driver, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")


def suggestions(driver):
    return WebDriverWait(driver, WAIT).until(
        lambda d: [li for li in d.find_elements(By.CSS_SELECTOR, ".suggestions li") if li.is_displayed()] or False)


def test_journey(server, browser, shots):
    b = browser
    # search "JDM" and pick the suggestion with the keyboard
    b.get(server + "/")
    assert "CalciKG" in b.title
    box = b.find_element(By.ID, "search-home")
    box.send_keys("JDM")
    first = suggestions(b)[0]
    assert "juvenile dermatomyositis" in first.text
    snap(b, shots, "1-search-suggestion")
    box.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    WebDriverWait(b, WAIT).until(lambda d: "/term/ckg:JuvenileDermatomyositis" in d.current_url)
    assert b.find_element(By.TAG_NAME, "h1").text.startswith("juvenile dermatomyositis")
    assert "juvenile dermatomyositis" in b.title

    # the flagship question: condition=JDM through the form and its suggestion
    b.get(server + "/queries/treatments-effective-in")
    field = b.find_element(By.ID, "p-condition")
    field.clear()
    field.send_keys("JDM")
    suggestions(b)[0].click()
    assert field.get_attribute("value") == "juvenile dermatomyositis"
    field.clear()
    field.send_keys("JDM")  # the synonym itself, as the command line takes it
    b.find_element(By.CSS_SELECTOR, "form.question button[type=submit]").click()
    WebDriverWait(b, WAIT).until(lambda d: "condition=JDM" in d.current_url)
    rows = b.find_elements(By.CSS_SELECTOR, "table.answer tbody tr")
    assert len(rows) >= 5
    assert "pamidronate" in b.find_element(By.CSS_SELECTOR, "table.answer").text
    snap(b, shots, "2-flagship-answer")

    # sort by treatment (the script), then follow a row's evidence to the report and its locator
    b.find_element(By.CSS_SELECTOR, "th button.sort[data-col='0']").click()
    assert b.find_element(By.CSS_SELECTOR, "th[aria-sort]").get_attribute("aria-sort") == "ascending"
    evidence = b.find_element(By.CSS_SELECTOR, "table.answer tbody tr td.evidence .ev a")
    locator = evidence.find_element(By.CSS_SELECTOR, ".locator").text
    href = evidence.get_attribute("href")
    assert "/report/" in href and "#" in href
    evidence.click()
    WebDriverWait(b, WAIT).until(lambda d: "/report/" in d.current_url)
    anchor = urllib.parse.unquote(urllib.parse.urlsplit(b.current_url).fragment)
    row = b.find_element(By.ID, anchor)
    assert locator and locator in row.find_element(By.CSS_SELECTOR, "td.locator").text
    snap(b, shots, "3-report-locator")

    # a term page: definition, codes, statements
    b.get(server + "/term/ckg:Pamidronate")
    assert b.find_element(By.TAG_NAME, "h1").text.startswith("pamidronate")
    assert b.find_elements(By.CSS_SELECTOR, "ul.statements li")
    snap(b, shots, "4-term")

    # the evidence map: cells, and one followed to its statements
    b.get(server + "/map")
    cells = b.find_elements(By.CSS_SELECTOR, "svg a.cell-link circle")
    assert len(cells) >= 10
    snap(b, shots, "5-evidence-map")
    b.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})  # readable in print: the figure, no chrome
    assert not b.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
    assert b.find_element(By.CSS_SELECTOR, "figure.map svg").is_displayed()
    assert b.find_element(By.CSS_SELECTOR, "ul.legend").is_displayed()
    snap(b, shots, "5-evidence-map-print")
    b.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    first = b.find_elements(By.CSS_SELECTOR, "svg a.cell-link")[0]  # with the keyboard: focus, then Enter
    b.execute_script("arguments[0].focus()", first)
    assert b.switch_to.active_element == first
    ActionChains(b).send_keys(Keys.ENTER).perform()
    WebDriverWait(b, WAIT).until(lambda d: "/map/cell" in d.current_url)
    assert b.find_elements(By.CSS_SELECTOR, "ul.statements li")
    snap(b, shots, "6-map-cell")

    severe = [entry for entry in b.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, severe
