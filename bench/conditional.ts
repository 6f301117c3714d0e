/**
 * Search in a conditional space (issue 14, `when:`): sweeplab's random search, its TPE (multivariate, the default, which
 * decomposes a conditional space into Optuna's groups) and independent TPE on one synthetic problem with two branches, each with
 * parameters of its own and a shared one. Simple regret (best so far minus the optimum 0) after 20, 40 and 60 trials,
 * median and quartiles over seeds. Constant liars and pruning play no part: trials run one at a time.
 *
 *   node dist/bench/conditional.js [--seeds 20] [--trials 60]
 *
 * Optuna's random, TPE and TPE with multivariate=True, group=True on the same problem (define-by-run):
 *
 *   /usr/bin/python3 bench/peer/optuna_conditional.py [--seeds 20] [--trials 60]
 */
import {suggestTpe} from '../src/samplers/tpe.js';
import type {ParameterSpec} from '../src/types.js';
import {machineLine, median, quantile} from './common.js';

function option(name: string, fallback: string): string {
	const index = process.argv.indexOf(`--${name}`);
	return index < 0 ? fallback : process.argv[index + 1];
}

const seeds = Number(option('seeds', '20'));
const trials = Number(option('trials', '60'));

/**
 * Branch `ridge`: x and y in [0, 1] with a narrow diagonal valley (the parameters only work together), best 0.05.
 * Branch `bowl`: a log-scaled rate and an integer width, best 0. Shared: z in [0, 1], best at 0.3.
 */
const parameters: Record<string, ParameterSpec> = {
	branch: {kind: 'values', values: ['ridge', 'bowl']},
	x: {kind: 'uniform', min: 0, max: 1, when: {branch: ['ridge']}},
	y: {kind: 'uniform', min: 0, max: 1, when: {branch: ['ridge']}},
	rate: {kind: 'log-uniform', min: 1e-4, max: 1, when: {branch: ['bowl']}},
	width: {kind: 'int-uniform', min: 1, max: 8, when: {branch: ['bowl']}},
	z: {kind: 'uniform', min: 0, max: 1},
};

function objective(params: Record<string, unknown>): number {
	const z = ((params.z as number) - 0.3) ** 2;
	if (params.branch === 'ridge') {
		const x = params.x as number;
		const y = params.y as number;
		return 0.05 + (20 * ((x - y) ** 2)) + (0.5 * ((x + y - 1.2) ** 2)) + z;
	}
	return (((Math.log10(params.rate as number) + 2) ** 2) / 4) + (0.05 * Math.abs((params.width as number) - 5)) + z;
}

const checkpoints = [20, 40, 60].filter(n => n <= trials);
const samplers = {
	random: {startupTrials: Number.POSITIVE_INFINITY, multivariate: false},
	'tpe (multivariate, grouped)': {startupTrials: 10, multivariate: true},
	'tpe independent': {startupTrials: 10, multivariate: false},
};

console.log(`# conditional space, ${seeds} seeds x ${trials} trials; ${machineLine()}`);
console.log(`sampler                      | ${checkpoints.map(n => `regret after ${n} (median [q1, q3])`).join(' | ')}`);
for (const [name, settings] of Object.entries(samplers)) {
	const regrets = checkpoints.map(() => [] as number[]);
	for (let seed = 0; seed < seeds; seed++) {
		const observations: Array<{params: Record<string, unknown>; value: number}> = [];
		let best = Number.POSITIVE_INFINITY;
		for (let trial = 0; trial < trials; trial++) {
			const params = suggestTpe({parameters, observations, pending: [], direction: 'minimize', seed, trialNumber: trial, ...settings});
			const value = objective(params);
			best = Math.min(best, value);
			observations.push({params, value});
			const at = checkpoints.indexOf(trial + 1);
			if (at >= 0) {
				regrets[at].push(best);
			}
		}
	}
	console.log(`${name.padEnd(28)} | ${regrets.map(values => `${median(values).toFixed(4)} [${quantile(values, 0.25).toFixed(4)}, ${quantile(values, 0.75).toFixed(4)}]`).join(' | ')}`);
}
