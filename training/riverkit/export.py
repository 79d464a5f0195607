"""ONNX export and the Triton-layout model entry (models/<name>/config.json + 1/model.onnx)."""
import json
import os

import onnx
import torch

from .common import REPO
from .objects import CLASSES


def export_onnx(model, path, size, output_names, metadata=None, opset=12):
    """Export with a dynamic batch axis; input `images` FP32 NCHW RGB 0..1."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.eval()
    x = torch.zeros(1, 3, size[0], size[1])
    dyn = {"images": {0: "batch"}}
    dyn.update({n: {0: "batch"} for n in output_names})
    torch.onnx.export(model, x, path, input_names=["images"], output_names=output_names,
                      dynamic_axes=dyn, opset_version=opset, do_constant_folding=True)
    shapes = save_reference(model, path, size, output_names)
    return finalize_onnx(path, shapes, metadata)


def finalize_onnx(path, shapes, metadata=None):
    """Pin every output dim except batch (the exporter leaves them symbolic),
    add metadata, check. Returns config dims {output: [-1, ...]}."""
    m = onnx.load(path)
    for o in m.graph.output:
        for j, d in enumerate(o.type.tensor_type.shape.dim):
            if j == 0:
                d.dim_param = "batch"
            else:
                d.dim_value = int(shapes[o.name][j])
    for k, v in (metadata or {}).items():
        p = m.metadata_props.add()
        p.key, p.value = k, str(v)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return {o.name: [-1] + [int(x) for x in shapes[o.name][1:]] for o in m.graph.output}


def write_config(name, task, fmt, size, resize, outputs, classes=CLASSES, thresholds=None, evaluation=None,
                 extra=None, root=None, uint8_input=True, versions=None):
    """config.json in the schema packages/vision and services/inference read."""
    cfg = {
        "name": name,
        "task": task,
        "format": fmt,
        "platform": "onnxruntime_onnx",
        "input": {"name": "images", "dtype": "FP32", "layout": "NCHW", "width": size[1], "height": size[0],
                  "colorOrder": "RGB", "resize": resize, "padValue": 114,
                  "normalize": {"scale": 255, "mean": [0, 0, 0], "std": [1, 1, 1]}},
        "outputs": [{"name": n, "dtype": "FP32", "dims": d} for n, d in outputs.items()],
        "classes": list(classes),
        "thresholds": thresholds or {"score": 0.25, "iou": 0.45},
        "maxBatchSize": 8,
        "dynamicBatching": {"maxQueueDelayMs": 2},
        "evaluation": evaluation or {},
    }
    if extra:
        cfg.update(extra)
    d = os.path.join(root or os.path.join(REPO, "models"), name)
    os.makedirs(d, exist_ok=True)
    # How the model is run over a frame (tiling, the batch its tiles go in, decoding on
    # the inference server) is a serving choice, not a training result: a retrained
    # model keeps its config's (the shipped model's when trained into a new folder).
    old = next((p for p in (os.path.join(d, "config.json"), os.path.join(REPO, "models", name, "config.json"))
                if os.path.exists(p)), None)
    if old:
        with open(old) as f:
            served = json.load(f)
        for k in ("tiling", "maxBatchSize", "postprocess"):
            if k in served and not (extra and k in extra):
                cfg[k] = served[k]
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    if uint8_input:
        # Served models take raw pixels (normalisation in the graph): 4x smaller requests.
        from uint8_input import convert
        cfg = convert(d, versions)
    return cfg


@torch.no_grad()
def save_reference(model, path, size, output_names):
    """Save a batch-2 input and PyTorch's outputs next to the cache so
    training/verify_onnx.mjs can check onnxruntime gives the same numbers."""
    from .common import CACHE
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, size[0], size[1], generator=g)
    y = model(x)
    y = y if isinstance(y, (tuple, list)) else (y,)
    d = os.path.join(CACHE, "verify", os.path.basename(os.path.dirname(os.path.dirname(path))))
    os.makedirs(d, exist_ok=True)
    x.numpy().astype("float32").tofile(os.path.join(d, "images.bin"))
    meta = {"model": os.path.abspath(path), "input": list(x.shape), "outputs": {}}
    for n, t in zip(output_names, y):
        t.numpy().astype("float32").tofile(os.path.join(d, n + ".bin"))
        meta["outputs"][n] = list(t.shape)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f)
    return meta["outputs"]
