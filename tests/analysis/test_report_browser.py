"""The report that `lbsim replay` writes opens in a real browser with every image rendered.

test_report.py checks the HTML text; this test loads the page in headless Chromium (Debian's
chromium and chromium-driver, through python3-selenium) and asks the browser itself: every
<img> finished loading and decoded to a picture of the PNG file's size, one <img> per PNG
file beside the report, the title and heading name the scenario, and the page requested nothing
but itself (no http, https or other file). The run directory is made by `lbsim replay` with its
default report on, so the C++ path that starts the Python report writer is exercised too: the
report is written while the run is still a temporary sibling (".replay.tmp-<pid>"), and the page
must name the run "replay", not that.

Missing browser pieces are a failure naming the Debian packages, never a skip: a skipped test
would leave the report unchecked without anyone noticing.
"""

import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
from pathlib import Path

from tests.analysis import fixtures

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    SELENIUM_ERROR = None
except ImportError as error:  # reported by the test, as a failure
    SELENIUM_ERROR = error

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PACKAGES = ("the Debian packages chromium, chromium-driver and python3-selenium "
            "(apt-get install chromium chromium-driver python3-selenium)")
PAGE_LOAD_TIMEOUT_S = 60
EXPECTED_FIGURES = {"timeline.png", "server_traffic.png", "utilization.png", "queues.png",
                    "whatif.png"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Per <img>: whether the browser finished loading it, its decoded size, its size on the page and
# where it came from.
IMAGES_SCRIPT = """
return Array.from(document.images).map(img => {
  const box = img.getBoundingClientRect();
  return {title: img.title, complete: img.complete, naturalWidth: img.naturalWidth,
          naturalHeight: img.naturalHeight, shownWidth: box.width, shownHeight: box.height,
          src: img.currentSrc.slice(0, 22)};
});
"""
# Every URL the page fetched besides itself (Resource Timing) and every element pointing
# elsewhere.
RESOURCES_SCRIPT = """
return {
  resources: performance.getEntriesByType('resource').map(e => e.name),
  external: Array.from(document.querySelectorAll('[src],[href],link,script'))
                 .map(e => e.tagName + ' ' + (e.getAttribute('src') || e.getAttribute('href') || ''))
                 .filter(text => !/^IMG data:image\\/png;base64,/.test(text)),
};
"""


def png_size(data: bytes) -> tuple:
    """(width, height) from a PNG's IHDR chunk."""
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return struct.unpack(">II", data[16:24])


class ReportBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = Path(tempfile.mkdtemp(prefix="lbsim-report-browser-"))
        cls.run_dir = cls.scratch / "replay"
        # The report is on by default: lbsim itself runs python3 -m analysis.report.
        result = subprocess.run(
            [str(fixtures.binary()), "replay", str(fixtures.tiny_scenario()), "--what-if", "all",
             "-r", "2", "--out", str(cls.run_dir), "--quiet"],
            capture_output=True, text=True, timeout=120)
        cls.replay_error = None
        if result.returncode != 0:
            cls.replay_error = f"lbsim replay failed ({result.returncode}): {result.stderr}"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def open_browser(self):
        missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
        if SELENIUM_ERROR is not None:
            missing.append(f"the selenium module ({SELENIUM_ERROR})")
        if missing:
            self.fail(f"missing {', '.join(missing)}: this test needs {PACKAGES}")
        options = Options()
        options.binary_location = str(CHROMIUM)
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1000"):
            options.add_argument(argument)
        # The DevTools network log records every request the page starts, even one that fails.
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        self.addCleanup(driver.quit)
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
        return driver

    def test_every_image_renders(self):
        if self.replay_error:
            self.fail(self.replay_error)
        report = self.run_dir / "report.html"
        self.assertTrue(report.is_file(), f"lbsim replay wrote no {report}")
        pngs = {p.name: p.read_bytes() for p in self.run_dir.glob("*.png")}
        # The what-if figure is there: the replay ran what-ifs.
        self.assertEqual(set(pngs), EXPECTED_FIGURES)

        driver = self.open_browser()
        driver.get(report.as_uri())
        WebDriverWait(driver, PAGE_LOAD_TIMEOUT_S).until(
            lambda d: d.execute_script("return document.readyState") == "complete")

        self.assertEqual(driver.title, "lbsim report: tiny_incident")
        heading = driver.execute_script("return document.querySelector('h1').textContent")
        self.assertIn("tiny_incident", heading)
        subtitle = driver.execute_script("return document.querySelector('p.sub').textContent")
        self.assertIn("run replay;", subtitle)
        self.assertNotIn(".tmp-", driver.execute_script("return document.body.textContent"))

        images = driver.execute_script(IMAGES_SCRIPT)
        self.assertEqual(len(images), len(pngs), f"one <img> per PNG file: {images}")
        self.assertEqual(sorted(i["title"] for i in images), sorted(pngs))
        for image in images:
            with self.subTest(image=image["title"]):
                self.assertTrue(image["complete"], image)
                self.assertEqual(image["src"], "data:image/png;base64,", image)
                # Decoded to the very picture beside the report (same pixel size).
                self.assertGreater(image["naturalWidth"], 0, image)
                self.assertGreater(image["naturalHeight"], 0, image)
                self.assertEqual((image["naturalWidth"], image["naturalHeight"]),
                                 png_size(pngs[image["title"]]), image)
                # Laid out on the page, not collapsed to nothing.
                self.assertGreater(image["shownWidth"], 0, image)
                self.assertGreater(image["shownHeight"], 0, image)

        found = driver.execute_script(RESOURCES_SCRIPT)
        self.assertEqual([r for r in found["resources"] if not r.startswith("data:")], [],
                         "the page fetched other resources")
        self.assertEqual(found["external"], [], "elements pointing outside the page")
        requested = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                requested.append(message["params"]["request"]["url"])
        self.assertIn(report.as_uri(), requested)  # the log works: it saw the page itself
        self.assertEqual(
            [url for url in requested if url != report.as_uri() and not url.startswith("data:")],
            [], "the page requested something besides itself")


if __name__ == "__main__":
    unittest.main()
