"""The peer of bench/importance-optuna.ts: Optuna 3.1's FanovaImportanceEvaluator and
MeanDecreaseImpurityImportanceEvaluator on the same observations as sweeplab's fANOVA.

    python3 bench/peer/optuna_importance.py SPEC.json

SPEC.json: {"seed": 0, "rounds": 3, "seeds": [0, 1, 2, 3], "cases": [{"name", "parameters": {name: spec}, "observations": [{"params", "value"}]}]}
where a spec is {"kind": "values", "values": [...]} (strings: the bench sends each listed value's canonical JSON)
or {"kind": "uniform" | "log-uniform" | "int-uniform" | "log-int-uniform", "min", "max"}. Only parameters that vary.

For each case the answer (one JSON document on stdout) holds:
- "fanova", "mdi": optuna.importance.get_param_importances with each evaluator (normalised to sum to 1, as Optuna
  returns them) and the median seconds it took over `rounds` calls;
- "fanova_by_seed": the evaluator's result for each of `seeds` (how much the forest's seed moves it);
- "fanova_raw": each parameter's own share of the variance, mean and std over the trees, before Optuna normalises:
  Optuna's _Fanova refitted here on the same transform and seed (checked against the public result);
- "top_pair": the pair whose pure interaction (joint marginal variance less both main effects, per tree, as a share
  of the tree's variance) is largest, from the same forest. Optuna 3.1 does not report pairs itself. Its marginal
  over a set of columns enumerates every combination of their split cells, 2^k and more for k one-hot columns, so
  pairs of more than MAX_PAIR_COLUMNS encoded columns are left out ("pairs_skipped" counts them).
"""
import itertools
import json
import statistics
import sys
import time
import warnings

import numpy as np
import optuna
import sklearn
from optuna._transform import _SearchSpaceTransform
from optuna.importance import FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator
from optuna.importance._fanova._fanova import _Fanova
from optuna_space import distribution


MAX_PAIR_COLUMNS = 8


def timed(rounds, call):
    seconds = []
    result = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return result, statistics.median(seconds)


def run_case(case, seed, rounds, seeds):
    # In name order, as the evaluators get them (intersection_search_space sorts): the forest depends on column order.
    distributions = {name: distribution(case["parameters"][name]) for name in sorted(case["parameters"])}
    study = optuna.create_study(direction="maximize")
    study.add_trials(
        [
            optuna.trial.create_trial(params=o["params"], distributions=distributions, value=o["value"])
            for o in case["observations"]
        ]
    )

    fanova, fanova_seconds = timed(
        rounds,
        lambda: optuna.importance.get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed)),
    )
    mdi, mdi_seconds = timed(
        rounds,
        lambda: optuna.importance.get_param_importances(
            study, evaluator=MeanDecreaseImpurityImportanceEvaluator(seed=seed)
        ),
    )

    by_seed = [
        dict(optuna.importance.get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=s))) for s in seeds
    ]

    # The evaluator's own steps (optuna/importance/_fanova/_evaluator.py), kept to read the shares before they are
    # normalised and the pairs: the same transform (no log, no step), the same trial order, the same seed.
    names = list(distributions)
    trans = _SearchSpaceTransform(distributions, transform_log=False, transform_step=False)
    trials = study.get_trials(deepcopy=False)
    x = np.array([trans.transform(t.params) for t in trials])
    y = np.array([t.value for t in trials])
    forest = _Fanova(n_trees=64, max_depth=64, min_samples_split=2, min_samples_leaf=1, seed=seed)
    forest.fit(X=x, y=y, search_spaces=trans.bounds, column_to_encoded_columns=trans.column_to_encoded_columns)
    raw = {name: forest.get_importance(i) for i, name in enumerate(names)}
    total = sum(mean for mean, _ in raw.values())
    for name in names:
        if abs(raw[name][0] / total - fanova[name]) > 1e-9:
            raise AssertionError(
                "%s: refitted forest gives %r for %s, the evaluator %r" % (case["name"], raw[name][0] / total, name, fanova[name])
            )

    top_pair = None
    pairs_skipped = 0
    if len(names) >= 2:
        columns = trans.column_to_encoded_columns
        for i, j in itertools.combinations(range(len(names)), 2):
            if len(columns[i]) + len(columns[j]) > MAX_PAIR_COLUMNS:
                pairs_skipped += 1
                continue
            shares = []
            for t, tree in enumerate(forest._trees):
                if tree.variance <= 0:
                    continue
                joint = max(tree.get_marginal_variance(np.concatenate([columns[i], columns[j]])), 0.0)
                pure = joint - forest._variances[i][t] - forest._variances[j][t]
                shares.append(max(pure, 0.0) / tree.variance)
            share = float(np.mean(shares))
            if top_pair is None or share > top_pair["importance"]:
                top_pair = {"names": [names[i], names[j]], "importance": share}

    return {
        "name": case["name"],
        "fanova": dict(fanova),
        "fanova_by_seed": by_seed,
        "fanova_raw": {name: {"mean": mean, "std": std} for name, (mean, std) in raw.items()},
        "top_pair": top_pair,
        "pairs_skipped": pairs_skipped,
        "mdi": dict(mdi),
        "seconds": {"fanova": fanova_seconds, "mdi": mdi_seconds},
    }


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore")
    seed = spec.get("seed", 0)
    rounds = spec.get("rounds", 3)
    answer = {
        "versions": "optuna %s, scikit-learn %s, numpy %s" % (optuna.__version__, sklearn.__version__, np.__version__),
        "cases": [run_case(case, seed, rounds, spec.get("seeds", [])) for case in spec["cases"]],
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
