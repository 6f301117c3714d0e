/** Did-you-mean suggestions for misspelled keys and enum values. */

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions ("rleu" -> "relu" is 1). */
export function editDistance(a: string, b: string): number {
	const rows = a.length + 1;
	const cols = b.length + 1;
	const d: number[][] = Array.from({length: rows}, () => new Array<number>(cols).fill(0));
	for (let i = 0; i < rows; i++) {
		d[i][0] = i;
	}
	for (let j = 0; j < cols; j++) {
		d[0][j] = j;
	}
	for (let i = 1; i < rows; i++) {
		for (let j = 1; j < cols; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
				d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
			}
		}
	}
	return d[a.length][b.length];
}

// Case, "_" and "-" differences are always forgiven: learning_rate, LearningRate, learning-rate.
function normalise(word: string): string {
	return word.toLowerCase().replace(/[_\-\s]/g, '');
}

/** Common names from other tools (Keras, Optuna, W&B) that are too far from ours for an edit distance. */
const ALIASES: Record<string, string> = {
	lr: 'learningRate',
	learningrates: 'learningRate',
	units: 'hidden',
	layers: 'hidden',
	hiddenlayers: 'hidden',
	hiddenunits: 'hidden',
	filters: 'conv',
	kernel: 'kernelSize',
	act: 'activation',
	opt: 'optimizer',
	batch: 'batchSize',
	bs: 'batchSize',
	params: 'parameters',
	hyperparameters: 'parameters',
	grid: 'parameters',
	space: 'parameters',
	defaults: 'base',
	fixed: 'base',
	data: 'dataset',
	type: 'method',
	sampler: 'method',
	samples: 'trials',
	ntrials: 'trials',
	numtrials: 'trials',
	choices: 'choice',
	values: 'choice',
	dist: 'distribution',
	low: 'min',
	high: 'max',
	lower: 'min',
	upper: 'max',
	minimum: 'min',
	maximum: 'max',
	valsplit: 'validation',
	validationsplit: 'validation',
};

/** The candidate closest to `input`, if it is close enough to be a plausible typo; undefined otherwise. */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
	const wanted = normalise(input);
	const alias = ALIASES[wanted];
	if (alias !== undefined && candidates.includes(alias)) {
		return alias;
	}
	let best: string | undefined;
	let bestDistance = Number.POSITIVE_INFINITY;
	for (const candidate of candidates) {
		const distance = editDistance(wanted, normalise(candidate));
		if (distance < bestDistance) {
			best = candidate;
			bestDistance = distance;
		}
	}
	const allowed = Math.max(1, Math.min(3, Math.floor(wanted.length / 3)));
	return bestDistance <= allowed ? best : undefined;
}

/** ` (did you mean "x"?)` or, without a close match, ` (expected one of a, b, c)`. */
export function suggestionHint(input: string, candidates: readonly string[]): string {
	const match = closestMatch(input, candidates);
	if (match !== undefined) {
		return ` (did you mean "${match}"?)`;
	}
	return ` (expected one of ${candidates.join(', ')})`;
}
