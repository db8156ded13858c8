"""analysis.report: one embedded PNG per figure, the PNG files beside it, the command line."""

import base64
import os
import re
import subprocess
import sys
import unittest

from analysis import report
from tests.analysis import fixtures

IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"[^>]*title="([a-z_0-9]+\.png)"')
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ReportTest(unittest.TestCase):
    def check(self, directory, expected_pngs):
        path = report.write_report(directory)
        self.assertEqual(path, directory / "report.html")
        text = path.read_text(encoding="utf-8")
        images = IMG.findall(text)
        self.assertEqual(text.count('<img src="data:image/png;base64,'), len(expected_pngs))
        self.assertEqual(sorted(name for _, name in images), sorted(expected_pngs))
        for encoded, name in images:
            data = base64.b64decode(encoded)
            self.assertTrue(data.startswith(PNG_MAGIC))
            self.assertEqual(data, (directory / name).read_bytes())  # the same file beside it
        for png in {"timeline.png", "utilization.png", "queues.png", "whatif.png",
                    "comparison.png", "p99_vs_load.png", "capacity.png"} - set(expected_pngs):
            self.assertFalse((directory / png).exists(), png)
        # self-contained: nothing loaded from elsewhere
        self.assertNotRegex(text, r"<script|<link|src=\"(?!data:)|url\(")
        return text

    def test_replay_with_whatifs(self):
        d = fixtures.copy_of(fixtures.replay_dir(), "report_replay")
        text = self.check(d, ["timeline.png", "utilization.png", "queues.png", "whatif.png"])
        self.assertIn("tiny_incident", text)
        self.assertIn("2024-05-05 23:58 +05:30", text)
        self.assertIn("incident replay: tiny_incident", text)  # replay.txt
        self.assertIn("error budget burned", text)

    def test_replay_without_whatifs(self):
        d = fixtures.copy_of(fixtures.replay_dir(), "report_replay_no_whatif")
        (d / "whatif.csv").unlink()
        self.check(d, ["timeline.png", "utilization.png", "queues.png"])

    def test_run(self):
        d = fixtures.copy_of(fixtures.example_run_dir(), "report_run")
        text = self.check(d, ["timeline.png", "utilization.png", "queues.png"])
        self.assertIn("example", text)
        self.assertIn("no clock", text)

    def test_compare(self):
        d = fixtures.copy_of(fixtures.compare_dir(), "report_compare")
        text = self.check(d, ["comparison.png"])
        self.assertIn("least_request", text)

    def test_sweep_and_capacity(self):
        d = fixtures.copy_of(fixtures.sweep_dir(), "report_sweep")
        self.assertEqual(report.guess_sweep_keys(__import__("analysis").load_sweep(d)),
                         ("workload.rate", "balancer.strategy"))
        self.check(d, ["p99_vs_load.png"])
        d = fixtures.copy_of(fixtures.capacity_dir(), "report_capacity")
        text = self.check(d, ["capacity.png"])
        self.assertIn("p99&lt;100ms", text)  # the SLO, escaped

    def test_command_line(self):
        env = dict(os.environ, PYTHONPATH=str(fixtures.REPO))
        d = fixtures.copy_of(fixtures.compare_dir(), "report_cli")
        ok = subprocess.run([sys.executable, "-m", "analysis.report", str(d)], env=env,
                            capture_output=True, text=True, timeout=60)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(ok.stdout.strip(), str(d / "report.html"))
        empty = fixtures.copy_of(fixtures.compare_dir(), "report_cli_empty")
        for f in empty.iterdir():
            f.unlink()
        bad = subprocess.run([sys.executable, "-m", "analysis.report", str(empty)], env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("not an lbsim output directory", bad.stderr)
        missing = subprocess.run([sys.executable, "-m", "analysis.report", str(empty / "x")],
                                 env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(missing.returncode, 2)
        self.assertIn("not a directory", missing.stderr)


if __name__ == "__main__":
    unittest.main()
