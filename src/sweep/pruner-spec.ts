/**
 * A sweep file's `pruner:` block: the defaults for keys it leaves out and the checks on its values. Part of the
 * file format, so the validator can report a bad spec with the file's other problems; src/pruners/ applies it.
 */
import type {PrunerSpec} from '../types.js';

export type PrunerKind = PrunerSpec['kind'];

/**
 * Defaults for keys a sweep file leaves out. Like Optuna's MedianPruner, wait for 5 completed trials; the
 * first epoch is too noisy to judge, so warm-up is 1 epoch (Optuna: 0 steps). Rungs start at 1 epoch as in
 * Optuna and Ray; their reduction factor is 4, but a sweep of a dozen trials keeps more evidence with 3.
 * ASHA's and hyperband's maxEpochs have no constant default: use the trial's `epochs`. Hyperband takes ASHA's
 * defaults, so `kind: hyperband` alone gives floor(log3(epochs)) + 1 brackets (Optuna's default factor is 3 too).
 */
export const PRUNER_DEFAULTS = {
	median: {warmupEpochs: 1, minTrials: 5},
	asha: {minEpochs: 1, reductionFactor: 3},
	hyperband: {minEpochs: 1, reductionFactor: 3},
	pareto: {warmupEpochs: 1, minTrials: 1},
} as const;

export interface PrunerSpecProblem {
	/** The key under `pruner:` that is wrong. */
	key: string;
	message: string;
}

/** What is wrong with a spec, as key + message for the sweep-file validator to report; empty when it is fine. */
export function prunerSpecProblems(spec: PrunerSpec): PrunerSpecProblem[] {
	const problems: PrunerSpecProblem[] = [];
	const wholeAtLeast = (key: string, value: number, min: number): void => {
		if (!Number.isInteger(value) || value < min) {
			problems.push({key, message: `must be a whole number >= ${min}, got ${value}`});
		}
	};
	switch (spec.kind) {
		case 'median':
		case 'pareto': {
			wholeAtLeast('warmupEpochs', spec.warmupEpochs, 0);
			wholeAtLeast('minTrials', spec.minTrials, 1);
			break;
		}
		case 'asha':
		case 'hyperband': {
			wholeAtLeast('minEpochs', spec.minEpochs, 1);
			wholeAtLeast('maxEpochs', spec.maxEpochs, 1);
			wholeAtLeast('reductionFactor', spec.reductionFactor, 2);
			if (problems.length === 0 && spec.maxEpochs <= spec.minEpochs) {
				problems.push({key: 'maxEpochs', message: `must be greater than minEpochs ${spec.minEpochs}, got ${spec.maxEpochs} (no rung would prune)`});
			}
			break;
		}
	}
	return problems;
}
