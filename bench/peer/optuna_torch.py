"""The peer of `npm run bench:peer`: the same learning-rate grid as bench/sweeps/peer-lr.yaml, trained by
PyTorch and scheduled by Optuna. Run as several processes sharing one SQLite study (Optuna's RDB storage);
each process takes grid points until the grid is done. One PyTorch thread per process, as sweeplab runs one
trial per worker thread.

    python3 bench/peer/optuna_torch.py --storage sqlite:////tmp/peer.db --study peer-lr --data-dir DIR
"""
import argparse
import gzip
import os
import time

import numpy as np
import optuna
import torch
from torch import nn

RATES = [0.00001, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.1]
EPOCHS = 3
BATCH = 32


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir):
    x = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255
    y = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    # As sweeplab's `validation: 0.1`: the last 10% of the training set is held out.
    held = round(len(x) * 0.1)
    return (torch.from_numpy(x[:-held]), torch.from_numpy(y[:-held])), (torch.from_numpy(x[-held:]), torch.from_numpy(y[-held:]))


def objective(trial, train, validation):
    lr = trial.suggest_float("learningRate", 1e-5, 0.1, log=True)
    # GridSampler can hand the same point to two processes at once (it warns when it re-evaluates); train each
    # rate once, as sweeplab does, so both sides do the same work.
    for other in trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.RUNNING)):
        if other.number != trial.number and other.params.get("learningRate") == lr:
            raise optuna.TrialPruned()
    torch.manual_seed(trial.number)
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    x, y = train
    best = 0.0
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x))
        for start in range(0, len(x), BATCH):
            index = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(validation[0]).argmax(1) == validation[1]).float().mean().item()
        best = max(best, accuracy)
        trial.report(accuracy, epoch)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--storage", required=True)
    parser.add_argument("--study", required=True)
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    train, validation = load(args.data_dir)
    study = optuna.load_study(study_name=args.study, storage=args.storage, sampler=optuna.samplers.GridSampler({"learningRate": RATES}))
    started = time.time()
    study.optimize(lambda trial: objective(trial, train, validation), n_trials=len(RATES))
    print(f"process {os.getpid()}: done in {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
