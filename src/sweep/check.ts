/**
 * The one entry point that validates a parsed sweep file: built-in sweeps (schema.ts) and program sweeps
 * (program-schema.ts) are told apart by the `program:` key, and every problem found is reported in the order
 * a reader meets it in the file.
 */
import {describeValue, isPlainObject, type KeyPath, type Problem} from './config-schema.js';
import {checkProgramSweep} from './program-schema.js';
import {checkBuiltinSweep, type SweepCheck} from './schema.js';

/**
 * Validates parsed sweep-file data (the YAML/JSON document). Never throws for bad input: returns every
 * problem found, the most useful first. On success, `base` is complete (defaults merged in) and parameters
 * are normalised to ParameterSpec.
 */
export function checkSweep(raw: unknown): SweepCheck {
	if (!isPlainObject(raw)) {
		const message =
			raw === null || raw === undefined
				? 'the file holds no sweep definition (it needs at least name, method and dataset)'
				: `expected a mapping with keys such as name, method and dataset, got ${describeValue(raw)}`;
		return {ok: false, problems: [{path: [], message}]};
	}
	const check = raw.program === undefined ? checkBuiltinSweep(raw) : checkProgramSweep(raw);
	return check.ok ? check : {ok: false, problems: sortProblems(check.problems, raw)};
}

/**
 * Orders problems as they appear in the file, so the one reported first is the first a reader meets.
 * A missing key sorts after the keys present beside it.
 */
function sortProblems(problems: Problem[], raw: unknown): Problem[] {
	const position = (path: KeyPath): number[] => {
		const ranks: number[] = [];
		let node: unknown = raw;
		for (const segment of path) {
			if (typeof segment === 'number' && Array.isArray(node)) {
				ranks.push(segment);
				node = node[segment];
			} else if (isPlainObject(node) && Object.hasOwn(node, segment)) {
				ranks.push(Object.keys(node).indexOf(String(segment)));
				node = node[segment];
			} else {
				ranks.push(Number.MAX_SAFE_INTEGER);
				break;
			}
		}
		return ranks;
	};
	const compare = (a: number[], b: number[]): number => {
		for (let i = 0; i < Math.min(a.length, b.length); i++) {
			if (a[i] !== b[i]) {
				return a[i] - b[i];
			}
		}
		return a.length - b.length;
	};
	return problems
		.map((problem, index) => ({problem, index, position: position(problem.path)}))
		.sort((a, b) => compare(a.position, b.position) || a.index - b.index)
		.map(({problem}) => problem);
}
