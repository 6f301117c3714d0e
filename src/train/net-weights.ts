/**
 * The weights of a trial's network as plain Float32Arrays, shared by the array-based training paths
 * (paths/lean.ts on tfjs kernels, paths/simd.ts on sweeplab's own WebAssembly kernels): the same layout, seeded
 * initialisation and dropout streams as the Keras-style model of paths/layers.ts, so that every path starts
 * from the same weights and draws the same masks.
 */
import type {TrialConfig} from '../types.js';
import {createRng, deriveSeed, type Rng} from '../util/random.js';
import type {Tf} from './backend.js';
import type {StateReader, StateWriter} from './checkpoint.js';
import type {ArrayOptimizer} from './math/optimizers.js';
import {checkConvLayers, countParams, type ModelShape} from './model.js';
import type {WeightsSnapshot} from './trainer.js';

/** A 'same'-padded, stride-1 convolution with bias, its activation, then 2x2 max pooling (buildModel's cnn block). */
export interface ConvLayer {
	/** Input feature map, NHWC without the batch. */
	height: number;
	width: number;
	channels: number;
	kernelSize: number;
	filters: number;
	/** Indices into `parameters`: kernel [k, k, channels, filters], then bias [filters] or batch-norm gamma and beta. */
	kernel: number;
	bias?: number;
	gamma?: number;
	beta?: number;
	/** Index into `movingStatistics` of the block's moving mean; its moving variance follows. */
	moving?: number;
}

export interface DenseLayer {
	inputs: number;
	units: number;
	hidden: boolean;
	/** Indices into `parameters`. */
	kernel: number;
	bias?: number;
	gamma?: number;
	beta?: number;
	/** Index into `movingStatistics` of the layer's moving mean; its moving variance follows. */
	moving?: number;
	dropout?: {rate: number; rng: Rng; mask: Float32Array};
}

export class NetWeights {
	readonly paramCount: number;
	/** Ordered like the trainable weights of buildModel()'s model: per layer the kernel, then the bias or batch-norm gamma and beta. */
	readonly parameters: Float32Array[] = [];
	readonly shapes: number[][] = [];
	/** Per batch-norm layer: moving mean, moving variance (the model's non-trainable weights). */
	readonly movingStatistics: Float32Array[] = [];
	/** A cnn's convolution blocks, in order (none for an mlp). */
	readonly convs: ConvLayer[] = [];
	/** The Dense layers after them, the last one the logits. */
	readonly layers: DenseLayer[] = [];
	/** drawMasks' answer, one slot per Dense layer. */
	private readonly masks: Array<Float32Array | undefined> = [];

	constructor(tf: Tf, config: TrialConfig, shape: ModelShape, seed: number) {
		checkConvLayers(config, shape);
		this.paramCount = countParams(config, shape);
		const add = (dims: number[], values?: Float32Array): number => {
			const array = new Float32Array(dims.reduce((product, dim) => product * dim, 1));
			if (values) {
				array.set(values);
			}

			this.parameters.push(array);
			this.shapes.push(dims);
			return this.parameters.length - 1;
		};

		// After a linear layer of `units` outputs: batch norm's gamma (ones), beta and moving statistics, or a bias.
		const addShiftOrNorm = (units: number, normalised: boolean): Pick<DenseLayer, 'bias' | 'gamma' | 'beta' | 'moving'> => {
			if (!normalised) {
				return {bias: add([units])};
			}

			const parts = {gamma: add([units], new Float32Array(units).fill(1)), beta: add([units]), moving: this.movingStatistics.length};
			this.movingStatistics.push(new Float32Array(units), new Float32Array(units).fill(1));
			return parts;
		};

		let [height, width, channels] = shape.imageShape;
		let layerIndex = 0;
		if (config.model === 'cnn') {
			for (const filters of config.conv) {
				const dims = [config.kernelSize, config.kernelSize, channels, filters];
				const kernel = add(dims, glorotUniform(tf, dims, deriveSeed(seed, 'layer', layerIndex++)));
				this.convs.push({height, width, channels, kernelSize: config.kernelSize, filters, kernel, ...addShiftOrNorm(filters, config.batchNorm)});
				height = Math.floor(height / 2);
				width = Math.floor(width / 2);
				channels = filters;
			}
		}

		// Global average pooling leaves one value per channel of the last block.
		let inputs = config.model === 'cnn' && config.globalPool ? channels : height * width * channels;
		for (const [i, units] of [...config.hidden, shape.numClasses].entries()) {
			const hidden = i < config.hidden.length;
			const kernel = add([inputs, units], glorotUniform(tf, [inputs, units], deriveSeed(seed, 'layer', layerIndex++)));
			const layer: DenseLayer = {inputs, units, hidden, kernel, ...addShiftOrNorm(units, hidden && config.batchNorm)};

			if (hidden && config.dropout > 0) {
				layer.dropout = {rate: config.dropout, rng: createRng(deriveSeed(seed, 'dropout', i)), mask: new Float32Array(config.batchSize * units)};
			}

			this.layers.push(layer);
			inputs = units;
		}
	}

	/** Moves every parameter into arrays from `allocate` (a WebAssembly memory, say), values kept. */
	relocate(allocate: (length: number) => Float32Array): void {
		for (const [k, values] of this.parameters.entries()) {
			const moved = allocate(values.length);
			moved.set(values);
			this.parameters[k] = moved;
		}
	}

	/** Every Dense layer's dropout mask for a batch of `rows`: tf.dropout's rule (keep where u >= rate, scale by 1 / (1 - rate)) from the layer's seeded stream. */
	drawMasks(rows: number): ReadonlyArray<Float32Array | undefined> {
		// One array, refilled each step: a fresh one a step was garbage, and its elements' kind could change between
		// steps, which threw away the optimised code of the passes that read it (V8's 'wrong map').
		const masks = this.masks;
		for (let l = 0; l < this.layers.length; l++) {
			const {dropout, units} = this.layers[l];
			if (!dropout) {
				masks[l] = undefined;
				continue;
			}

			const {rate, rng} = dropout;
			const mask = dropout.mask.subarray(0, rows * units);
			const scale = 1 / (1 - rate);
			for (let i = 0; i < mask.length; i++) {
				mask[i] = rng.next() >= rate ? scale : 0;
			}

			masks[l] = mask;
		}

		return masks;
	}

	/** Every weight in the order of the Keras-style model's getWeights(): the trainable ones, then the moving statistics. */
	get all(): Float32Array[] {
		return [...this.parameters, ...this.movingStatistics];
	}

	snapshot(): WeightsSnapshot {
		return this.snapshotFrom(this.all.map(values => values.slice()));
	}

	/** A snapshot holding `copy` (arrays shaped like `all`, owned by the snapshot from now on). */
	snapshotFrom(copy: Float32Array[]): WeightsSnapshot {
		const arrays = this.all;
		return {
			arrays: () => copy,
			restore() {
				for (const [i, values] of arrays.entries()) {
					values.set(copy[i]);
				}
			},
			dispose() {},
		};
	}

	/** Weights, moving statistics and the dropout streams' positions (sections `weights/`, `moving/`, `dropout/`). */
	saveState(state: StateWriter): void {
		for (const [k, values] of this.parameters.entries()) {
			state.put(`weights/${k}`, values);
		}

		for (const [k, values] of this.movingStatistics.entries()) {
			state.put(`moving/${k}`, values);
		}

		for (const [i, layer] of this.layers.entries()) {
			if (layer.dropout) {
				state.put(`dropout/${i}`, layer.dropout.rng.getState());
			}
		}
	}

	/** Restores what saveState wrote into the arrays in place (they may live in a kernel arena). Throws CheckpointError on a mismatch. */
	loadState(state: StateReader): void {
		for (const [k, values] of this.parameters.entries()) {
			state.into(`weights/${k}`, values);
		}

		for (const [k, values] of this.movingStatistics.entries()) {
			state.into(`moving/${k}`, values);
		}

		for (const [i, layer] of this.layers.entries()) {
			if (layer.dropout) {
				layer.dropout.rng.setState(state.take(`dropout/${i}`, Uint32Array, 4));
			}
		}
	}
}

/** The seeded initializer buildModel() gives each Dense and Conv2D kernel, so every path starts from the same weights. */
function glorotUniform(tf: Tf, shape: number[], seed: number): Float32Array {
	return tf.tidy(() => tf.initializers.glorotUniform({seed}).apply(shape).dataSync() as Float32Array);
}

/**
 * What the array-based paths (paths/lean.ts, paths/simd.ts) share beyond their weights: snapshots come from
 * NetWeights, and a checkpoint's state is the weights' sections followed by the optimizer's slots.
 */
export abstract class ArrayTrainer {
	abstract readonly parameters: Float32Array[];
	protected abstract readonly weights: NetWeights;
	protected abstract readonly optimizer: ArrayOptimizer;

	snapshot(): WeightsSnapshot {
		return this.weights.snapshot();
	}

	snapshotFrom(arrays: Float32Array[]): WeightsSnapshot {
		return this.weights.snapshotFrom(arrays);
	}

	async saveState(state: StateWriter): Promise<void> {
		this.weights.saveState(state);
		this.optimizer.saveState(state, this.parameters);
	}

	async loadState(state: StateReader): Promise<void> {
		this.weights.loadState(state);
		this.optimizer.loadState(state, this.parameters);
	}
}
