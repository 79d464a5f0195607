#!/usr/bin/env python3
"""Hand-computed checks of training/evaluate.py (run: /usr/bin/python3 training/test_evaluate.py)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate as E  # noqa: E402


class EvaluateTest(unittest.TestCase):
    def test_partial_matches(self):
        # Two ground truths; detections: TP (IoU 0.8), FP, TP (IoU 0.6).
        gt = {"a": (100, 100, [(0, 0, 0, 10, 10), (0, 50, 50, 60, 60)])}
        preds = {"a": [(0, 0.9, 0, 0, 10, 8), (0, 0.8, 20, 20, 30, 30), (0, 0.7, 50, 50, 60, 56)]}
        r = E.evaluate(gt, preds, ["x"], False, 0.25)
        ap_lo = (51 + 50 * 2 / 3) / 101  # t <= 0.60: recall 0.5 at p=1, recall 1 at p=2/3
        ap_mid = 51 / 101                # 0.65 <= t <= 0.80: only the first detection matches
        self.assertAlmostEqual(r["mAP50"], ap_lo, places=5)
        self.assertAlmostEqual(r["mAP50_95"], (3 * ap_lo + 4 * ap_mid) / 10, places=5)
        self.assertAlmostEqual(r["precision"], 2 / 3, places=5)
        self.assertAlmostEqual(r["recall"], 1.0, places=5)

    def test_agnostic_ignores_classes(self):
        gt = {"a": (100, 100, [(1, 0, 0, 10, 10)])}
        preds = {"a": [(0, 0.9, 0, 0, 10, 10)]}
        self.assertEqual(E.evaluate(gt, preds, ["x", "y"], False)["mAP50"], 0.0)
        self.assertEqual(E.evaluate(gt, preds, ["x", "y"], True)["mAP50"], 1.0)

    def test_each_ground_truth_matched_once(self):
        gt = {"a": (100, 100, [(0, 0, 0, 10, 10)])}
        preds = {"a": [(0, 0.9, 0, 0, 10, 10), (0, 0.8, 0, 0, 10, 10)]}
        r = E.evaluate(gt, preds, ["x"], False, 0.5)
        self.assertEqual(r["mAP50"], 1.0)  # the duplicate comes after recall 1
        self.assertAlmostEqual(r["precision"], 0.5)

    def test_class_without_labels_left_out(self):
        gt = {"a": (100, 100, [(0, 0, 0, 10, 10)])}
        preds = {"a": [(0, 0.9, 0, 0, 10, 10), (1, 0.9, 50, 50, 60, 60)]}
        r = E.evaluate(gt, preds, ["x", "y"], False)
        self.assertEqual(r["mAP50"], 1.0)
        self.assertIsNone(r["perClass"]["y"]["ap50"])


    def test_recall_by_size(self):
        # A 10 px object found, a 40 px one missed (IoU too low), a 100 px one found at a score
        # below 0.25, a 16x4 px one (longer side decides: medium) found.
        gt = {"a": (640, 360, [(0, 0, 0, 10, 10), (0, 100, 100, 140, 140), (0, 300, 100, 400, 200), (0, 500, 10, 516, 14)])}
        preds = {"a": [(0, 0.9, 0, 0, 10, 10), (0, 0.8, 130, 130, 170, 170), (0, 0.1, 300, 100, 400, 200),
                       (0, 0.5, 500, 10, 516, 14)]}
        r = E.evaluate(gt, preds, ["x"], False, 0.25)["recallBySize"]
        self.assertEqual(r, {"small": {"minPx": 0, "maxPx": 16, "recall": 1.0, "labels": 1},
                             "medium": {"minPx": 16, "maxPx": 32, "recall": 1.0, "labels": 1},
                             "large": {"minPx": 32, "maxPx": None, "recall": 0.0, "labels": 2}})

    def test_recall_by_size_without_labels_is_null(self):
        r = E.evaluate({"a": (640, 360, [(0, 0, 0, 10, 10)])}, {}, ["x"], False)["recallBySize"]
        self.assertEqual((r["small"]["recall"], r["medium"]["recall"], r["medium"]["labels"]), (0.0, None, 0))


if __name__ == "__main__":
    unittest.main()
