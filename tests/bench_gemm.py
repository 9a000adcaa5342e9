#!/usr/bin/env python3
# Reference timing for the simulator benchmark: the single-precision matrix
# products of one forward pass of the same network (width D, T tokens, L
# blocks, one head), done by numpy's BLAS (OpenBLAS on Debian with
# libopenblas0-pthread).  Optional: the benchmark skips it without numpy.
# Prints "gemm_seconds S" and "gemm_gflops G" (best of three passes).
# SPDX-License-Identifier: GPL-3.0-or-later
import sys
import time

try:
    import numpy as np
except ImportError:
    print("numpy not available: no GEMM reference")
    sys.exit(0)

d, T, L = (int(a) for a in sys.argv[1:4]) if len(sys.argv) >= 4 else (720, 512, 50)
rng = np.random.default_rng(1)
f32 = np.float32
x = rng.standard_normal((T, d), dtype=f32)
wqkv = rng.standard_normal((d, 3 * d), dtype=f32)
w1 = rng.standard_normal((d, d), dtype=f32)
w2 = rng.standard_normal((d, d), dtype=f32)
a = rng.standard_normal((T, T), dtype=f32)
qkv = np.empty((T, 3 * d), dtype=f32)
s = np.empty((T, T), dtype=f32)
y = np.empty((T, d), dtype=f32)
h = np.empty((T, d), dtype=f32)


def one_pass():
    for _ in range(L):
        np.matmul(x, wqkv, out=qkv)                  # queries, keys, values
        q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]
        np.matmul(q, k.T, out=s)                     # scores
        np.matmul(a, v, out=y)                       # attention times values
        np.matmul(y, w1, out=h)                      # MLP, first layer
        np.matmul(h, w2, out=y)                      # MLP, second layer


flops = L * (2.0 * T * d * 3 * d + 4.0 * T * T * d + 4.0 * T * d * d)
one_pass()
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    one_pass()
    best = min(best, time.perf_counter() - t0)
print(f"gemm_seconds {best:.3f}")
print(f"gemm_gflops {flops / best / 1e9:.1f}")
