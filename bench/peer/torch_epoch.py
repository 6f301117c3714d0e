"""The seed MLP's epoch in PyTorch, for `npm run bench:epoch` to print beside sweeplab's training paths: the same
network (784-64-64-10 relu), Adam 1e-3 (epsilon 1e-7, as Keras), cross-entropy, shuffled batches from tensors in
memory, then the 10,000-image validation pass, on one thread. Prints one line of JSON with the seconds of each epoch.

    python3 bench/peer/torch_epoch.py --data-dir DIR --batch 32 --epochs 3
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from optuna_torch import read_idx  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x = torch.from_numpy(read_idx(os.path.join(args.data_dir, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype("float32") / 255)
    y = torch.from_numpy(read_idx(os.path.join(args.data_dir, "train-labels-idx1-ubyte.gz")).astype("int64"))
    vx = torch.from_numpy(read_idx(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784).astype("float32") / 255)
    vy = torch.from_numpy(read_idx(os.path.join(args.data_dir, "t10k-labels-idx1-ubyte.gz")).astype("int64"))
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    seconds = []
    accuracy = 0.0
    for _ in range(args.epochs):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(x))
        for start in range(0, len(x), args.batch):
            index = order[start:start + args.batch]
            optimizer.zero_grad()
            loss_fn(model(x[index]), y[index]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(vx).argmax(1) == vy).float().mean().item()
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds, "valAccuracy": accuracy}))


if __name__ == "__main__":
    main()
