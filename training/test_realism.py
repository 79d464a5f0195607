#!/usr/bin/env python3
"""Checks of the real-style renderer, hard-negative mining and weight recovery from ONNX
(run: /usr/bin/python3 training/test_realism.py)."""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from mine_hard import frame_errors  # noqa: E402
from riverkit.compose import render_real_sample, render_sample  # noqa: E402
from riverkit.onnx_weights import load_folded_onnx  # noqa: E402
from riverkit.ssd import SSDLite  # noqa: E402

SAMPLES = [render_real_sample(7_000 + i) for i in range(30)]


def longer_sides(samples):
    return np.array([max(b[3] - b[1], b[4] - b[2]) for s in samples for b in s["boxes"]])


class RealStyleTest(unittest.TestCase):
    def test_same_seed_same_image_and_labels(self):
        a, b = render_real_sample(7_000), render_real_sample(7_000)
        self.assertEqual(a["jpeg"], b["jpeg"])
        self.assertEqual(a["boxes"], b["boxes"])

    def test_debris_is_small_like_real_footage(self):
        # Real 1280x720 footage run as native tiles: most debris under 24 px, some under 10.
        real = longer_sides(SAMPLES)
        classic = longer_sides([render_sample(7_000 + i) for i in range(15)])
        self.assertGreater(len(real), 100)
        self.assertGreater(np.mean(real < 24), 0.5)
        self.assertGreater(np.mean(real < 10), 0.05)
        self.assertLess(np.median(real), np.median(classic))

    def test_some_frames_are_dense_rafts_and_some_are_empty(self):
        counts = [len(s["boxes"]) for s in SAMPLES]
        self.assertTrue(any(c >= 15 for c in counts), counts)
        self.assertTrue(any(c == 0 for c in counts), counts)

    def test_boxes_lie_inside_the_frame(self):
        for s in SAMPLES:
            for _, x1, y1, x2, y2, _ in s["boxes"]:
                self.assertTrue(0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 360)


class MiningTest(unittest.TestCase):
    def test_counts_false_positives_and_misses(self):
        truth = [(0, 10, 10, 30, 30)]
        hit = {"box": [11, 11, 30, 31], "score": 0.9}
        fp = {"box": [100, 100, 120, 120], "score": 0.5}
        low = {"box": [200, 200, 220, 220], "score": 0.1}
        self.assertEqual(frame_errors([hit, fp, low], truth, 0.3), (1, 0))
        self.assertEqual(frame_errors([fp], truth, 0.3), (1, 1))
        self.assertEqual(frame_errors([fp], [], 0.3), (1, 0))
        self.assertEqual(frame_errors([], truth, 0.3), (0, 1))

    def test_refuses_a_pool_seed_of_a_train_or_eval_split(self):
        for seed in ("1", "2", "20251126", "20261204"):
            r = subprocess.run([sys.executable, os.path.join(HERE, "mine_hard.py"), "--model", "debris-yolov5",
                                "--ckpt", "unused", "--out", "unused", "--seed", seed], capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, seed)
            self.assertIn("train or eval split", r.stderr)


class FoldedOnnxTest(unittest.TestCase):
    def test_weights_come_back_out_of_an_export_with_folded_batchnorm(self):
        torch.manual_seed(0)
        src = SSDLite(5)
        for m in src.modules():  # non-trivial BatchNorm statistics, so folding changes the weights
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)
        src.eval()
        x = torch.rand(1, 3, 64, 96)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.onnx")
            torch.onnx.export(src, x, path, input_names=["images"], opset_version=12)
            back = load_folded_onnx(SSDLite(5), path, x).eval()
        with torch.no_grad():
            for a, b in zip(src(x), back(x)):
                self.assertLess((a - b).abs().max().item(), 1e-4)

    def test_refuses_another_architecture(self):
        torch.manual_seed(0)
        x = torch.rand(1, 3, 64, 96)
        other = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)).eval()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.onnx")
            torch.onnx.export(other, x, path, opset_version=12)
            with self.assertRaises(SystemExit) as e:
                load_folded_onnx(SSDLite(5), path, x)
        self.assertIn("not this architecture", str(e.exception))


if __name__ == "__main__":
    unittest.main()
