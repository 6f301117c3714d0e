/**
 * Pruners: after each epoch of a running trial, whether to stop it now given the epochs of the other trials
 * of the sweep. Pure functions of epoch histories, as Optuna's pruners are of intermediate values; the run
 * loop reads the histories from the store and records a pruned trial with the reason. One file per pruner.
 */
import {prunerSpecProblems} from '../sweep/pruner-spec.js';
import type {PrunerSpec} from '../types.js';
import {decideAsha} from './asha.js';
import {decideMedian} from './median.js';
import {decidePareto} from './pareto.js';
import type {PruneDecision, PrunerPeer, PrunerTrial} from './trial.js';

export type {PruneDecision, PrunerPeer, PrunerTrial} from './trial.js';

/**
 * Call after each epoch of a running trial. `others` may include the trial itself (matched by id and ignored).
 * @throws RangeError for a spec prunerSpecProblems rejects: the sweep file is validated before any trial runs.
 */
export function decidePrune(spec: PrunerSpec, trial: PrunerTrial, others: readonly PrunerPeer[]): PruneDecision {
	const problems = prunerSpecProblems(spec);
	if (problems.length > 0) {
		throw new RangeError(`decidePrune: pruner ${spec.kind}: ${problems.map((p) => `${p.key} ${p.message}`).join('; ')}`);
	}
	const peers = others.filter((other) => other.id !== trial.id);
	switch (spec.kind) {
		case 'median': {
			return decideMedian(spec, trial, peers);
		}
		case 'asha': {
			return decideAsha(spec, trial, peers);
		}
		case 'pareto': {
			return decidePareto(spec, trial, peers);
		}
	}
}
