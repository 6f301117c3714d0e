#!/usr/bin/env python3
"""A trainer sweeplab does not run: logistic regression on a small synthetic two-class problem, standard library
only. It takes its parameters as ask prints them (--lr=0.1 --epochs=4) and prints one line per epoch:
`<epoch> <val_accuracy> <loss>`, which loop.sh tells sweeplab."""
import math
import random
import sys

params = dict(arg[2:].split('=', 1) for arg in sys.argv[1:] if arg.startswith('--'))
lr = float(params['lr'])
epochs = int(params['epochs'])

rng = random.Random(7)
def sample(n):
    points = []
    for _ in range(n):
        label = rng.random() < 0.5
        center = 1.0 if label else -1.0
        points.append(((rng.gauss(center, 1.2), rng.gauss(center, 1.2)), 1.0 if label else 0.0))
    return points

train, validation = sample(400), sample(200)
w = [-1.0, 0.5]  # a poor start: a tiny learning rate stays poor
b = 0.0
for epoch in range(1, epochs + 1):
    loss = 0.0
    for (x1, x2), y in train:
        p = 1 / (1 + math.exp(-(w[0] * x1 + w[1] * x2 + b)))
        loss -= y * math.log(max(p, 1e-12)) + (1 - y) * math.log(max(1 - p, 1e-12))
        w[0] -= lr * (p - y) * x1
        w[1] -= lr * (p - y) * x2
        b -= lr * (p - y)
    correct = sum((w[0] * x1 + w[1] * x2 + b > 0) == (y == 1.0) for (x1, x2), y in validation)
    print(epoch, correct / len(validation), loss / len(train), flush=True)
