#!/usr/bin/env python3
# Training speed of `sigprop train` against PyTorch (CPU, OpenBLAS) doing the
# same model, batch and optimiser, measured in the same run, one after the
# other, several repetitions each; prints steps per second (median) of both
# and their ratio.  Optional: needs python3-torch (Debian); not run by the
# tests.  Debian's torch calls the system BLAS (libblas.so.3); to time it on
# OpenBLAS without changing the system's choice, install
# libopenblas0-pthread and run
#
#   LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread \
#   OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 \
#   /usr/bin/python3 tests/bench_train_torch.py SIGPROP [--threads 1] [--width 128] ...
#
# (OPENBLAS_CORETYPE for a processor with AVX-512 that OpenBLAS misdetects;
# one OpenBLAS thread because torch parallelises itself.  On a machine
# busier than its cores, torch's OpenMP threads spin and its time with more
# than one thread is meaningless: compare with --threads 1 there.)
#
# The PyTorch model is the simulator's network: token + position embedding,
# per block softmax attention without an output projection (y = softmax(q k^T
# / sqrt(d/H)) v, value bias), post-LN residual sums without affine
# parameters, a ReLU MLP with d_ff = d, an output projection and a softmax
# cross-entropy on every position (the Markov task's loss), Adam.
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import math
import re
import statistics
import subprocess
import sys
import time


def torch_steps_per_second(a, torch):
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    d, T, V, B, L, H = a.width, a.tokens, a.vocab, a.batch, a.depth, a.heads
    dh = d // H
    P = torch.nn.ParameterList()

    def param(*shape, sd):
        p = torch.nn.Parameter(torch.randn(*shape) * sd)
        P.append(p)
        return p

    emb, pos, unemb = param(V, d, sd=0.7), param(T, d, sd=0.7), param(d, V, sd=d ** -0.5)
    blocks = [(param(d, 3 * d, sd=0.1), param(d, sd=0.02), param(d, d, sd=0.07),
               param(d, sd=0.02), param(d, d, sd=0.07), param(d, sd=0.02)) for _ in range(L)]
    opt = torch.optim.Adam(P, lr=1e-3)
    mask = torch.ones(T, T).tril().bool()
    tok = torch.randint(0, V, (B, T + 1))

    def step():
        x = emb[tok[:, :T]] + pos
        for wqkv, bv, w1, b1, w2, b2 in blocks:
            qkv = x @ wqkv
            q, k, v = qkv.split(d, dim=-1)
            v = v + bv
            q, k, v = (z.view(B, T, H, dh).transpose(1, 2) for z in (q, k, v))
            s = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
            s = s.masked_fill(~mask, float('-inf'))
            y = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, d)
            x = torch.nn.functional.layer_norm(x + y, (d,))
            x = torch.nn.functional.layer_norm(x + torch.relu(x @ w1 + b1) @ w2 + b2, (d,))
        loss = torch.nn.functional.cross_entropy((x @ unemb).reshape(B * T, V),
                                                 tok[:, 1:].reshape(B * T))
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    return a.steps / (time.perf_counter() - t0)


def sigprop_steps_per_second(a):
    cmd = [a.sigprop, 'train', '--task', 'markov', '--causal', '--quiet',
           '--width', str(a.width), '--heads', str(a.heads), '--depth', str(a.depth),
           '--tokens', str(a.tokens), '--vocab', str(a.vocab), '--batch', str(a.batch),
           '--steps', str(a.steps), '--eval-every', str(10 ** 9), '--log-every', str(10 ** 9),
           '--threads', str(a.threads), '--eval-batches', '1']
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r'^# speed: ([0-9.e+]+) steps/s', out, re.M)
    return float(m.group(1)), re.search(r'kernel ([^)]*)\)', out).group(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('sigprop')
    for name, v in (('width', 128), ('heads', 2), ('depth', 4), ('tokens', 64), ('vocab', 64),
                    ('batch', 16), ('steps', 30), ('threads', 2), ('repeats', 3)):
        p.add_argument('--' + name, type=int, default=v)
    a = p.parse_args()
    try:
        import torch
    except ImportError:
        print('bench_train_torch: python3-torch is not installed', file=sys.stderr)
        return 77
    ours, theirs, kernel = [], [], ''
    for _ in range(a.repeats):
        s, kernel = sigprop_steps_per_second(a)
        ours.append(s)
        theirs.append(torch_steps_per_second(a, torch))
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f'# d={a.width} H={a.heads} L={a.depth} T={a.tokens} V={a.vocab} B={a.batch} '
          f'threads={a.threads}, median of {a.repeats}')
    print(f'sigprop ({kernel}): {mo:.2f} steps/s  {ours}')
    print(f'pytorch {torch.__version__}: {mt:.2f} steps/s  {theirs}')
    print(f'ratio sigprop/pytorch: {mo / mt:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
