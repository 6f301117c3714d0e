/**
 * The network a trial config describes, as far as every path and the CLI need it without tfjs: the input
 * geometry, the parameter count and the limits checked before any training.
 */
import {TrainingError} from '../errors.js';
import type {TrialConfig} from '../types.js';

/** Input geometry of a dataset as the model sees it. */
export interface ModelShape {
	/** [height, width, channels] */
	imageShape: [number, number, number];
	numClasses: number;
}

/**
 * Parameter count of the network a config builds, computed from the config alone (no tfjs needed, so
 * `plan` is instant). Counts what Keras' `count_params()` counts, batch-norm moving statistics included;
 * a test checks it against `model.countParams()` for every model kind.
 */
export function countParams(config: TrialConfig, shape: ModelShape): number {
	const [height, width, channels] = shape.imageShape;
	let total = 0;
	let features = height * width * channels;
	if (config.model === 'cnn') {
		let [h, w, c] = [height, width, channels];
		for (const filters of config.conv) {
			total += (config.kernelSize * config.kernelSize * c + (config.batchNorm ? 0 : 1)) * filters;
			total += config.batchNorm ? 4 * filters : 0;
			c = filters;
			h = Math.floor(h / 2);
			w = Math.floor(w / 2);
		}

		features = config.globalPool ? c : h * w * c;
	}

	for (const units of config.hidden) {
		total += (features + (config.batchNorm ? 0 : 1)) * units + (config.batchNorm ? 4 * units : 0);
		features = units;
	}

	return total + (features + 1) * shape.numClasses;
}

/**
 * Above this a config is refused before any training: weights, gradients and two Adam moments of 20M
 * parameters already take 320 MB of a worker's wasm memory, and initialising a network of a billion takes
 * minutes only to fail.
 */
export const MAX_PARAMS = 20_000_000;

/** The first config whose network is larger than MAX_PARAMS, with its count, or undefined. */
export function findOversizedConfig<T extends {config: TrialConfig}>(items: T[], shape: ModelShape): {item: T; params: number} | undefined {
	for (const item of items) {
		const params = countParams(item.config, shape);
		if (params > MAX_PARAMS) {
			return {item, params};
		}
	}

	return undefined;
}

/** How many 2x2 poolings a cnn may stack before the feature map vanishes. */
export function maxConvLayers(shape: ModelShape): number {
	return Math.floor(Math.log2(Math.min(shape.imageShape[0], shape.imageShape[1])));
}

/** Throws TrainingError when a cnn stacks more poolings than the images allow. */
export function checkConvLayers(config: TrialConfig, shape: ModelShape): void {
	if (config.model === 'cnn' && config.conv.length > maxConvLayers(shape)) {
		throw new TrainingError(`conv has ${config.conv.length} layers, but ${shape.imageShape[0]}x${shape.imageShape[1]} images allow at most ${maxConvLayers(shape)} poolings`);
	}
}
