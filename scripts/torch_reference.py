#!/usr/bin/python3
"""PyTorch CPU peer for PerfBench: ms per plain training step of the two benchmark models.

Same work as PerfBench section 1: FP32, batch 100, forward + backward + plain SGD update, on
random inputs with random one-hot labels, median over timed steps after warm-up.

  MLP  784-256-256-10, ReLU, softmax cross-entropy
  CNN  conv3x3 1->32, ReLU, maxpool2, conv3x3 32->64, ReLU, maxpool2, dense 3136->10

With --meta: the Meta-Weight-Net problem of PerfBench section 2 (the classifier above plus a
weighting net 1-100-1, sigmoid, fed the detached per-sample losses; normalised weighted CE inside,
mean CE outside), timed as a plain step and as one meta-iteration of EvoGrad (K = 2, +-sigma sign
noise, written as the EvoGrad reference does: perturbed copies through functional_call) and of
one-step (a virtual SGD step kept in the autograd graph, create_graph=True: real second order).
The ratios are what a PyTorch user pays for these estimators on this problem.

Prints one JSON object on stdout. Exits with status 3 and a message on stderr when torch is not
importable, so the harness can leave the column empty.

With --serve: timed blocks of plain steps on request over stdin (see serve()), which PerfBench
section 1 alternates with blocks of its own steps.

  /usr/bin/python3 scripts/torch_reference.py [--threads 1] [--steps 100] [--quick] [--layers | --meta | --serve]
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    from torch import nn
except ImportError as e:  # the harness shows "n/a" for the column
    print("torch not importable: %s" % e, file=sys.stderr)
    sys.exit(3)


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3136, 10))


def stepper(model, x, y):
    """One plain training step of model on (x, y) per call; returns the loss before the update."""
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def time_steps(model, x, y, warm, steps):
    step = stepper(model, x, y)
    loss_fn = nn.CrossEntropyLoss()
    first = float(step())
    for _ in range(warm):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    last = float(loss_fn(model(x), y))
    return statistics.median(times), first, last


def loaded_blas():
    """The BLAS shared library this process mapped (Debian's python3-torch uses libblas.so.3,
    which the alternatives system points at OpenBLAS when libopenblas0 is installed, otherwise at
    the slow reference BLAS)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return " ".join(sorted(libs)) or "none mapped"
    except OSError:
        return "unknown"


def time_layers(reps):
    """Forward + backward of each CNN layer alone, loss = sum of its output (PerfBench --sections ops)."""
    def run(make, shape, reps):
        layer = make()
        x = torch.rand(*shape, requires_grad=True)
        times = []
        for i in range(3 + reps):
            t0 = time.perf_counter()
            layer(x).sum().backward()
            if i >= 3:
                times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)

    def pool():
        return nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))

    return {
        "conv1": run(lambda: nn.Conv2d(1, 32, 3, padding=1), (100, 1, 28, 28), reps),
        "pool1": run(pool, (100, 32, 28, 28), reps),
        "conv2": run(lambda: nn.Conv2d(32, 64, 3, padding=1), (100, 32, 14, 14), reps),
        "pool2": run(pool, (100, 64, 14, 14), reps),
        "dense": run(lambda: nn.Linear(3136, 10, bias=False), (100, 3136), reps),
    }


def time_meta(make, shape, warm, steps):
    """Plain MWN step, EvoGrad (K=2) and one-step meta-iterations (each with V's Adam step)."""
    try:
        from torch.func import functional_call
    except ImportError:  # torch < 2.0
        from torch.nn.utils.stateless import functional_call
    torch.manual_seed(42)
    model = make()
    if len(shape) == 4 and make is cnn:
        model = model.to(memory_format=torch.channels_last)
    vnet = nn.Sequential(nn.Linear(1, 100), nn.ReLU(), nn.Linear(100, 1), nn.Sigmoid())
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    vopt = torch.optim.Adam(vnet.parameters(), lr=1e-3)
    xs = [torch.rand(*shape) for _ in range(8)]
    if len(shape) == 4:
        xs = [x.to(memory_format=torch.channels_last) for x in xs]
    ys = [torch.randint(0, 10, (shape[0],)) for _ in range(8)]
    ce = nn.CrossEntropyLoss(reduction="none")
    names = [n for n, _ in model.named_parameters()]
    sigma, tau, k, lr = 1e-3, 0.05, 2, 0.05

    def weighted(logits, y):
        losses = ce(logits, y)
        w = vnet(losses.detach().unsqueeze(1)).squeeze(1)
        return (w * losses).sum() / (w.sum() + 1e-12)

    def plain(i):
        opt.zero_grad(set_to_none=True)
        weighted(model(xs[i % 8]), ys[i % 8]).backward()
        opt.step()

    def evograd(i):
        x, y, xm, ym = xs[i % 8], ys[i % 8], xs[(i + 3) % 8], ys[(i + 3) % 8]
        with torch.no_grad():
            theta = {n: p.detach() for n, p in model.named_parameters()}
            eps = [{n: (torch.randint(0, 2, p.shape, dtype=p.dtype) * 2 - 1) * sigma
                    for n, p in theta.items()} for _ in range(k)]
        losses = torch.stack([weighted(functional_call(model, {n: theta[n] + e[n] for n in names},
                                                       (x,)), y) for e in eps])
        w = torch.softmax(-losses / tau, 0)
        star = {n: sum(w[j] * (theta[n] + eps[j][n]) for j in range(k)) for n in names}
        vopt.zero_grad(set_to_none=True)
        ce(functional_call(model, star, (xm,)), ym).mean().backward()
        vopt.step()

    def one_step(i):
        x, y, xm, ym = xs[i % 8], ys[i % 8], xs[(i + 3) % 8], ys[(i + 3) % 8]
        params = dict(model.named_parameters())
        g = torch.autograd.grad(weighted(functional_call(model, params, (x,)), y),
                                list(params.values()), create_graph=True)
        fast = {n: p - lr * gi for (n, p), gi in zip(params.items(), g)}
        out = ce(functional_call(model, fast, (xm,)), ym).mean()
        vopt.zero_grad(set_to_none=True)
        for p, gv in zip(vnet.parameters(), torch.autograd.grad(out, list(vnet.parameters()))):
            p.grad = gv
        vopt.step()

    def median_ms(f):
        for i in range(warm):
            f(i)
        times = []
        for i in range(steps):
            t0 = time.perf_counter()
            f(i)
            times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)

    # Plain steps before and after, so that a change in the machine's load hits both sides.
    before = median_ms(plain)
    evo = median_ms(evograd)
    one = median_ms(one_step)
    after = median_ms(plain)
    p = (before + after) / 2
    return {"plain_ms": p, "evograd_ms": evo, "one_step_ms": one,
            "evograd_ratio": evo / p, "one_step_ratio": one / p}


def serve(quick):
    """Timed blocks of plain steps on request, so that the harness can alternate them with its own
    blocks and compare steps taken in the same seconds. Prints "READY <json>" once the three models
    are warm, then answers each "RUN <mlp|cnn|cnn_cl> <n>" on stdin with "TIMES <name> <ms,...>",
    until "QUIT"."""
    torch.manual_seed(42)
    batch = 100
    y = torch.randint(0, 10, (batch,))
    steps = {
        "mlp": stepper(mlp(), torch.rand(batch, 784), y),
        "cnn": stepper(cnn(), torch.rand(batch, 1, 28, 28), y),
    }
    torch.manual_seed(42)
    steps["cnn_cl"] = stepper(cnn().to(memory_format=torch.channels_last),
                              torch.rand(batch, 1, 28, 28).to(memory_format=torch.channels_last),
                              y)
    for name, step in steps.items():
        for _ in range((5 if quick else 30) if name == "mlp" else (2 if quick else 5)):
            step()
    print("READY " + json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "blas": loaded_blas(),
    }), flush=True)
    for line in sys.stdin:
        f = line.split()
        if not f or f[0] == "QUIT":
            break
        if f[0] != "RUN" or len(f) != 3 or f[1] not in steps:
            print("ERROR expected RUN <%s> <n> or QUIT, got %r" % ("|".join(steps), line.strip()),
                  flush=True)
            continue
        times = []
        for _ in range(int(f[2])):
            t0 = time.perf_counter()
            steps[f[1]]()
            times.append((time.perf_counter() - t0) * 1e3)
        print("TIMES %s %s" % (f[1], ",".join("%.4f" % t for t in times)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--layers", action="store_true")
    ap.add_argument("--meta", action="store_true")
    ap.add_argument("--serve", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.serve:
        serve(a.quick)
        return
    if a.meta:
        print(json.dumps({
            "torch": torch.__version__,
            "mlp": time_meta(mlp, (100, 784), 5 if a.quick else 20, 10 if a.quick else a.steps),
            "cnn": time_meta(cnn, (100, 1, 28, 28), 2 if a.quick else 3, 3 if a.quick else 15),
        }))
        return
    if a.layers:
        print(json.dumps(time_layers(3 if a.quick else 15)))
        return
    torch.manual_seed(42)
    batch = 100
    steps = 10 if a.quick else a.steps
    y = torch.randint(0, 10, (batch,))
    mlp_ms, mf, ml = time_steps(mlp(), torch.rand(batch, 784), y, 5 if a.quick else 30, steps)
    cnn_ms, cf, cl = time_steps(cnn(), torch.rand(batch, 1, 28, 28), y, 2 if a.quick else 5,
                                max(4, steps // 4))
    # The same CNN channels-last (NHWC in memory), PyTorch's alternative layout for convolutions.
    torch.manual_seed(42)
    cnn_cl_ms, _, _ = time_steps(cnn().to(memory_format=torch.channels_last),
                                 torch.rand(batch, 1, 28, 28).to(memory_format=torch.channels_last),
                                 y, 2 if a.quick else 5, max(4, steps // 4))
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "blas": loaded_blas(),
        "mlp_ms": mlp_ms,
        "cnn_ms": cnn_ms,
        "cnn_channels_last_ms": cnn_cl_ms,
        "mlp_loss": "%.3f->%.3f" % (mf, ml),
        "cnn_loss": "%.3f->%.3f" % (cf, cl),
    }))


if __name__ == "__main__":
    main()
