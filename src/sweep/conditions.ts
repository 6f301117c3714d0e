/**
 * Conditional parameters (`when:`): a parameter applies only when other parameters take given values, as
 * `conv` only when `model: cnn`. An inactive parameter is absent from the trial's params, so a built-in trial keeps
 * the base value and hashes as a config that never had the parameter. Validation (one problem per bad condition)
 * and the helpers the expansion and the samplers share live here.
 */
import type {ParameterCondition, ParameterSpec, TrialParams} from '../types.js';
import {compactJson, describeValue, isPlainObject, type Problem} from './config-schema.js';
import {suggestionHint} from './did-you-mean.js';
import {canonicalJson} from './hash.js';

const WHEN_EXAMPLE = '{model: cnn} or {model: [cnn, mlp]}';

/**
 * A `when:` as written, normalised: each named parameter maps to the list of values it may take; a value that is not a
 * list stands for the list of that one value (so a condition on a list-valued parameter such as hidden lists its
 * values: {hidden: [[64]]}).
 */
export function parseWhen(raw: unknown): {problems: Problem[]; when?: ParameterCondition} {
	if (!isPlainObject(raw) || Object.keys(raw).length === 0) {
		return {problems: [{path: ['when'], message: `expected a mapping from a parameter to the value or values it must take, such as ${WHEN_EXAMPLE}, got ${describeValue(raw)}`}]};
	}
	const problems: Problem[] = [];
	const when: ParameterCondition = {};
	for (const [name, value] of Object.entries(raw)) {
		if (value === null || value === undefined) {
			problems.push({path: ['when', name], message: `expected the value or list of values ${name} must take (e.g. ${WHEN_EXAMPLE}), got nothing`});
		} else if (Array.isArray(value) && value.length === 0) {
			problems.push({path: ['when', name], message: `empty list (give the value or values ${name} must take, e.g. ${WHEN_EXAMPLE})`});
		} else {
			when[name] = structuredClone(Array.isArray(value) ? value : [value]);
		}
	}
	return problems.length > 0 ? {problems} : {problems, when};
}

/**
 * Problems of the sweep's conditions taken together, keyed under parameters: a condition on an unknown parameter, on
 * itself, on a setting fixed in base (`fixed`), on a distribution, on a value the parameter never takes, or a cycle.
 */
export function conditionProblems(parameters: Readonly<Record<string, ParameterSpec | undefined>>, fixed: ReadonlySet<string>): Problem[] {
	const problems: Problem[] = [];
	const names = Object.keys(parameters).filter(name => parameters[name] !== undefined).sort();
	for (const name of names) {
		const when = parameters[name]!.when ?? {};
		for (const [ref, allowed] of Object.entries(when)) {
			const path = ['parameters', name, 'when', ref];
			const target = parameters[ref];
			if (ref === name) {
				problems.push({path, message: `${name} cannot depend on itself (name another parameter, e.g. ${WHEN_EXAMPLE})`});
			} else if (target === undefined) {
				problems.push({
					path,
					message: fixed.has(ref)
						? `${ref} is not swept (it is a base setting, the same for every trial), so the condition would hold for all trials or none (sweep ${ref} under parameters: or remove when)`
						: `unknown parameter ${JSON.stringify(ref)}${suggestionHint(ref, names.filter(other => other !== name))} (a condition names another parameter of this sweep: ${names.filter(other => other !== name).join(', ') || 'none'})`,
				});
			} else if (target.kind !== 'values') {
				problems.push({path, message: `${ref} is a ${target.kind} distribution; a condition names a parameter with listed values (list ${ref}'s values, e.g. ${ref}: {choice: [...]})`});
			} else {
				const listed = new Set(target.values.map(value => canonicalJson(value)));
				const never = allowed.find(value => !listed.has(canonicalJson(value)));
				if (never !== undefined) {
					const hint = Array.isArray(target.values[0]) && !Array.isArray(never) ? `; ${ref}'s values are lists, so list them: {${ref}: [${compactJson(target.values[0])}]}` : '';
					problems.push({path, message: `${ref} never takes ${compactJson(never)} (its values are ${target.values.map(value => compactJson(value)).join(', ')}${hint})`});
				}
			}
		}
	}
	const cycle = findCycle(parameters, names);
	if (cycle) {
		problems.push({path: ['parameters', cycle[0], 'when'], message: `the conditions form a cycle (${cycle.join(' -> ')}), so none of them could ever apply (make one of them unconditional)`});
	}
	return problems;
}

function findCycle(parameters: Readonly<Record<string, ParameterSpec | undefined>>, names: readonly string[]): string[] | undefined {
	const state = new Map<string, 'open' | 'done'>();
	const stack: string[] = [];
	const visit = (name: string): string[] | undefined => {
		if (state.get(name) === 'done' || parameters[name] === undefined) {
			return undefined;
		}
		if (state.get(name) === 'open') {
			return [...stack.slice(stack.indexOf(name)), name];
		}
		state.set(name, 'open');
		stack.push(name);
		for (const ref of Object.keys(parameters[name]!.when ?? {}).sort()) {
			// A self-reference is reported on its own.
			const found = ref === name ? undefined : visit(ref);
			if (found) {
				return found;
			}
		}
		stack.pop();
		state.set(name, 'done');
		return undefined;
	};
	for (const name of names) {
		const found = visit(name);
		if (found) {
			return found;
		}
	}
	return undefined;
}

/** Whether any parameter has a condition. */
export function hasConditions(parameters: Readonly<Record<string, ParameterSpec>>): boolean {
	return Object.values(parameters).some(spec => spec.when !== undefined);
}

/**
 * The parameters in the order they are decided: sorted by name, except that a parameter comes after those its condition
 * names (the sorted order itself when nothing is conditional, so such sweeps expand as they always did).
 */
export function parameterOrder(parameters: Readonly<Record<string, ParameterSpec>>): string[] {
	const remaining = Object.keys(parameters).sort();
	const order: string[] = [];
	const placed = new Set<string>();
	while (remaining.length > 0) {
		// A validated definition has no cycle; should a hand-built one have, the rest is taken in sorted order.
		const index = Math.max(0, remaining.findIndex(name => Object.keys(parameters[name].when ?? {}).every(ref => placed.has(ref) || !(ref in parameters))));
		const [name] = remaining.splice(index, 1);
		order.push(name);
		placed.add(name);
	}
	return order;
}

/** Whether parameter `name` applies to a config: every parameter its condition names applies and takes an allowed value. */
export function isActive(parameters: Readonly<Record<string, ParameterSpec>>, name: string, params: TrialParams, seen: ReadonlySet<string> = new Set()): boolean {
	const when = parameters[name]?.when;
	if (when === undefined) {
		return true;
	}
	if (seen.has(name)) {
		return false;
	}
	const path = new Set([...seen, name]);
	return Object.entries(when).every(([ref, allowed]) => {
		if (!(ref in parameters) || !isActive(parameters, ref, params, path)) {
			return false;
		}
		const value = canonicalJson(params[ref]);
		return allowed.some(item => canonicalJson(item) === value);
	});
}

/** The sweep's parameters that apply to these params, with their values: what a trial's config takes from a suggestion. */
export function activeParams(parameters: Readonly<Record<string, ParameterSpec>>, params: TrialParams): TrialParams {
	const result: TrialParams = {};
	for (const name of Object.keys(parameters).sort()) {
		if (Object.hasOwn(params, name) && isActive(parameters, name, params)) {
			result[name] = params[name];
		}
	}
	return result;
}

/**
 * How many distinct configs a grid over these parameters has: the product of the list lengths over the parameters
 * that apply, summed over the combinations of the parameters that conditions name (distributions count as one value).
 * Stops adding combinations past `cap`.
 */
export function activeCombinationCount(parameters: Readonly<Record<string, ParameterSpec>>, cap = Number.POSITIVE_INFINITY): number {
	const size = (name: string): number => {
		const spec = parameters[name];
		return spec.kind === 'values' ? spec.values.length : 1;
	};
	const named = new Set(Object.values(parameters).flatMap(spec => Object.keys(spec.when ?? {})).filter(ref => ref in parameters));
	let combinations: TrialParams[] = [{}];
	for (const name of parameterOrder(parameters).filter(name => named.has(name))) {
		const spec = parameters[name];
		const next: TrialParams[] = [];
		for (const combination of combinations) {
			if (spec.kind !== 'values' || !isActive(parameters, name, combination)) {
				next.push(combination);
				continue;
			}
			for (const value of spec.values) {
				next.push({...combination, [name]: value});
			}
			if (next.length > cap) {
				return next.length;
			}
		}
		combinations = next;
	}
	let total = 0;
	for (const combination of combinations) {
		let count = 1;
		for (const name of Object.keys(parameters)) {
			if (!named.has(name) && isActive(parameters, name, combination)) {
				count *= size(name);
			}
		}
		total += count;
		if (total > cap) {
			return total;
		}
	}
	return total;
}
