"""PyTorch's side of the zoo inference benchmark: a torchvision model (random weights, eval mode, torch.no_grad)
at 224x224, batch B, on THREADS threads; prints the median and minimum of `rounds` forward passes after WARMUP
(env, default 2) warm-up passes, and peak RSS; or exports the model to ONNX (opset 13) when asked.
Usage: torch_zoo.py NAME BATCH THREADS ROUNDS [EXPORT.onnx]"""
import os
import resource
import statistics
import sys
import time

import torch
import torchvision

name, batch, threads, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = getattr(torchvision.models, name)(weights=None).eval()
x = torch.rand(batch, 3, 224, 224)
if len(sys.argv) > 5:
    torch.onnx.export(model, x, sys.argv[5], opset_version=13, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    sys.exit(0)
times = []
with torch.no_grad():
    for _ in range(int(os.environ.get("WARMUP", "2"))):
        model(x)
    for _ in range(rounds):
        t0 = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - t0)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pytorch {name} batch {batch}: median {statistics.median(times) * 1e3:.3f} ms, min {min(times) * 1e3:.3f} ms, "
      f"{batch / statistics.median(times):.1f} images/s, {threads} threads, peak RSS {rss:.1f} MiB")
