"""An epoch in PyTorch, for `npm run bench:epoch` to print beside sweeplab's: the same networks (bench/common.ts
BENCH_MODELS: the seed MLP 784-64-64-10, the study CNN conv 8-16 3x3 with 2x2 max pooling then 64-64, the CNN conv
32-64 5x5 with 2x2 max pooling then 10 logits; relu; 'same' padding), Adam 1e-3 (epsilon 1e-7, as Keras),
cross-entropy, shuffled batches from tensors in memory, then the validation pass (in chunks of 1000 images), on one
thread. --train-limit and --test-limit take the first images of each set. Prints one line of JSON with the wall
and process CPU seconds of each epoch.

    python3 bench/peer/torch_epoch.py --data-dir DIR --model cnn5 --batch 32 --epochs 3 [--train-limit 6000 --test-limit 1000]
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


def conv_block(channels, filters, kernel_size):
    return [nn.Conv2d(channels, filters, kernel_size, padding=kernel_size // 2), nn.ReLU(), nn.MaxPool2d(2)]


def make_model(name):
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    if name == "cnn":
        return nn.Sequential(*conv_block(1, 8, 3), *conv_block(8, 16, 3), nn.Flatten(), nn.Linear(16 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    return nn.Sequential(*conv_block(1, 32, 5), *conv_block(32, 64, 5), nn.Flatten(), nn.Linear(64 * 7 * 7, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--model", choices=["mlp", "cnn", "cnn5"], default="mlp")
    parser.add_argument("--train-limit", type=int, default=60000)
    parser.add_argument("--test-limit", type=int, default=10000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    image = (-1, 784) if args.model == "mlp" else (-1, 1, 28, 28)
    x = torch.from_numpy(read_idx(os.path.join(args.data_dir, "train-images-idx3-ubyte.gz"))[:args.train_limit].reshape(image).astype("float32") / 255)
    y = torch.from_numpy(read_idx(os.path.join(args.data_dir, "train-labels-idx1-ubyte.gz"))[:args.train_limit].astype("int64"))
    vx = torch.from_numpy(read_idx(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz"))[:args.test_limit].reshape(image).astype("float32") / 255)
    vy = torch.from_numpy(read_idx(os.path.join(args.data_dir, "t10k-labels-idx1-ubyte.gz"))[:args.test_limit].astype("int64"))
    model = make_model(args.model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    seconds = []
    cpu_seconds = []
    accuracy = 0.0
    for _ in range(args.epochs):
        started = time.perf_counter()
        cpu = time.process_time()
        model.train()
        order = torch.randperm(len(x))
        for start in range(0, len(x), args.batch):
            index = order[start:start + args.batch]
            optimizer.zero_grad()
            loss_fn(model(x[index]), y[index]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(vx[start:start + 1000]).argmax(1) == vy[start:start + 1000]).sum().item() for start in range(0, len(vx), 1000))
        accuracy = correct / len(vx)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu)
    print(json.dumps({"seconds": seconds, "cpuSeconds": cpu_seconds, "valAccuracy": accuracy}))


if __name__ == "__main__":
    main()
