/**
 * The layers path: the Keras-style model of a trial config, built from tfjs-layers and trained with a tfjs
 * optimizer's minimize(). Where WebAssembly SIMD is missing it trains the CNNs; everywhere it is the
 * reference the other paths are tested against (same initialisation, same rules, autodiff gradients).
 */
import type * as TF from '@tensorflow/tfjs';
import type {ImageSet} from '../../data/load.js';
import type {Activation, TrialConfig} from '../../types.js';
import {deriveSeed} from '../../util/random.js';
import type {Tf} from '../backend.js';
import {LEAKY_RELU_ALPHA} from '../math/activations.js';
import {lossFromLogits} from '../math/losses.js';
import {makeOptimizer, setOptimizerLearningRate} from '../math/optimizers.js';
import {checkConvLayers, type ModelShape} from '../model.js';
import {BackendSums, countCorrect, evaluateInChunks, type Trainer, type WeightsSnapshot} from '../trainer.js';

/** The plain path: buildModel's network trained with a tfjs optimizer's minimize(). */
export class LayersTrainer implements Trainer {
	readonly trainingPath = 'layers';
	readonly paramCount: number;
	readonly model: TF.Sequential;
	private readonly optimizer: TF.Optimizer;
	private readonly sums: BackendSums;
	private learningRate: number;

	constructor(private readonly tf: Tf, private readonly config: TrialConfig, shape: ModelShape, seed: number) {
		this.model = buildModel(tf, config, shape, seed);
		this.optimizer = makeOptimizer(tf, config.optimizer, config.learningRate);
		this.learningRate = config.learningRate;
		this.paramCount = this.model.countParams();
		this.sums = new BackendSums(tf);
	}

	trainBatch(x: Float32Array, y: Int32Array, rows: number): void {
		const {tf, model, config} = this;
		const dim = x.length / config.batchSize;
		this.sums.add(...tf.tidy(() => {
			const xs = tf.tensor2d(rows === config.batchSize ? x : x.subarray(0, rows * dim), [rows, dim]);
			const ys = tf.tensor1d(rows === config.batchSize ? y : y.subarray(0, rows), 'int32');
			let correct: TF.Scalar | undefined;
			const loss = () => {
				const logits = model.apply(xs, {training: true}) as TF.Tensor2D;
				correct = tf.keep(countCorrect(tf, logits, ys));
				return lossFromLogits(tf, config.loss, logits, ys, config.labelSmoothing);
			};
			const cost = config.weightDecay > 0 ? this.decayedStep(loss) : this.optimizer.minimize(loss, true)!;
			return [tf.mul(cost, rows) as TF.Scalar, correct!] as [TF.Scalar, TF.Scalar];
		}));
	}

	setLearningRate(rate: number): void {
		setOptimizerLearningRate(this.optimizer, rate);
		this.learningRate = rate;
	}

	takeSums(): {loss: number; correct: number} {
		return this.sums.take();
	}

	evaluate(set: ImageSet): {loss: number; accuracy: number} {
		const {tf, model, config} = this;
		return evaluateInChunks(tf, set, (xs, ys) => {
			const logits = model.apply(xs, {training: false}) as TF.Tensor2D;
			return [tf.mul(lossFromLogits(tf, config.loss, logits, ys), xs.shape[0]), countCorrect(tf, logits, ys)];
		});
	}

	/**
	 * One step with weight decay (math/optimizers.ts, WeightDecay): the gradients at the current weights, then
	 * either wd w added to them (l2) or every weight shrunk by lr wd w (decoupled), then the optimizer's step.
	 * Returns the batch's mean loss, without the decay.
	 */
	private decayedStep(loss: () => TF.Scalar): TF.Scalar {
		const {tf, config} = this;
		const variables = this.model.trainableWeights.map(weight => weight.read() as TF.Variable);
		const {value, grads} = tf.variableGrads(loss, variables);
		const decayed: TF.NamedTensorMap = {};
		for (const variable of variables) {
			if (config.weightDecayMode === 'l2') {
				decayed[variable.name] = tf.add(grads[variable.name], tf.mul(variable, config.weightDecay));
			} else {
				variable.assign(tf.mul(variable, 1 - (this.learningRate * config.weightDecay)));
				decayed[variable.name] = grads[variable.name];
			}
		}

		this.optimizer.applyGradients(decayed);
		return value;
	}

	snapshot(): WeightsSnapshot {
		const copy = this.model.getWeights().map(weight => weight.clone());
		return {
			restore: () => {
				this.model.setWeights(copy);
			},
			dispose() {
				for (const weight of copy) {
					weight.dispose();
				}
			},
		};
	}

	dispose(): void {
		this.sums.dispose();
		this.optimizer.dispose();
		this.model.dispose();
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

		model.add(config.globalPool ? tf.layers.globalAveragePooling2d({}) : tf.layers.flatten());
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
