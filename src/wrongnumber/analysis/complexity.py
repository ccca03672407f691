"""Parameter, MAC and FLOP counts of a model, and the reconciliation of the paper's Table 2.

Table 2 reports 390.86 K parameters, 7.75 M MACs and 16.53 M FLOPs, but 2 x 7.75 M = 15.50 M.
Two independent counts cross-check each other here:

* MACs come from layer shapes seen by forward hooks (conv: out elements x in/groups x kernel;
  linear: out elements x in_features), without torch's flop counter;
* FLOPs come from `torch.utils.flop_counter.FlopCounterMode`, which counts 2 FLOPs per
  multiply-accumulate of conv/matmul and nothing else, so it must equal 2 x MACs.

The reconciliation re-derives, from the same hooked shapes, the FLOP totals of the counting
rules that common tools use (bias adds, BatchNorm, ReLU, pooling...) plus the cost of the
Grad-CAM the paper computes alongside the forward pass. docs/flops-reconciliation.md lists what
the tools themselves print; only numbers computed here go into the report.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

TABLE2 = ("params", "flops", "macs")  # Table 2's rows, in its order
SCALE = {"K": 1e3, "M": 1e6}


def paper_table2(numbers: dict) -> dict:
    """{row: (value as printed, value)}: Table 2 from paper/reported.yaml's `numbers`."""
    return {k: (f"{numbers[f'table2.{k}']['value']:.2f} {numbers[f'table2.{k}']['unit']}",
                numbers[f"table2.{k}"]["value"] * SCALE[numbers[f"table2.{k}"]["unit"]]) for k in TABLE2}
INPUT_SHAPE = (1, 1, 28, 28)  # one MNIST image: Table 2's counts are per image


def _fmt(n: int) -> str:
    """The paper's rounding: two decimals of K (params) or M (MACs, FLOPs)."""
    return f"{n / 1e3:.2f} K" if n < 1e6 else f"{n / 1e6:.2f} M"


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _leaf_trace(model: nn.Module, input_shape) -> list[dict]:
    """Run one forward (eval mode, zero input) and record every leaf module's shapes in call order.

    Eval mode because the paper's counts describe inference (dropout off, BatchNorm with running
    statistics); the caller's train/eval state is restored afterwards.
    """
    rows, handles = [], []

    def hook(name):
        def record(module, inputs, output):
            rows.append({"name": name, "type": type(module).__name__,
                         "input_shape": list(inputs[0].shape), "output_shape": list(output.shape),
                         "params": sum(p.numel() for p in module.parameters(recurse=False)),
                         "_module": module, "_in": inputs[0].numel(), "_out": output.numel()})
        return record

    for name, module in model.named_modules():
        if not list(module.children()):
            handles.append(module.register_forward_hook(hook(name)))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(input_shape))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return rows


COUNT_KEYS = ("macs", "bias_adds", "bn_elements", "relu_elements", "pool_input_elements",
              "dropout_elements")


def _layer_counts(row: dict) -> dict:
    """Per-layer operation counts from shapes alone (what each convention then weighs)."""
    m, out = row["_module"], row["_out"]
    macs = bias = bn = relu = pool = drop = 0
    if isinstance(m, nn.modules.conv._ConvNd):
        macs = out * (m.in_channels // m.groups) * math.prod(m.kernel_size)
        bias = out if m.bias is not None else 0
    elif isinstance(m, nn.Linear):
        macs, bias = out * m.in_features, (out if m.bias is not None else 0)
    elif isinstance(m, nn.modules.batchnorm._BatchNorm):
        bn = out
    elif isinstance(m, nn.ReLU):
        relu = out
    elif isinstance(m, nn.modules.pooling._MaxPoolNd):
        pool = row["_in"]  # tools charge one op per *input* element (each is compared once)
    elif isinstance(m, nn.Dropout):
        drop = out
    return dict(zip(COUNT_KEYS, (macs, bias, bn, relu, pool, drop)))


def count_macs(model: nn.Module, input_shape=INPUT_SHAPE) -> int:
    """Exact multiply-accumulates of the conv and linear layers, from hooked layer shapes."""
    return sum(_layer_counts(r)["macs"] for r in _leaf_trace(model, input_shape))


def _flop_counter(model: nn.Module, input_shape) -> FlopCounterMode:
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(input_shape))
    finally:
        model.train(was_training)
    return counter


def count_flops(model: nn.Module, input_shape=INPUT_SHAPE) -> int:
    """FLOPs as torch.utils.flop_counter counts them (2 per MAC of conv/matmul, nothing else)."""
    return int(_flop_counter(model, input_shape).get_total_flops())


def _gradcam_flops(model: nn.Module, input_shape) -> dict:
    """FLOPs of one Grad-CAM on the features `forward` returns, as the paper computes per image.

    The gradient is flop_counter's count of d(class score)/d(features): autograd.grad w.r.t.
    the features computes only the input-gradients of the layers after the CAM layer (no weight
    gradients). The input requires grad so that frozen parameters still give a graph. The rest
    is counted by hand: channel weights = spatial mean of the gradients (1 add per feature
    element), weighted channel sum (mul + add per element), ReLU on the map, and the bicubic
    upsample to the input size (16 taps x mul + add per output pixel).
    """
    was_training = model.training
    try:
        model.eval()
        with torch.enable_grad():
            logits, feats = model(torch.zeros(input_shape, requires_grad=True))
            with FlopCounterMode(display=False) as counter:
                torch.autograd.grad(logits[:, 0].sum(), feats)
    finally:
        model.train(was_training)
    b, _, h, w = feats.shape
    backward = int(counter.get_total_flops())
    cam = 3 * feats.numel() + b * h * w
    upsample = 32 * b * math.prod(input_shape[2:])
    return {"score_backward": backward, "cam": cam, "bicubic_upsample": upsample,
            "total": backward + cam + upsample}


def _reconciliation(model: nn.Module, input_shape, s: dict, paper: dict) -> dict:
    """FLOP totals under the counting rules that could turn 7.75 M MACs into 16.53 M FLOPs."""
    gradcam = _gradcam_flops(model, input_shape)
    two_macs = 2 * s["macs"]
    # calflops and DeepSpeed's profiler share one rule set: conv bias adds yes, linear bias no,
    # BatchNorm 2/element (they force eval mode), ReLU and max-pool 1 per input element.
    calflops = (two_macs + s["conv_bias_adds"] + 2 * s["bn_elements"] + s["relu_elements"]
                + s["pool_input_elements"])
    # Upper end of per-layer conventions: every bias, training-mode BatchNorm (5/element, the
    # same tools' estimate), ReLU, max-pool, the dropout mask multiply.
    every_op = (two_macs + s["bias_adds"] + 5 * s["bn_elements"] + s["relu_elements"]
                + s["pool_input_elements"] + s["dropout_elements"])
    conventions = [
        ("2 x MACs (torch flop_counter)", two_macs),
        ("2 x MACs + bias adds", two_macs + s["bias_adds"]),
        ("calflops/DeepSpeed rule", calflops),
        ("every op, training-mode BatchNorm", every_op),
        ("2 x MACs + Grad-CAM", two_macs + gradcam["total"]),
        ("calflops/DeepSpeed rule + Grad-CAM", calflops + gradcam["total"]),
        ("every op, training-mode BatchNorm + Grad-CAM", every_op + gradcam["total"]),
    ]
    target, target_flops = paper["flops"]
    hits = [name for name, v in conventions if _fmt(v) == target]
    name, value = min(conventions, key=lambda c: abs(c[1] - target_flops))
    if hits:
        finding = f"The paper's {target} FLOPs is reproduced by: {'; '.join(hits)}."
    else:
        macs_with_cam = s["macs"] + gradcam["score_backward"] // 2
        finding = (f"No counting convention gives the paper's {target} FLOPs. 2 x MACs is "
                   f"{_fmt(two_macs)}; the calflops/DeepSpeed rule (the tools whose params/MACs/"
                   f"FLOPS printout has Table 2's format) gives {_fmt(calflops)}; the closest "
                   f"total, '{name}', is {_fmt(value)} ({value - target_flops:+,.0f} FLOPs). "
                   f"Counting the Grad-CAM gradient would also lift MACs to "
                   f"{_fmt(macs_with_cam)}, against Table 2's {paper['macs'][0]}.")
    return {"target": target, "reproduced": bool(hits), "finding": finding,
            "closest": name, "closest_flops": value, "gradcam_flops": gradcam,
            "conventions": [{"name": n, "flops": v, "rounded": _fmt(v)} for n, v in conventions]}


def complexity_report(model: nn.Module, numbers: dict, input_shape=INPUT_SHAPE) -> dict:
    """JSON-serialisable, deterministic summary: totals, Table 2 (from paper/reported.yaml's
    `numbers`), per-layer rows, reconciliation."""
    paper = paper_table2(numbers)
    printed = {k: text for k, (text, _) in paper.items()}
    shape = tuple(int(d) for d in input_shape)
    counter = _flop_counter(model, shape).get_flop_counts()
    prefix = type(model).__name__
    layers = []
    for row in _leaf_trace(model, shape):
        fc_flops = sum(counter.get(f"{prefix}.{row['name']}", {}).values())  # keyed by module path
        layers.append({k: v for k, v in row.items() if not k.startswith("_")}
                      | _layer_counts(row) | {"flop_counter_flops": int(fc_flops)})
    sums = {k: sum(layer[k] for layer in layers) for k in COUNT_KEYS}
    sums["conv_bias_adds"] = sum(layer["bias_adds"] for layer in layers
                                 if layer["type"].startswith("Conv"))
    params, macs = count_params(model), sums["macs"]
    flops = int(sum(counter.get("Global", {}).values()))
    return {
        "model": prefix, "input_shape": list(shape),
        "params": params, "macs": macs, "flops": flops,
        "flops_counter": "torch.utils.flop_counter.FlopCounterMode (2 per conv/linear MAC)",
        "paper": printed,
        "matches_paper": {"params": _fmt(params) == printed["params"],
                          "macs": _fmt(macs) == printed["macs"],
                          "flops": _fmt(flops) == printed["flops"]},
        "layers": layers,
        "reconciliation": _reconciliation(model, shape, sums, paper),
    }
