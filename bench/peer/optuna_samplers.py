"""The peer of `npm run bench:samplers`: Optuna's RandomSampler and TPESampler (independent, Optuna's defaults,
n_startup_trials=10) on the problems of bench/sampler-problems.ts, and on its multi-objective problems TPESampler
(multi-objective TPE) and NSGAIISampler with their defaults. The objectives are implemented again here; the bench
first checks (mode `check`) that both sides give the same values on the same points.

    python3 bench/peer/optuna_samplers.py SPEC.json

SPEC.json: {"mode": "check" | "run" | "timing", "problems": [{"name", "parameters", "data"}], ...}; the answer
is one JSON document on stdout.
"""
import json
import math
import sys
import time
import warnings

import numpy as np
import optuna
from optuna.samplers._tpe import _truncnorm
from optuna_space import distribution


def num(params, name):
    return float(params[name])


def branin(params, data):
    x1, x2 = num(params, "x1"), num(params, "x2")
    b = 5.1 / (4 * math.pi ** 2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


ALPHA = [1, 1.2, 3, 3.2]
A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
P = [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]


def hartmann(params, a, p):
    total = 0.0
    for i in range(4):
        inner = 0.0
        for j in range(len(a[i])):
            inner += a[i][j] * (num(params, "x%d" % (j + 1)) - p[i][j] * 1e-4) ** 2
        total += ALPHA[i] * math.exp(-inner)
    return -total


def hartmann6(params, data):
    return hartmann(params, A, P)


def rosenbrock4(params, data):
    xs = [num(params, "x%d" % (i + 1)) for i in range(4)]
    return sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(3))


UNITS = {"16": 16, "32": 32, "64": 64, "128": 128, "256": 256, "512": 512, "128x128": 8}


def mixed_hpo(params, data):
    return (
        (math.log10(num(params, "learningRate")) + 3) ** 2
        + 0.5 * abs(math.log2(UNITS[params["hidden"]] / 128))
        + 10 * (num(params, "dropout") - 0.2) ** 2
        + 0.3 * abs(math.log2(num(params, "batchSize") / 64))
        + 0.02 * abs(num(params, "epochs") - 12)
    )


def styblinski(x):
    return 0.5 * (x ** 4 - 16 * x ** 2 + 5 * x)


def styblinski_tang8(params, data):
    return sum(styblinski(num(params, "x%d" % (i + 1))) for i in range(8))


def label(value):
    # As the TypeScript side: String(true) is "true", String(0.2) is "0.2", String(1e-05) is "0.00001".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return js_number(value)
    return str(value)


def js_number(value):
    text = repr(value)
    if "e-" in text:
        mantissa, exponent = text.split("e-")
        digits = mantissa.replace(".", "").lstrip("-")
        return "0." + "0" * (int(exponent) - 1) + digits
    return text


def study_table(params, data):
    accuracy = data["base"]
    for key, cells in data["effects"].items():
        cell = "|".join(label(params[name]) for name in key.split("|"))
        accuracy += cells.get(cell, math.nan)
    return 1 - accuracy


def zdt(which):
    def objective(params, data):
        xs = [num(params, "x%d" % (i + 1)) for i in range(6)]
        f1 = xs[0]
        g = 1 + 9 * sum(xs[1:]) / 5
        return [f1, g * (1 - (math.sqrt(f1 / g) if which == 1 else (f1 / g) ** 2))]

    return objective


def dtlz2(params, data):
    xs = [num(params, "x%d" % (i + 1)) for i in range(5)]
    g = sum((x - 0.5) ** 2 for x in xs[2:])
    a = xs[0] * math.pi / 2
    b = xs[1] * math.pi / 2
    return [(1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b), (1 + g) * math.sin(a)]


def study_tradeoff(params, data):
    seconds = data["baseSeconds"]
    for key, cells in data["timeFactors"].items():
        seconds *= cells.get("|".join(label(params[name]) for name in key.split("|")), math.nan)
    return [study_table(params, data), seconds]



def goldstein_price(params, data):
    x, y = num(params, "x1"), num(params, "x2")
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2)
    return a * b


def six_hump_camel(params, data):
    x, y = num(params, "x1"), num(params, "x2")
    return (4 - 2.1 * x ** 2 + x ** 4 / 3) * x ** 2 + x * y + (-4 + 4 * y ** 2) * y ** 2


A3 = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
P3 = [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]


def hartmann3(params, data):
    return hartmann(params, A3, P3)


def ackley5(params, data):
    xs = [num(params, "x%d" % (i + 1)) for i in range(5)]
    squares = sum(x * x for x in xs) / len(xs)
    cosines = sum(math.cos(2 * math.pi * x) for x in xs) / len(xs)
    return -20 * math.exp(-0.2 * math.sqrt(squares)) - math.exp(cosines) + 20 + math.e


OBJECTIVES = {
    "zdt1": zdt(1),
    "zdt2": zdt(2),
    "dtlz2": dtlz2,
    "study-tradeoff": study_tradeoff,
    "branin": branin,
    "hartmann6": hartmann6,
    "rosenbrock4": rosenbrock4,
    "mixed-hpo": mixed_hpo,
    "styblinski-tang8": styblinski_tang8,
    "study-table": study_table,
    "goldstein-price": goldstein_price,
    "six-hump-camel": six_hump_camel,
    "hartmann3": hartmann3,
    "ackley5": ackley5,
}


def suggest(trial, name, spec):
    kind = spec["kind"]
    if kind == "values":
        return trial.suggest_categorical(name, spec["values"])
    if kind == "uniform":
        return trial.suggest_float(name, spec["min"], spec["max"])
    if kind == "log-uniform":
        return trial.suggest_float(name, spec["min"], spec["max"], log=True)
    if kind == "int-uniform":
        return trial.suggest_int(name, spec["min"], spec["max"])
    if kind == "log-int-uniform":
        return trial.suggest_int(name, spec["min"], spec["max"], log=True)
    raise ValueError("unknown parameter kind %r" % kind)


def make_sampler(kind, seed):
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind in ("tpe", "tpe-5110"):
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=10)
    if kind in ("tpe-mv", "tpe-mv-5110"):
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=10, multivariate=True)
    if kind == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    raise ValueError("unknown sampler %r" % kind)


_SHIPPED_LOGPDF = _truncnorm.logpdf


def logpdf_5110(x, a, b, loc=0, scale=1):
    """Optuna 3.1's truncated-normal log density without the -log(scale) it omits (optuna issue #5109, fixed by
    PR #5110 in Optuna 3.5): sampler `tpe-5110` is Optuna 3.1's TPESampler with that one fix."""
    return _SHIPPED_LOGPDF(x, a, b, loc=loc, scale=scale) - np.log(scale)


def run(problem, sampler, seed, trials):
    objective = OBJECTIVES[problem["name"]]
    # A multi-objective problem names its number of objectives, all minimised; TPESampler is then Optuna's MOTPE.
    directions = ["minimize"] * problem.get("objectives", 1)
    study = optuna.create_study(sampler=make_sampler(sampler, seed), directions=directions)
    _truncnorm.logpdf = logpdf_5110 if sampler.endswith("-5110") else _SHIPPED_LOGPDF
    values = []
    try:
        for _ in range(trials):
            trial = study.ask()
            # Sorted names, as sweeplab: Optuna's independent sampler draws each parameter from the shared stream in call order.
            params = {name: suggest(trial, name, problem["parameters"][name]) for name in sorted(problem["parameters"])}
            value = objective(params, problem.get("data"))
            study.tell(trial, value)
            values.append(value)
    finally:
        _truncnorm.logpdf = _SHIPPED_LOGPDF
    return values


def timing(problem, history, repeats, sampler):
    """Seconds per suggestion (ask + every suggest call) with `history` finished trials in the study. For NSGA-II
    each trial is given the generation Optuna would have recorded had they run one at a time (50 per generation)."""
    names = sorted(problem["parameters"])
    distributions = {name: distribution(problem["parameters"][name]) for name in names}
    directions = ["minimize"] * problem.get("objectives", 1)
    study = optuna.create_study(sampler=make_sampler(sampler, 0), directions=directions)
    study.add_trials(
        [
            optuna.trial.create_trial(
                params=entry["params"],
                distributions=distributions,
                value=entry.get("value"),
                values=entry.get("values"),
                system_attrs={"nsga2:generation": i // 50} if sampler == "nsga2" else None,
            )
            for i, entry in enumerate(history)
        ]
    )
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        trial = study.ask()
        for name in names:
            suggest(trial, name, problem["parameters"][name])
        seconds.append(time.perf_counter() - started)
        # A failed trial is not an observation: every timed suggestion sees the same history.
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return seconds


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # multivariate=True warns that it is experimental, once per sampler.
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    problems = {problem["name"]: problem for problem in spec["problems"]}
    mode = spec["mode"]
    if mode == "check":
        out = {name: [OBJECTIVES[name](params, problems[name].get("data")) for params in points] for name, points in spec["points"].items()}
    elif mode == "run":
        out = []
        for job in spec["jobs"]:
            values = run(problems[job["problem"]], job["sampler"], job["seed"], spec["trials"])
            out.append({**job, "values": values})
    elif mode == "timing":
        sampler = spec.get("sampler", "tpe")
        out = {name: timing(problems[name], history, spec["repeats"], sampler) for name, history in spec["histories"].items()}
    else:
        raise ValueError("unknown mode %r" % mode)
    json.dump({"optuna": optuna.__version__, "result": out}, sys.stdout)


if __name__ == "__main__":
    main()
