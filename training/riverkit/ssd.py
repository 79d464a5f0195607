"""An SSDLite-style detector: MobileNetV2-like inverted residuals, depthwise-separable heads.

Four feature maps (strides 8, 16, 32, 64), six anchors per cell (two sizes x
aspect ratios 1, 2, 1/2). The export wrapper decodes boxes inside the graph
(SSD variances 0.1 / 0.2) and applies softmax, giving
  boxes  [N, A, 4]  x1, y1, x2, y2 normalised to the input (0..1)
  scores [N, A, 1 + nc] softmax, column 0 = background
with no NMS in the graph (the worker's decoder does it).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

STRIDES = (8, 16, 32, 64)
SIZES = ((8, 14), (20, 30), (42, 60), (80, 112))
RATIOS = (1.0, 2.0, 0.5)
VAR_XY, VAR_WH = 0.1, 0.2


def cbr(c1, c2, k=1, s=1, g=1):
    return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(c2), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, c1, c2, s=1, t=4):
        super().__init__()
        h = c1 * t
        self.use_res = s == 1 and c1 == c2
        layers = [cbr(c1, h, 1)] if t != 1 else []
        layers += [cbr(h, h, 3, s, h), nn.Conv2d(h, c2, 1, bias=False), nn.BatchNorm2d(c2)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        y = self.conv(x)
        return x + y if self.use_res else y


def sep_head(c, out):
    """SSDLite prediction head: depthwise 3x3 + pointwise 1x1."""
    return nn.Sequential(cbr(c, c, 3, 1, c), nn.Conv2d(c, out, 1))


class SSDLite(nn.Module):
    def __init__(self, nc=5):
        super().__init__()
        self.nc1 = nc + 1
        self.na = len(SIZES[0]) * len(RATIOS)
        IR = InvertedResidual
        self.s8 = nn.Sequential(cbr(3, 16, 3, 2), IR(16, 16, 1, 1), IR(16, 24, 2), IR(24, 24),
                                IR(24, 40, 2), IR(40, 40), IR(40, 40))
        self.s16 = nn.Sequential(IR(40, 64, 2), IR(64, 64), IR(64, 96), IR(96, 96))
        self.s32 = nn.Sequential(IR(96, 160, 2), IR(160, 160), IR(160, 160))
        self.s64 = nn.Sequential(IR(160, 128, 2, 2))
        # Light top-down fusion so stride-8 features (small debris) see context.
        self.up16 = cbr(96, 40, 1)
        chans = (40, 96, 160, 128)
        self.loc = nn.ModuleList(sep_head(c, self.na * 4) for c in chans)
        self.cls = nn.ModuleList(sep_head(c, self.na * self.nc1) for c in chans)
        for h in self.cls:  # background prior ~0.99 so early training is stable
            b = h[-1].bias.data.view(self.na, self.nc1)
            b[:, 0] = math.log(0.99 * (self.nc1 - 1) / 0.01)

    def features(self, x):
        f8 = self.s8(x)
        f16 = self.s16(f8)
        f32 = self.s32(f16)
        f64 = self.s64(f32)
        f8 = f8 + F.interpolate(self.up16(f16), scale_factor=2.0, mode="nearest")
        return [f8, f16, f32, f64]

    def forward(self, x):
        """Raw (loc (N,A,4), conf logits (N,A,nc+1)); anchors ordered level, row, col, anchor."""
        locs, confs = [], []
        for f, lh, ch in zip(self.features(x), self.loc, self.cls):
            n = f.shape[0]
            locs.append(lh(f).permute(0, 2, 3, 1).reshape(n, -1, 4))
            confs.append(ch(f).permute(0, 2, 3, 1).reshape(n, -1, self.nc1))
        return torch.cat(locs, 1), torch.cat(confs, 1)


def make_anchors(h, w):
    """Anchors (A,4) as cx, cy, w, h in input pixels for an h x w input."""
    out = []
    for s, sizes in zip(STRIDES, SIZES):
        ny, nx = math.ceil(h / s), math.ceil(w / s)
        ys, xs = torch.meshgrid(torch.arange(ny, dtype=torch.float32), torch.arange(nx, dtype=torch.float32), indexing="ij")
        cx, cy = (xs + 0.5) * s, (ys + 0.5) * s
        wh = []
        for sz in sizes:
            for r in RATIOS:
                wh.append((sz * math.sqrt(r), sz / math.sqrt(r)))
        wh = torch.tensor(wh)  # (na, 2)
        c = torch.stack((cx, cy), -1).view(ny, nx, 1, 2).expand(ny, nx, len(wh), 2)
        a = torch.cat((c, wh.view(1, 1, -1, 2).expand(ny, nx, -1, 2)), -1)
        out.append(a.reshape(-1, 4))
    return torch.cat(out)


def cxcywh_to_xyxy(b):
    return torch.cat((b[..., :2] - b[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2), -1)


def decode(loc, anchors):
    cxcy = anchors[..., :2] + loc[..., :2] * VAR_XY * anchors[..., 2:]
    wh = anchors[..., 2:] * torch.exp(loc[..., 2:] * VAR_WH)
    return torch.cat((cxcy, wh), -1)


def encode(gt, anchors):
    """gt, anchors: (A,4) cxcywh -> regression targets."""
    xy = (gt[:, :2] - anchors[:, :2]) / (anchors[:, 2:] * VAR_XY)
    wh = torch.log(gt[:, 2:] / anchors[:, 2:]) / VAR_WH
    return torch.cat((xy, wh), 1)


class SSDExport(nn.Module):
    """Graph for ONNX: decoding + softmax inside, boxes normalised to the input."""

    def __init__(self, model, size):
        """size: the input's (h, w)."""
        super().__init__()
        self.model = model
        h, w = size
        self.register_buffer("anchors", make_anchors(h, w))
        self.register_buffer("norm", input_scale(size))

    def forward(self, x):
        loc, conf = self.model(x)
        b = cxcywh_to_xyxy(decode(loc, self.anchors.unsqueeze(0))) / self.norm
        return b, F.softmax(conf, -1)


class SSDLoss:
    """Anchor matching (IoU >= 0.5, plus each GT's best anchor), smooth-L1 on
    encoded offsets, softmax CE with 3:1 hard negative mining."""

    def __init__(self, pos_iou=0.5, neg_ratio=3):
        self.pos_iou, self.neg_ratio = pos_iou, neg_ratio
        self._anchors = {}

    def anchors(self, h, w):
        if (h, w) not in self._anchors:
            self._anchors[(h, w)] = make_anchors(h, w)
        return self._anchors[(h, w)]

    def __call__(self, loc, conf, labels, h, w):
        from .common import box_iou
        anchors = self.anchors(h, w)
        axy = cxcywh_to_xyxy(anchors)
        n = loc.shape[0]
        cls_t = torch.zeros(n, len(anchors), dtype=torch.long)
        loc_t = torch.zeros(n, len(anchors), 4)
        for i, lab in enumerate(labels):
            if len(lab) == 0:
                continue
            lab = torch.as_tensor(lab)
            g = lab[:, 1:5]
            iou = box_iou(g, axy)  # (m, A)
            best_iou, best_g = iou.max(0)
            best_a = iou.argmax(1)
            best_g[best_a] = torch.arange(len(g))  # every GT gets at least its best anchor
            best_iou[best_a] = 1.0
            pos = best_iou >= self.pos_iou
            cls_t[i, pos] = lab[best_g[pos], 0].long() + 1
            gm = g[best_g]
            gc = torch.cat(((gm[:, :2] + gm[:, 2:]) / 2, (gm[:, 2:] - gm[:, :2]).clamp(min=1)), 1)
            loc_t[i] = encode(gc, anchors)
        pos = cls_t > 0
        npos = pos.sum().clamp(min=1).float()
        l_loc = F.smooth_l1_loss(loc[pos], loc_t[pos], reduction="sum") / npos
        ce = F.cross_entropy(conf.reshape(-1, conf.shape[-1]), cls_t.reshape(-1), reduction="none").view(n, -1)
        # Hard negatives: highest-loss background anchors, neg_ratio per positive (per image).
        neg_ce = ce.clone().detach()
        neg_ce[pos] = -1
        k = (pos.sum(1, keepdim=True) * self.neg_ratio).clamp(min=8)
        rank = neg_ce.argsort(1, descending=True).argsort(1)
        neg = rank < k
        l_cls = (ce[pos].sum() + ce[neg].sum()) / npos
        return l_loc + l_cls, torch.stack((l_loc.detach(), l_cls.detach()))


def input_scale(size):
    """(h, w) -> [w, h, w, h]: normalised xyxy boxes times this are input pixels."""
    h, w = size
    return torch.tensor([w, h, w, h], dtype=torch.float32)


def postprocess(boxes, scores, size, conf_thr=0.01, iou_thr=0.45, max_det=100):
    """Export-format outputs -> per image (boxes xyxy input px, scores, classes 0..nc-1);
    size: the input's (h, w)."""
    from .common import batched_nms
    scale = input_scale(size)
    res = []
    for b, s in zip(boxes, scores):
        s = s[:, 1:]
        keep_b, keep_s, keep_c = [], [], []
        for c in range(s.shape[1]):
            sc = s[:, c]
            k = sc > conf_thr
            if k.sum() > 200:
                k = torch.zeros_like(k)
                k[sc.topk(200).indices] = True
            keep_b.append(b[k])
            keep_s.append(sc[k])
            keep_c.append(torch.full((int(k.sum()),), c))
        bb, ss, cc = torch.cat(keep_b) * scale, torch.cat(keep_s), torch.cat(keep_c)
        keep = batched_nms(bb, ss, cc, iou_thr, max_det)
        res.append((bb[keep], ss[keep], cc[keep]))
    return res
