"""Fixtures for the optimizers: torch.optim 1.13 (single-tensor path, foreach=False) run for 5 steps on three
small float32 parameters, plus the learning-rate factors of three schedulers.

Unlike the op fixtures, these are computed in float32, the precision in which PyTorch itself trains, so
that each step's rounding mirrors what fovea does in float32 (a float64 reference would drift from any
float32 optimizer over several steps). Hyperparameters are rounded to float32 first, so both sides use the
same numbers. Each step the stored gradient is copied into param.grad; a penalty l1*sum|w| + l2*sum w^2 is
then backpropagated into it (as a loss term would be), clip_grad_norm_ clips, and optimizer.step() updates.

Entries: meta:kind, cfg:<field> (fv_optim_config fields), group (group of each parameter), group_lr,
sched:step_size/sched:gamma (a StepLR stepped after every step), w0:<p>, grad:<s>:<p>, w:<s>:<p> (after
step s), penalty (before each step) and norm (global gradient norm before clipping, each step)."""
import os

import numpy as np
import torch

import fvfx

SHAPES = {"p0": (3, 4), "p1": (5,), "p2": (2, 3, 3, 3)}
STEPS = 5
FIELDS = ["lr", "momentum", "dampening", "nesterov", "alpha", "centered", "beta1", "beta2", "eps", "lr_decay",
          "initial_accumulator", "weight_decay", "l1", "l2", "clip_norm"]
DEFAULTS = {"sgd": dict(lr=1e-3), "rmsprop": dict(lr=1e-2, alpha=0.99, eps=1e-8),
            "adagrad": dict(lr=1e-2, eps=1e-10), "adam": dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8),
            "adamw": dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2)}


def f32(v):
    return float(np.float32(v))


def make_optimizer(kind, c, groups):
    common = dict(foreach=False)
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=c["lr"], momentum=c["momentum"], dampening=c["dampening"],
                               nesterov=bool(c["nesterov"]), weight_decay=c["weight_decay"], **common)
    if kind == "rmsprop":
        return torch.optim.RMSprop(groups, lr=c["lr"], alpha=c["alpha"], eps=c["eps"], momentum=c["momentum"],
                                   centered=bool(c["centered"]), weight_decay=c["weight_decay"], **common)
    if kind == "adagrad":
        return torch.optim.Adagrad(groups, lr=c["lr"], lr_decay=c["lr_decay"], eps=c["eps"],
                                   initial_accumulator_value=c["initial_accumulator"],
                                   weight_decay=c["weight_decay"], foreach=False)
    cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    return cls(groups, lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"], weight_decay=c["weight_decay"],
               **common)


def case(outdir, name, kind, group=(0, 0, 0), group_lr=None, sched=None, **cfg):
    c = {k: 0.0 for k in FIELDS}
    c.update(DEFAULTS[kind])
    c.update(cfg)
    c = {k: f32(v) for k, v in c.items()}
    names = list(SHAPES)
    w0 = {n: (torch.randn(SHAPES[n]) * 0.5).float() for n in names}
    w0["p1"][0] = 0.0  # sign(0) = 0 in the L1 gradient
    grads = [{n: torch.randn(SHAPES[n]).float() for n in names} for _ in range(STEPS)]
    params = {n: w0[n].clone().requires_grad_() for n in names}
    lrs = [f32(x) for x in (group_lr or [c["lr"]])]
    groups = [{"params": [params[n] for i, n in enumerate(names) if group[i] == g], "lr": lrs[g]}
              for g in range(len(lrs))]
    opt = make_optimizer(kind, c, groups)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, sched[0], f32(sched[1])) if sched else None
    e = {"meta:op": "optim", "meta:kind": kind}
    e.update({f"cfg:{k}": np.array([v], dtype=np.float32) for k, v in c.items()})
    e["group"] = np.array(group, dtype=np.int32)
    e["group_lr"] = np.array(lrs, dtype=np.float32)
    if sched:
        e["sched:step_size"] = np.array([sched[0]], dtype=np.int32)
        e["sched:gamma"] = np.array([f32(sched[1])], dtype=np.float32)
    e.update({f"w0:{n}": w0[n].numpy() for n in names})
    penalties, norms = [], []
    for s in range(STEPS):
        for n in names:
            params[n].grad = grads[s][n].clone()
            e[f"grad:{s}:{n}"] = grads[s][n].numpy()
        pen = sum(c["l1"] * p.abs().sum() + c["l2"] * p.pow(2).sum() for p in params.values())
        if c["l1"] or c["l2"]:
            pen.backward()
        penalties.append(float(pen))
        plist = list(params.values())
        if c["clip_norm"] > 0:
            norm = torch.nn.utils.clip_grad_norm_(plist, c["clip_norm"])
        else:
            norm = torch.norm(torch.stack([p.grad.double().norm() for p in plist]))
        norms.append(float(norm))
        opt.step()
        if scheduler:
            scheduler.step()
        e.update({f"w:{s}:{n}": fvfx.tensor(params[n]) for n in names})
    e["penalty"] = np.array(penalties, dtype=np.float32)
    e["norm"] = np.array(norms, dtype=np.float32)
    fvfx.write(os.path.join(outdir, f"optim_{name}.fvx"), e)


def schedules(outdir):
    """Factors (lr / base lr) for epochs 0..9, from the schedulers' own get_lr sequence."""
    def factors(make):
        base = 0.1
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
        sch = make(opt)
        out = []
        for _ in range(10):
            out.append(opt.param_groups[0]["lr"] / base)
            opt.step()
            sch.step()
        return np.array(out, dtype=np.float32)
    lr_sched = torch.optim.lr_scheduler
    fvfx.write(os.path.join(outdir, "optim_schedule.fvx"), {
        "meta:op": "schedule",
        "step": factors(lambda o: lr_sched.StepLR(o, step_size=3, gamma=0.5)),
        "exponential": factors(lambda o: lr_sched.ExponentialLR(o, gamma=0.9)),
        "cosine": factors(lambda o: lr_sched.CosineAnnealingLR(o, T_max=5, eta_min=0.01)),
    })


def make(outdir):
    cases = [
        ("sgd_plain", "sgd", dict(lr=0.1)),
        ("sgd_momentum", "sgd", dict(lr=0.1, momentum=0.9)),
        ("sgd_dampening", "sgd", dict(lr=0.1, momentum=0.9, dampening=0.3)),
        ("sgd_nesterov_wd", "sgd", dict(lr=0.1, momentum=0.9, nesterov=1, weight_decay=0.05)),
        ("rmsprop_plain", "rmsprop", dict()),
        ("rmsprop_centered", "rmsprop", dict(lr=0.01, alpha=0.9, momentum=0.8, centered=1, weight_decay=0.01)),
        ("adagrad", "adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator=0.1, weight_decay=0.01)),
        ("adam_plain", "adam", dict(lr=0.05)),
        ("adam_wd", "adam", dict(lr=0.05, beta1=0.8, beta2=0.99, weight_decay=0.1)),
        ("adamw", "adamw", dict(lr=0.05, weight_decay=0.1)),
        ("sgd_l1l2", "sgd", dict(lr=0.1, l1=0.01, l2=0.02)),
        ("adam_l1l2", "adam", dict(lr=0.05, l1=0.01, l2=0.02)),
        ("sgd_clip", "sgd", dict(lr=0.1, momentum=0.9, clip_norm=0.5)),
        ("adam_clip_l2", "adam", dict(lr=0.05, l2=0.05, clip_norm=1.0)),
        ("sgd_groups", "sgd", dict(lr=0.1, momentum=0.9, group=(0, 0, 1), group_lr=[0.1, 0.02])),
        ("adam_groups", "adam", dict(lr=0.05, group=(0, 1, 1), group_lr=[0.05, 0.2])),
        ("adam_steplr", "adam", dict(lr=0.1, sched=(2, 0.5))),
        ("adagrad_steplr", "adagrad", dict(lr=0.1, lr_decay=0.1, sched=(2, 0.3))),
    ]
    for name, kind, cfg in cases:
        case(outdir, name, kind, **cfg)
    schedules(outdir)
    return len(cases) + 1
