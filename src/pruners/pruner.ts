/**
 * Pruners: after each step (epoch) of a running trial, whether to stop it now given the steps of the other
 * trials of the sweep, judged by the sweep's metric. Pure functions of step histories, as Optuna's pruners are of intermediate values; the run
 * loop reads the histories from the store and records a pruned trial with the reason. One file per pruner.
 */
import {prunerSpecProblems} from '../sweep/pruner-spec.js';
import {DEFAULT_METRIC, type MetricSpec, type PrunerSpec, type Scalarization} from '../types.js';
import {decideAsha} from './asha.js';
import {decideHyperband} from './hyperband.js';
import {decideMedian} from './median.js';
import {decidePareto, decideParetoObjectives} from './pareto.js';
import {ScalarizedReader} from './scalarized.js';
import {MetricReader, type PruneDecision, type PrunerPeer, type PrunerTrial, type StepReader} from './trial.js';

export type {PruneDecision, PrunerPeer, PrunerTrial} from './trial.js';

/**
 * Call after each step of a running trial. `others` may include the trial itself (matched by id and ignored).
 * `metric`: what the trials are judged by (default val_accuracy, maximize); `objectives`: a multi-objective
 * sweep's, which pareto judges by and median and asha by the spec's `scalarize` weights (src/pruners/scalarized.ts).
 * @throws RangeError for a spec prunerSpecProblems rejects: the sweep file is validated before any trial runs.
 */
export function decidePrune(spec: PrunerSpec, trial: PrunerTrial, others: readonly PrunerPeer[], metric: MetricSpec = DEFAULT_METRIC, objectives: readonly MetricSpec[] = [metric]): PruneDecision {
	const problems = prunerSpecProblems(spec);
	if (problems.length > 0) {
		throw new RangeError(`decidePrune: pruner ${spec.kind}: ${problems.map((p) => `${p.key} ${p.message}`).join('; ')}`);
	}
	const peers = others.filter((other) => other.id !== trial.id);
	const read = (scalarize?: Scalarization): StepReader => (scalarize && objectives.length > 1 ? new ScalarizedReader(objectives, scalarize.weights, [trial, ...peers]) : new MetricReader(metric));
	switch (spec.kind) {
		case 'median': {
			return decideMedian(spec, read(spec.scalarize), trial, peers);
		}
		case 'asha': {
			return decideAsha(spec, read(spec.scalarize), trial, peers);
		}
		case 'hyperband': {
			return decideHyperband(spec, read(spec.scalarize), trial, peers);
		}
		case 'pareto': {
			return objectives.length > 1 ? decideParetoObjectives(spec, objectives, trial, peers) : decidePareto(spec, new MetricReader(metric), trial, peers);
		}
	}
}
