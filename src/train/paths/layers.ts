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
import type {StateReader, StateWriter} from '../checkpoint.js';
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
		return this.snapshotOf(this.model.getWeights().map(weight => weight.clone()));
	}

	snapshotFrom(arrays: Float32Array[]): WeightsSnapshot {
		const {tf} = this;
		return this.snapshotOf(this.model.getWeights().map((weight, k) => tf.tensor(arrays[k], weight.shape)));
	}

	/**
	 * The model's weights (trainable and moving statistics) and tfjs' optimizer state. tfjs' own
	 * getWeights/setWeights will not do: adamax has none, and adam's setWeights recomputes its bias-correction
	 * powers as beta^t, which rounds differently from the products the steps accumulated. So every Variable
	 * the optimizer holds is saved as it is: scalars (accBeta1, accBeta2, adamax' iteration) and the per-weight
	 * slot lists (accumulatedFirstMoment, accumulations, ...), by their field names in tfjs 4.22.
	 */
	async saveState(state: StateWriter): Promise<void> {
		for (const [k, weight] of this.model.getWeights().entries()) {
			state.put(`weights/${k}`, weight.dataSync() as Float32Array);
		}

		const optimizer = this.optimizer as unknown as Record<string, unknown>;
		state.putNumber('optimizer/iterations', this.optimizer.iterations);
		for (const key of Object.keys(optimizer).sort()) {
			const value = optimizer[key];
			if (value instanceof this.tf.Variable) {
				state.put(`optimizer/${key}`, Float32Array.from(value.dataSync()));
			} else if (isSlotList(value, this.tf)) {
				for (const [i, slot] of value.entries()) {
					state.put(`optimizer/${key}/${i}`, Float32Array.from(slot.variable.dataSync()));
				}
			}
		}
	}

	async loadState(state: StateReader): Promise<void> {
		const {tf, model} = this;
		const weights = model.getWeights().map((weight, k) => tf.tensor(state.take(`weights/${k}`, Float32Array, weight.size), weight.shape));
		model.setWeights(weights);
		tf.dispose(weights);
		const optimizer = this.optimizer as unknown as Record<string, unknown>;
		optimizer.iterations_ = state.takeNumber('optimizer/iterations');
		const trainable = model.trainableWeights;
		// The tidy frees the tensors the values came in; assign and tf.variable keep what they need.
		tf.tidy(() => {
			for (const key of Object.keys(optimizer).sort()) {
				const value = optimizer[key];
				if (value instanceof tf.Variable) {
					value.assign(tf.tensor(state.take(`optimizer/${key}`, Float32Array, value.size), value.shape, value.dtype));
				} else if (Array.isArray(value) && state.has(`optimizer/${key}/0`)) {
					// Slots are matched to weights by position, as applyGradients does (in the order of minimize's gradients).
					optimizer[key] = trainable.map((weight, i) => {
						const {size, shape} = weight.read();
						return {originalName: weight.name, variable: tf.variable(tf.tensor(state.take(`optimizer/${key}/${i}`, Float32Array, size), shape), false)};
					});
				}
			}
		});
	}

	private snapshotOf(copy: TF.Tensor[]): WeightsSnapshot {
		return {
			arrays: () => copy.map(weight => weight.dataSync() as Float32Array),
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

/** A tfjs optimizer's per-weight slot list: [{originalName, variable}]. */
function isSlotList(value: unknown, tf: Tf): value is Array<{originalName: string; variable: TF.Variable}> {
	return Array.isArray(value) && value.length > 0 && value.every(entry => (entry as {variable?: unknown})?.variable instanceof tf.Variable);
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
