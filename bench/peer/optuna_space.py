"""A sweeplab parameter spec (the `parameters` of a sweep file, as JSON) as an Optuna distribution: shared by the
peer scripts that hand sweeplab's spaces to Optuna (optuna_samplers.py, optuna_importance.py)."""

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


def distribution(spec):
    kind = spec["kind"]
    if kind == "values":
        return CategoricalDistribution(spec["values"])
    if kind in ("uniform", "log-uniform"):
        return FloatDistribution(spec["min"], spec["max"], log=kind == "log-uniform")
    if kind in ("int-uniform", "log-int-uniform"):
        # JSON may carry 16 as 16.0; IntDistribution wants ints.
        return IntDistribution(int(spec["min"]), int(spec["max"]), log=kind == "log-int-uniform")
    raise ValueError("unknown parameter kind %r" % kind)
