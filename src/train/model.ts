import type * as TF from '@tensorflow/tfjs';
import {TrainingError} from '../errors.js';
import type {Activation, TrialConfig} from '../types.js';
import {deriveSeed} from '../util/random.js';
import type {Tf} from './backend.js';

/** Input geometry of a dataset as the model sees it. */
export interface ModelShape {
	/** [height, width, channels] */
	imageShape: [number, number, number];
	numClasses: number;
}

/** Keras' LeakyReLU default negative slope, which tfjs' layer shares. */
export const LEAKY_RELU_ALPHA = 0.3;

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

		features = h * w * c;
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

/**
 * The Keras-style network of a trial config, with seeded initialisers so a trial's weights are a
 * function of its seed. The last layer outputs logits: the loss applies softmax itself, which is
 * Keras' Dense(10, softmax) + cross-entropy computed stably.
 */
export function buildModel(tf: Tf, config: TrialConfig, shape: ModelShape, seed: number): TF.Sequential {
	checkConvLayers(config, shape);

	const model = tf.sequential();
	let layerIndex = 0;
	const kernelInitializer = () => tf.initializers.glorotUniform({seed: deriveSeed(seed, 'layer', layerIndex++)});
	const [height, width, channels] = shape.imageShape;
	const flat = height * width * channels;

	if (config.model === 'cnn') {
		model.add(tf.layers.reshape({inputShape: [flat], targetShape: shape.imageShape}));
		for (const filters of config.conv) {
			model.add(tf.layers.conv2d({filters, kernelSize: config.kernelSize, padding: 'same', useBias: !config.batchNorm, activation: fusedActivation(config), kernelInitializer: kernelInitializer()}));
			addNormAndActivation(tf, model, config);
			model.add(tf.layers.maxPooling2d({poolSize: 2, strides: 2}));
		}

		model.add(tf.layers.flatten());
	}

	config.hidden.forEach((units, i) => {
		model.add(tf.layers.dense({
			units,
			useBias: !config.batchNorm,
			activation: fusedActivation(config),
			kernelInitializer: kernelInitializer(),
			...(i === 0 && config.model === 'mlp' ? {inputShape: [flat]} : {}),
		}));
		addNormAndActivation(tf, model, config);
		if (config.dropout > 0) {
			model.add(tf.layers.dropout({rate: config.dropout, seed: deriveSeed(seed, 'dropout', i)}));
		}
	});

	model.add(tf.layers.dense({
		units: shape.numClasses,
		kernelInitializer: kernelInitializer(),
		...(config.hidden.length === 0 && config.model === 'mlp' ? {inputShape: [flat]} : {}),
	}));
	return model;
}

/** The activation folded into the Dense/Conv layer itself when nothing stands between them (faster). */
function fusedActivation(config: TrialConfig): Exclude<Activation, 'leakyRelu'> | undefined {
	return config.batchNorm || config.activation === 'leakyRelu' ? undefined : config.activation;
}

/** Batch norm sits between the linear layer and its activation, so the activation becomes its own layer. */
function addNormAndActivation(tf: Tf, model: TF.Sequential, config: TrialConfig): void {
	if (fusedActivation(config)) {
		return;
	}

	if (config.batchNorm) {
		model.add(tf.layers.batchNormalization());
	}

	model.add(activationLayer(tf, config.activation));
}

function activationLayer(tf: Tf, activation: Activation): TF.layers.Layer {
	if (activation === 'leakyRelu') {
		return tf.layers.leakyReLU({alpha: LEAKY_RELU_ALPHA});
	}

	return tf.layers.activation({activation});
}
