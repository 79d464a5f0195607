"""Small ONNX models for the inference service's tests, in Triton's repository layout.

Run with Debian's python (it has torch 1.13 and onnx):
    /usr/bin/python3 scripts/make-test-models.py [out_dir]
Writes test/fixtures/models/<name>/config.json and <name>/<version>/model.onnx.
Weights come from fixed seeds, so re-running gives the same tensors.
"""
import json
import os
import sys

import torch
from torch import nn

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "models")
OPSET = 13


class TinyDetector(nn.Module):
    """A YOLO-shaped toy: 3x32x32 image -> 16 anchors x (x, y, w, h, obj, cls)."""

    def __init__(self, bias: float):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 6, 3, stride=2, padding=1),
        )
        self.bias = bias

    def forward(self, images):
        f = self.features(images)  # N,6,8,8
        f = nn.functional.avg_pool2d(f, 2)  # N,6,4,4
        return torch.sigmoid(f.flatten(2).transpose(1, 2) + self.bias)  # N,16,6


class HalfDetector(nn.Module):
    """FP16 in and out (as a `--half` YOLOv5 export is); computes in FP32 inside for the CPU."""

    def __init__(self):
        super().__init__()
        self.inner = TinyDetector(0.0)

    def forward(self, images):
        return self.inner(images.float()).half()


class NoBatch(nn.Module):
    """Fixed shape [4], no batch dimension: y = 2x + 1."""

    def forward(self, x):
        return x * 2 + 1


class IntInputs(nn.Module):
    """UINT8 pixels and an INT64 offset: sum = sum(pixels) + offset, scaled = pixels / 255."""

    def forward(self, pixels, offset):
        total = pixels.to(torch.int64).sum(dim=1, keepdim=True) + offset
        return total, pixels.to(torch.float32) / 255.0


class SlowModel(nn.Module):
    """Deliberately heavy (tens of ms per sample on one core) to fill queues in tests."""

    def __init__(self, layers: int = 64):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(256, 256) / 16)
        self.layers = layers

    def forward(self, x):
        h = x.unsqueeze(1).repeat(1, 512, 1)  # N,512,256
        for _ in range(self.layers):
            h = torch.tanh(h @ self.weight)
        return h.mean(dim=1)


def export(model, args, path, input_names, output_names, dynamic_batch):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    axes = None
    if dynamic_batch:
        axes = {n: {0: "batch"} for n in input_names + output_names}
    torch.onnx.export(model.eval(), args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)


def write_config(name, config):
    with open(os.path.join(OUT, name, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def detector_config(name, dtype, max_batch, batching):
    cfg = {
        "name": name, "task": "detect", "format": "yolov5", "platform": "onnxruntime_onnx",
        "input": {"name": "images", "dtype": dtype, "layout": "NCHW", "width": 32, "height": 32,
                  "colorOrder": "RGB", "resize": "letterbox", "padValue": 114,
                  "normalize": {"scale": 1 / 255, "mean": [0, 0, 0], "std": [1, 1, 1]}},
        "outputs": [{"name": "output0", "dtype": dtype, "dims": [-1, 16, 6]}],
        "classes": ["bottle"], "thresholds": {"score": 0.25, "iou": 0.45},
        "maxBatchSize": max_batch,
    }
    if batching:
        cfg["dynamicBatching"] = batching
    return cfg


def main():
    torch.manual_seed(7)
    image = torch.rand(1, 3, 32, 32)
    for version, bias in ((1, 0.0), (2, 0.5)):
        export(TinyDetector(bias), (image,), os.path.join(OUT, "tiny-detector", str(version), "model.onnx"),
               ["images"], ["output0"], True)
    write_config("tiny-detector", detector_config("tiny-detector", "FP32", 8,
                                                  {"maxQueueDelayMs": 20, "maxQueueSize": 64}))

    torch.manual_seed(8)
    export(HalfDetector(), (image.half(),), os.path.join(OUT, "tiny-detector-fp16", "1", "model.onnx"),
           ["images"], ["output0"], True)
    write_config("tiny-detector-fp16", detector_config("tiny-detector-fp16", "FP16", 4, None))

    export(NoBatch(), (torch.zeros(4),), os.path.join(OUT, "no-batch", "1", "model.onnx"), ["x"], ["y"], False)
    write_config("no-batch", {"name": "no-batch", "platform": "onnxruntime_onnx", "maxBatchSize": 0})

    export(IntInputs(), (torch.zeros(1, 8, dtype=torch.uint8), torch.zeros(1, 1, dtype=torch.int64)),
           os.path.join(OUT, "int-inputs", "1", "model.onnx"), ["pixels", "offset"], ["sum", "scaled"], True)
    write_config("int-inputs", {"name": "int-inputs", "platform": "onnxruntime_onnx", "maxBatchSize": 4,
                                "dynamicBatching": {"maxQueueDelayMs": 5}})

    torch.manual_seed(9)
    export(SlowModel(), (torch.zeros(1, 256),), os.path.join(OUT, "slow", "1", "model.onnx"), ["x"], ["y"], True)
    write_config("slow", {"name": "slow", "platform": "onnxruntime_onnx", "maxBatchSize": 1,
                          "dynamicBatching": {"maxQueueDelayMs": 0, "maxQueueSize": 2}})


if __name__ == "__main__":
    main()
