/**
 * Input standardisation (a config's `standardize`): x' = (x - mean) / std, with the mean and standard deviation
 * of the training split only, so nothing about the validation or test images leaks into training; the same
 * statistics then apply to the training batches, the validation set and the test set.
 * `global` takes one mean and std over every pixel of every training image (torchvision's Normalize with the
 * dataset's figures); `per-pixel` one per pixel position and channel (scikit-learn's StandardScaler over the
 * flattened images).
 */
import type {StandardizeMode} from '../types.js';
import type {ImageSet} from './load.js';

/**
 * The smallest standard deviation divided by: one grey level of an 8-bit image in [0, 1]. Corner pixels of
 * Fashion-MNIST are 0 in nearly every training image; dividing by their near-zero spread would turn the rare
 * non-zero value into hundreds (StandardScaler leaves a zero-variance feature unscaled for the same reason).
 */
export const STD_FLOOR = 1 / 255;

export interface Standardizer {
	/** Per position of an image (length 1 for `global`): the mean, and 1 / max(std, STD_FLOOR). */
	mean: Float32Array;
	invStd: Float32Array;
}

/** The statistics of `train` (population standard deviation, accumulated in double), or undefined for `none`. */
export function fitStandardizer(mode: StandardizeMode, train: ImageSet): Standardizer | undefined {
	if (mode === 'none') {
		return undefined;
	}

	const dim = train.x.length / train.n;
	const width = mode === 'global' ? 1 : dim;
	const sum = new Float64Array(width);
	const squares = new Float64Array(width);
	for (let r = 0; r < train.n; r++) {
		const offset = r * dim;
		for (let j = 0; j < dim; j++) {
			const value = train.x[offset + j];
			const k = width === 1 ? 0 : j;
			sum[k] += value;
			squares[k] += value * value;
		}
	}

	const count = width === 1 ? train.n * dim : train.n;
	const mean = new Float32Array(width);
	const invStd = new Float32Array(width);
	for (let k = 0; k < width; k++) {
		const m = sum[k] / count;
		const variance = Math.max(0, (squares[k] / count) - (m * m));
		mean[k] = m;
		invStd[k] = 1 / Math.max(Math.sqrt(variance), STD_FLOOR);
	}

	return {mean, invStd};
}

/** Standardises the first `rows` images of `x` (of `dim` pixels each) in place. */
export function standardizeRows(s: Standardizer, x: Float32Array, rows: number, dim: number): void {
	const {mean, invStd} = s;
	if (mean.length === 1) {
		const [m, scale] = [mean[0], invStd[0]];
		for (let i = 0; i < rows * dim; i++) {
			x[i] = (x[i] - m) * scale;
		}

		return;
	}

	for (let r = 0; r < rows; r++) {
		const offset = r * dim;
		for (let j = 0; j < dim; j++) {
			x[offset + j] = (x[offset + j] - mean[j]) * invStd[j];
		}
	}
}

/** A standardised copy of a set (validation, test); the set itself is shared between trials and stays as it is. */
export function standardizedSet(s: Standardizer, set: ImageSet): ImageSet {
	const x = set.x.slice();
	standardizeRows(s, x, set.n, set.x.length / set.n);
	return {x, y: set.y, n: set.n};
}
