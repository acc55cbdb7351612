"""The HTML report in a real browser: Debian's Chromium, headless, driven through its
chromedriver by Selenium. ``.ci/run`` installs both (``apt-get install chromium
chromium-driver``) and sets AUDITOR_REQUIRE_BROWSER=1, so there a missing browser fails the
test; elsewhere it is skipped with the reason.

With AUDITOR_REGEN_GOLDEN=1 the screenshot in docs/img/html-report.png is taken again.
"""
from __future__ import annotations

import os
from pathlib import Path
import shutil

import pytest

from auditor import api

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "data" / "golden"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _unavailable(reason: str):
    if os.environ.get("AUDITOR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (AUDITOR_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[test]')")
    if not (CHROMIUM and DRIVER):
        _unavailable("Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1300,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def six_index(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "six"
    api.build_index([str(GOLDEN / "corpus" / "six-1.16.0")], out, workers=1, show_progress=False)
    return out


def _page(six_index, tmp_path, name: str) -> Path:
    result = api.trace_snippet((GOLDEN / "snippets" / f"{name}.py").read_text("utf-8"), six_index)
    page = tmp_path / f"{name}.html"
    page.write_text(api.render(result, "html"), encoding="utf-8")
    return page


def test_hostile_snippet_stays_text_in_the_browser(browser, six_index, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(_page(six_index, tmp_path, "hostile").as_uri())
    assert browser.execute_script("return window.__pwned === undefined"), "a script from the snippet ran"
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert browser.find_elements(By.CSS_SELECTOR, "a[href]") == []
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "<script>window.__pwned = 1</script>" in text
    assert "[click me](javascript:alert(1))" in text
    # the snippet's </pre></td></tr> did not close the table: every snippet line is still in a cell
    cells = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "table.align td.code")]
    assert any("</pre></td></tr>" in c for c in cells)


def test_alignment_is_side_by_side(browser, six_index, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(_page(six_index, tmp_path, "renamed").as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "table.align tr")
    paired = 0
    for row in rows:
        code = row.find_elements(By.CSS_SELECTOR, "td.code")
        if len(code) == 2 and code[0].text.strip() and code[1].text.strip():
            left, right = code[0].rect, code[1].rect
            assert abs(left["y"] - right["y"]) < 2 and left["x"] + left["width"] <= right["x"] + 1
            paired += 1
    assert paired >= 12  # the renamed function's lines sit beside the originals
    renamed = browser.find_elements(By.CSS_SELECTOR, "td.renamed")
    assert renamed and renamed[0].value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    assert "temporary_meta" in renamed[0].text or any("temporary_meta" in c.text for c in renamed)
    if os.environ.get("AUDITOR_REGEN_GOLDEN") == "1":
        (REPO / "docs" / "img").mkdir(parents=True, exist_ok=True)
        browser.set_window_size(1300, 1250)
        browser.save_screenshot(str(REPO / "docs" / "img" / "html-report.png"))
