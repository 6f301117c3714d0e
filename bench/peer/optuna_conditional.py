"""Optuna's side of bench/conditional.ts: the same two-branch conditional problem, written define-by-run, searched by
Optuna's RandomSampler, TPESampler (independent) and TPESampler(multivariate=True, group=True), n_startup_trials=10,
trials one at a time. Prints the same table (simple regret, median [q1, q3] over seeds).

    /usr/bin/python3 bench/peer/optuna_conditional.py [--seeds 20] [--trials 60]
"""
import argparse
import math
import warnings

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def objective(trial):
    branch = trial.suggest_categorical("branch", ["ridge", "bowl"])
    z = (trial.suggest_float("z", 0, 1) - 0.3) ** 2
    if branch == "ridge":
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        return 0.05 + 20 * (x - y) ** 2 + 0.5 * (x + y - 1.2) ** 2 + z
    rate = trial.suggest_float("rate", 1e-4, 1, log=True)
    width = trial.suggest_int("width", 1, 8)
    return (math.log10(rate) + 2) ** 2 / 4 + 0.05 * abs(width - 5) + z


parser = argparse.ArgumentParser()
parser.add_argument("--seeds", type=int, default=20)
parser.add_argument("--trials", type=int, default=60)
args = parser.parse_args()
checkpoints = [n for n in (20, 40, 60) if n <= args.trials]
samplers = {
    "optuna random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    "optuna tpe": lambda seed: optuna.samplers.TPESampler(seed=seed, n_startup_trials=10),
    "optuna tpe multivariate+group": lambda seed: optuna.samplers.TPESampler(seed=seed, n_startup_trials=10, multivariate=True, group=True, warn_independent_sampling=False),
}
print(f"# conditional space, {args.seeds} seeds x {args.trials} trials; optuna {optuna.__version__}")
for name, make in samplers.items():
    regrets = [[] for _ in checkpoints]
    for seed in range(args.seeds):
        study = optuna.create_study(sampler=make(seed))
        study.optimize(objective, n_trials=args.trials)
        best = np.minimum.accumulate([t.value for t in study.trials])
        for i, n in enumerate(checkpoints):
            regrets[i].append(best[n - 1])
    cells = [f"{np.median(r):.4f} [{np.quantile(r, 0.25):.4f}, {np.quantile(r, 0.75):.4f}]" for r in regrets]
    print(f"{name:<30} | " + " | ".join(cells))
