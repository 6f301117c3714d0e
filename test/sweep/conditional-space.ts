import type {ParameterSpec} from '../../src/types.js';

/** A listed-values parameter, with the condition under which it applies if given. */
export function values(items: unknown[], when?: Record<string, unknown[]>): ParameterSpec {
	return {kind: 'values', values: items, ...(when && {when})};
}

/** The space of docs/sweep-files.md's example: conv and kernelSize for the cnn, hidden for the mlp. */
export const modelFamilySpace: Record<string, ParameterSpec> = {
	model: values(['mlp', 'cnn']),
	conv: values([[8, 16], [32, 64]], {model: ['cnn']}),
	kernelSize: values([3, 5], {model: ['cnn']}),
	hidden: values([[64], [128, 128]], {model: ['mlp']}),
};
