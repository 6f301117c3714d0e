#!/usr/bin/env python3
"""A plain PyTorch training script, swept by sweeplab as a program trial (examples/pytorch/sweep.yaml).

An MLP 784-width-width-10 on the Fashion-MNIST subset bundled with sweeplab (data/fashion-mnist-mini): the last
10% of the training images are held out for validation, the test images give the final test accuracy. Nothing
here depends on sweeplab except the report lines: each epoch prints one JSON line on stdout
({"epoch": 1, "val_accuracy": 0.81, ...}), and a last line without "epoch" holds the final metrics. Run it
alone with `python3 train.py --lr=0.01 --width=64`.
"""
import argparse
import gzip
import json
import os
import struct
import sys
from pathlib import Path

import torch
from torch import nn

DATA = Path(os.environ.get('FASHION_MNIST_DIR', Path(__file__).resolve().parents[2] / 'data' / 'fashion-mnist-mini'))


def read_idx(name):
    """An IDX file of unsigned bytes (magic 0x00 0x00 0x08 dims, big-endian uint32 sizes, then the bytes)."""
    raw = gzip.decompress((DATA / name).read_bytes())
    zero, kind, dims = struct.unpack('>HBB', raw[:4])
    if zero != 0 or kind != 0x08:
        sys.exit(f'{DATA / name}: not an IDX file of unsigned bytes')
    shape = struct.unpack(f'>{dims}I', raw[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(raw[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def load():
    images = read_idx('train-images-idx3-ubyte.gz').reshape(-1, 784).float() / 255
    labels = read_idx('train-labels-idx1-ubyte.gz').long()
    test_images = read_idx('t10k-images-idx3-ubyte.gz').reshape(-1, 784).float() / 255
    test_labels = read_idx('t10k-labels-idx1-ubyte.gz').long()
    held_out = len(images) // 10
    return (images[:-held_out], labels[:-held_out]), (images[-held_out:], labels[-held_out:]), (test_images, test_labels)


def evaluate(model, images, labels):
    model.eval()
    with torch.no_grad():
        logits = model(images)
        return nn.functional.cross_entropy(logits, labels).item(), (logits.argmax(1) == labels).float().mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--width', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--batch_size', type=int, default=64)
    parser.add_argument('--optimizer', choices=['adam', 'sgd'], default='adam')
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(int(os.environ.get('SWEEPLAB_SEED', '0')))
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = load()
    model = nn.Sequential(nn.Linear(784, args.width), nn.ReLU(), nn.Linear(args.width, args.width), nn.ReLU(), nn.Linear(args.width, 10))
    optimizer = (torch.optim.Adam if args.optimizer == 'adam' else torch.optim.SGD)(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x))
        total = 0.0
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(train_x[batch]), train_y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        val_loss, val_accuracy = evaluate(model, val_x, val_y)
        # json.dumps writes a diverged loss as NaN, which sweeplab reads as such.
        print(json.dumps({'epoch': epoch, 'val_accuracy': val_accuracy, 'val_loss': val_loss, 'loss': total / len(train_x)}), flush=True)

    test_loss, test_accuracy = evaluate(model, test_x, test_y)
    print(json.dumps({'test_accuracy': test_accuracy, 'test_loss': test_loss}), flush=True)


if __name__ == '__main__':
    main()
