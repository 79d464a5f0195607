#!/usr/bin/env python3
"""The shipped models' compute on a GPU, with PyTorch: for GPU machines that cannot run bench/gpu-check.sh.

  python3 bench/gpu_torch.py [--device cuda|cpu] [--models debris-yolov5,debris-ssd,water-seg]
                             [--batches 1,8,16] [--dtypes fp32,fp16] [--seconds 1.5] [--save-io DIR]

bench/gpu-check.sh measures the served path on onnxruntime's CUDA provider, and needs Node, a
network (the provider comes from nuget.org) and CUDA 12 libraries. The GPU machines lent to this
project have none of these (no network at all, CUDA 13, Python's CPU-only onnxruntime) but do have
PyTorch. So this script rebuilds each shipped model in PyTorch from training/riverkit, fills it
with the weights of the shipped models/<name>/1/model.onnx (riverkit.onnx_weights, the same loader
fine-tuning uses), checks that it computes what the ONNX file computes, and times it:
  - each row: `batch` inputs of the model's input size as a server receives them (uint8 in host
    memory), copied to the device, run (eager, and on CUDA also replayed as a CUDA graph, which
    leaves out Python's per-layer launch cost as onnxruntime's C++ does), outputs copied back;
  - fp32 (TF32 convolutions allowed, PyTorch's default and onnxruntime's CUDA default) and fp16;
  - the baseline beside them: the same model.onnx on onnxruntime's CPU provider on the machine's
    own cores (where Python's onnxruntime is installed, as on the lent GPU machines).
Not measured here: gRPC, the worker, decoding and NMS (bench:inference has those on CPU).
The check: on the fixture frame, fp32 with TF32 off against onnxruntime on CPU where Python's
onnxruntime is installed (maxAbsDiff; fails above tolerance), else "reference": null; --save-io
writes the input and the outputs so another runtime can compare (test/inference/gpu-torch.test.ts
compares them with onnxruntime-node).

Prints one JSON line: {"ok":true,"device":...,"models":{name:{"check":...,"rows":[...],"best":...,
"baseline":[...],"bestOverBaseline":N}}}
or {"ok":false,"stage":...,"error":...}. Exit 0 when ok; 2 bad arguments or model; 3 CUDA asked
for but unavailable; 1 the rebuilt model disagrees with the ONNX file.
"""
import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "training"))

FRAME = os.path.join(REPO, "test", "fixtures", "tiling", "river-1280x720.jpg")
# Outputs are compared as absolute differences: boxes in input pixels (0..640), scores and logits.
TOLERANCE = {"debris-yolov5": 2e-2, "debris-ssd": 1e-3, "water-seg": 1e-2}


def fail(code, stage, msg):
    print(f"gpu_torch: FAILED ({stage}): {msg}", file=sys.stderr)
    print(json.dumps({"ok": False, "stage": stage, "error": msg}))
    sys.exit(code)


def csv(kind, text, allowed=None):
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items or (allowed and any(s not in allowed for s in items)):
        fail(2, "arguments", f"--{kind} must be a comma list of {'/'.join(allowed) if allowed else 'values'}, got {text!r}")
    return items


def build(name, cfg, torch):
    """The module of the model's architecture (its ONNX graph minus the uint8 prologue), on CPU."""
    from riverkit.objects import CLASSES
    h, w = cfg["input"]["height"], cfg["input"]["width"]
    nc = len(cfg.get("classes", CLASSES))
    fmt = cfg.get("format")
    if fmt == "yolov5":
        from riverkit.yolo import YoloDetector
        m = YoloDetector(nc, cfg["anchors"])
        m.export = True
        return m, m
    if fmt == "ssd":
        from riverkit.ssd import SSDExport, SSDLite
        core = SSDLite(nc)
        return SSDExport(core, (h, w)), core
    if fmt == "segmentation":
        from riverkit.unet import UNet
        m = UNet()
        return m, m
    fail(2, "model", f"{name}: config.json format {fmt!r} has no PyTorch architecture here (yolov5, ssd, segmentation)")


class Uint8Input:
    """What uint8_input.py puts in front of the graph: raw pixels -> (x/scale - mean)/std."""

    def __init__(self, torch, norm, dtype, device):
        std = torch.tensor(norm["std"], dtype=torch.float32)
        mean = torch.tensor(norm["mean"], dtype=torch.float32)
        self.a = (1.0 / (norm["scale"] * std)).view(1, -1, 1, 1).to(device, dtype)
        self.b = (-mean / std).view(1, -1, 1, 1).to(device, dtype)
        self.dtype = dtype

    def __call__(self, x):
        return x.to(self.dtype) * self.a + self.b


def load(name, torch):
    model_dir = os.path.join(REPO, "models", name) if os.sep not in name else name
    cfg_path = os.path.join(model_dir, "config.json")
    onnx_path = os.path.join(model_dir, "1", "model.onnx")
    if not os.path.exists(cfg_path) or not os.path.exists(onnx_path):
        fail(2, "model", f"{model_dir}: needs config.json and 1/model.onnx")
    with open(cfg_path) as f:
        cfg = json.load(f)
    inp = cfg["input"]
    norm = inp.get("normalize", {}).get("inGraph")
    if inp.get("dtype") != "UINT8" or not norm:
        fail(2, "model", f"{name}: only uint8-input models (normalisation in the graph) are measured here")
    module, core = build(os.path.basename(model_dir), cfg, torch)
    from riverkit.onnx_weights import load_folded_onnx
    try:
        load_folded_onnx(core, onnx_path, torch.zeros(1, 3, inp["height"], inp["width"]))
    except SystemExit as e:  # the loader's message names the file and what did not match
        fail(2, "model", str(e))
    return {"name": os.path.basename(model_dir), "cfg": cfg, "module": module.eval(), "onnx": onnx_path,
            "outputs": [o["name"] for o in cfg["outputs"]]}


def frame_input(cfg, np):
    """The fixture frame as the worker pre-processes it: RGB, letterboxed or stretched, NCHW uint8."""
    import cv2
    from riverkit.common import letterbox
    inp = cfg["input"]
    rgb = cv2.cvtColor(cv2.imread(FRAME), cv2.COLOR_BGR2RGB)
    if inp.get("resize") == "letterbox":
        img, _, _ = letterbox(rgb, (inp["height"], inp["width"]), inp.get("padValue", 114))
    else:
        img = cv2.resize(rgb, (inp["width"], inp["height"]), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(img.transpose(2, 0, 1)[None])


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def check(m, x_u8, torch, np, device, save_dir):
    """fp32 on `device` with TF32 off, against onnxruntime on CPU where it is installed."""
    name, cfg, module, outputs = m["name"], m["cfg"], m["module"], m["outputs"]
    prologue = Uint8Input(torch, cfg["input"]["normalize"]["inGraph"], torch.float32, device)
    tf32 = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        with torch.inference_mode():
            got = [t.float().cpu().numpy() for t in as_tuple(module.to(device)(prologue(torch.from_numpy(x_u8).to(device))))]
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32
    if len(got) != len(outputs):
        fail(1, "check", f"{name}: the rebuilt model gives {len(got)} outputs, config.json names {len(outputs)}")
    if save_dir:
        d = os.path.join(save_dir, name)
        os.makedirs(d, exist_ok=True)
        x_u8.tofile(os.path.join(d, "input.bin"))
        meta = {"input": {"name": cfg["input"]["name"], "shape": list(x_u8.shape)}, "outputs": []}
        for n, a in zip(outputs, got):
            a.astype(np.float32).tofile(os.path.join(d, f"{n}.bin"))
            meta["outputs"].append({"name": n, "shape": list(a.shape)})
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump(meta, f)
    try:
        import onnxruntime as ort
    except ImportError:
        return {"reference": None, "note": "Python's onnxruntime is not installed here; compare the --save-io files"}
    sess = ort.InferenceSession(m["onnx"], providers=["CPUExecutionProvider"])
    want = sess.run(outputs, {cfg["input"]["name"]: x_u8})
    diff = max(float(np.max(np.abs(g - w))) for g, w in zip(got, want))
    tol = TOLERANCE.get(name, 1e-2)
    if not diff <= tol:
        fail(1, "check", f"{name}: the PyTorch rebuild differs from model.onnx by {diff:.3g} (tolerance {tol}) on {device}")
    return {"reference": f"onnxruntime {ort.__version__} CPU", "maxAbsDiff": diff, "tolerance": tol}


def timed(fn, seconds, sync):
    """Per-call seconds of fn() for about `seconds` (at least 5 calls), after 3 warm-up calls."""
    for _ in range(3):
        fn()
    sync()
    times, start = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return times


def measure(cfg, module, torch, np, device, batch, dtype_name, use_graph, seconds):
    dtype = torch.float16 if dtype_name == "fp16" else torch.float32
    model = module.to(device=device, dtype=dtype)
    prologue = Uint8Input(torch, cfg["input"]["normalize"]["inGraph"], dtype, device)
    inp = cfg["input"]
    host = torch.from_numpy(np.random.default_rng(batch).integers(0, 256, (batch, 3, inp["height"], inp["width"]), dtype=np.uint8))
    dev_in = torch.empty(host.shape, dtype=torch.uint8, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    with torch.inference_mode():
        if use_graph:
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                for _ in range(3):
                    model(prologue(dev_in))
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                static_out = as_tuple(model(prologue(dev_in)))

            def step():
                dev_in.copy_(host)
                graph.replay()
                return [t.float().cpu() for t in static_out]
        else:
            def step():
                dev_in.copy_(host)
                return [t.float().cpu() for t in as_tuple(model(prologue(dev_in)))]

        times = timed(step, seconds, sync)
    return row(batch, dtype_name, "cuda-graph" if use_graph else "eager", times)


def row(batch, dtype_name, mode, times):
    times = sorted(times)
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
    return {
        "batch": batch, "dtype": dtype_name, "mode": mode, "calls": len(times),
        "p50Ms": round(p(0.5), 3), "p95Ms": round(p(0.95), 3),
        "imagesPerS": round(batch * len(times) / sum(times), 1),
    }


def baseline(m, np, batches, seconds):
    """Side by side, the same model.onnx on onnxruntime's CPU provider on this machine's cores (the
    CPU deployment's runtime), where Python's onnxruntime is installed; else None."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    sess = ort.InferenceSession(m["onnx"], providers=["CPUExecutionProvider"])
    inp = m["cfg"]["input"]
    rows = []
    for batch in batches:
        x = np.random.default_rng(batch).integers(0, 256, (batch, 3, inp["height"], inp["width"]), dtype=np.uint8)
        rows.append(row(batch, "fp32", "onnxruntime-cpu", timed(lambda: sess.run(None, {inp["name"]: x}), seconds, lambda: None)))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--models", default="debris-yolov5,debris-ssd,water-seg")
    ap.add_argument("--batches", default="1,8,16")
    ap.add_argument("--dtypes", default=None, help="default fp32,fp16 on cuda, fp32 on cpu")
    ap.add_argument("--seconds", type=float, default=1.5, help="per row")
    ap.add_argument("--no-graphs", action="store_true", help="eager rows only (CUDA graphs need CUDA)")
    ap.add_argument("--save-io", metavar="DIR", help="write each model's check input and fp32 outputs (raw little-endian) and meta.json")
    a = ap.parse_args()

    try:
        batches = [int(b) for b in csv("batches", a.batches)]
    except ValueError:
        fail(2, "arguments", f"--batches must be positive integers, got {a.batches!r}")
    if any(b < 1 for b in batches):
        fail(2, "arguments", f"--batches must be positive integers, got {a.batches!r}")
    dtypes = csv("dtypes", a.dtypes or ("fp32,fp16" if a.device == "cuda" else "fp32"), ["fp32", "fp16"])
    if a.device == "cpu" and "fp16" in dtypes:
        fail(2, "arguments", "--dtypes fp16 needs --device cuda (PyTorch's CPU convolutions have no fast fp16)")
    names = csv("models", a.models)

    import numpy as np
    import torch
    if a.device == "cuda" and not torch.cuda.is_available():
        fail(3, "cuda", f"--device cuda: PyTorch {torch.__version__} sees no CUDA device (torch.version.cuda={torch.version.cuda})")
    device = torch.device(a.device)
    torch.backends.cudnn.benchmark = True
    torch.set_grad_enabled(False)

    report = {
        "ok": True, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "device": a.device,
        "gpu": torch.cuda.get_device_name(0) if a.device == "cuda" else None,
        "cpu": platform.processor() or platform.machine(), "torch": torch.__version__, "cuda": torch.version.cuda,
        "seconds": a.seconds, "models": {},
    }
    started = time.perf_counter()
    for spec in names:
        m = load(spec, torch)
        name, cfg = m["name"], m["cfg"]
        entry = {"input": [cfg["input"]["height"], cfg["input"]["width"]], "check": check(m, frame_input(cfg, np), torch, np, device, a.save_io), "rows": []}
        modes = [False] + ([True] if a.device == "cuda" and not a.no_graphs else [])
        for dtype_name in dtypes:
            for batch in batches:
                for use_graph in modes:
                    row = measure(cfg, m["module"], torch, np, device, batch, dtype_name, use_graph, a.seconds)
                    print(f"gpu_torch: {name} {json.dumps(row)}", file=sys.stderr)
                    entry["rows"].append(row)
        best = max(entry["rows"], key=lambda r: r["imagesPerS"])
        # Whole-frame inputs at 5 fps per camera: the sizing figure of docs/operations.md.
        entry["best"] = {**best, "camerasAt5Fps": int(best["imagesPerS"] // 5)}
        entry["baseline"] = baseline(m, np, batches, a.seconds)
        if entry["baseline"]:
            entry["bestOverBaseline"] = round(best["imagesPerS"] / max(r["imagesPerS"] for r in entry["baseline"]), 2)
        report["models"][name] = entry
    report["wallSeconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
