/**
 * The true fANOVA decomposition of a function the importance benches know, to check estimates against: over a
 * product of listed values (every config enumerated, each value equally likely), and for an additive function
 * of one-dimensional terms (each term's variance under the measure a fANOVA puts on its parameter).
 */
import type {ParameterSpec} from '../src/types.js';
import {product} from './sampler-problems.js';

const mean = (xs: readonly number[]): number => xs.reduce((sum, x) => sum + x, 0) / xs.length;

export interface ExactShares {
	/** Each parameter's main effect as a share of the total variance. */
	main: Map<string, number>;
	/** The pure interaction of two parameters as a share of the total variance. */
	pair(a: string, b: string): number;
}

/** Over every config of `parameters` (lists of values only), each equally likely. */
export function exactGridShares(parameters: Record<string, ParameterSpec>, f: (params: Record<string, unknown>) => number): ExactShares {
	const configs = product(parameters);
	const values = configs.map(config => f(config));
	const f0 = mean(values);
	const total = mean(values.map(y => (y - f0) ** 2));
	// The mean of f over every config sharing these parameters' values, by their JSON.
	const marginal = (names: string[]): Map<string, number> => {
		const groups = new Map<string, number[]>();
		for (const [i, config] of configs.entries()) {
			const key = JSON.stringify(names.map(name => config[name]));
			groups.set(key, [...(groups.get(key) ?? []), values[i]]);
		}

		return new Map([...groups].map(([key, ys]) => [key, mean(ys)]));
	};

	const mains = new Map(Object.keys(parameters).map(name => [name, marginal([name])]));
	return {
		main: new Map([...mains].map(([name, means]) => [name, mean([...means.values()].map(m => (m - f0) ** 2)) / total])),
		pair(a, b) {
			const cells = [...marginal([a, b])].map(([key, m]) => {
				const [va, vb] = JSON.parse(key) as [unknown, unknown];
				return (m - mains.get(a)!.get(JSON.stringify([va]))! - mains.get(b)!.get(JSON.stringify([vb]))! + f0) ** 2;
			});
			return mean(cells) / total;
		},
	};
}

/**
 * f = sum of terms[name](value): no interactions, so each share is its term's variance over the sum of them. `scale`
 * is the measure a fANOVA puts on a log-distributed parameter: sweeplab's, uniform in log(value), or Optuna 3.1's,
 * uniform in the value itself (its evaluators transform nothing: transform_log=False).
 */
export function exactAdditiveShares(parameters: Record<string, ParameterSpec>, terms: Record<string, (value: unknown) => number>, scale: 'log' | 'raw'): Map<string, number> {
	const variances = new Map<string, number>();
	for (const [name, spec] of Object.entries(parameters)) {
		const term = terms[name] ?? (() => 0);
		let ys: number[];
		if (spec.kind === 'values') {
			ys = spec.values.map(value => term(value));
		} else if (spec.kind === 'int-uniform' || (spec.kind === 'log-int-uniform' && scale === 'raw')) {
			ys = Array.from({length: spec.max - spec.min + 1}, (_, i) => term(spec.min + i));
		} else {
			// The midpoint rule on 100,000 cells: exact to far better than the shares are printed.
			const log = scale === 'log' && (spec.kind === 'log-uniform' || spec.kind === 'log-int-uniform');
			const [low, high] = log ? [Math.log(spec.min), Math.log(spec.max)] : [spec.min, spec.max];
			ys = Array.from({length: 100_000}, (_, i) => {
				const x = low + ((i + 0.5) / 100_000) * (high - low);
				const value = log ? Math.exp(x) : x;
				return term(spec.kind === 'log-int-uniform' ? Math.round(value) : value);
			});
		}

		const m = mean(ys);
		variances.set(name, mean(ys.map(y => (y - m) ** 2)));
	}

	const total = [...variances.values()].reduce((sum, v) => sum + v, 0);
	return new Map([...variances].map(([name, v]) => [name, v / total]));
}
