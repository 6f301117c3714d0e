/**
 * The weights of an MLP as plain Float32Arrays, shared by the two array-based training paths (lean.ts on
 * tfjs kernels, simd-mlp.ts on sweeplab's own WebAssembly kernels): the same layout, seeded
 * initialisation and dropout streams as the Keras-style model of model.ts, so that every path starts
 * from the same weights and draws the same masks.
 */
import type {TrialConfig} from '../types.js';
import {createRng, deriveSeed, type Rng} from '../util/random.js';
import type {Tf} from './backend.js';
import {countParams, type ModelShape} from './model.js';
import type {WeightsSnapshot} from './trainer.js';

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

/** Where an array lives: the JS heap by default, or a region of a WebAssembly memory. */
export type Allocate = (length: number) => Float32Array;

export class MlpWeights {
	readonly paramCount: number;
	/** Ordered like the trainable weights of buildModel()'s model: per layer the kernel, then the bias or batch-norm gamma and beta. */
	readonly parameters: Float32Array[] = [];
	readonly shapes: number[][] = [];
	/** Per batch-norm layer: moving mean, moving variance (the model's non-trainable weights). */
	readonly movingStatistics: Float32Array[] = [];
	readonly layers: DenseLayer[] = [];

	constructor(tf: Tf, config: TrialConfig, shape: ModelShape, seed: number, allocate: Allocate = length => new Float32Array(length)) {
		this.paramCount = countParams(config, shape);
		const widths = [...config.hidden, shape.numClasses];
		let inputs = shape.imageShape[0] * shape.imageShape[1] * shape.imageShape[2];
		const add = (dims: number[], values?: Float32Array): number => {
			const array = allocate(dims.reduce((product, dim) => product * dim, 1));
			if (values) {
				array.set(values);
			}

			this.parameters.push(array);
			this.shapes.push(dims);
			return this.parameters.length - 1;
		};

		for (const [i, units] of widths.entries()) {
			const hidden = i < config.hidden.length;
			const layer: DenseLayer = {inputs, units, hidden, kernel: add([inputs, units], glorotUniform(tf, [inputs, units], deriveSeed(seed, 'layer', i)))};
			if (hidden && config.batchNorm) {
				layer.gamma = add([units], new Float32Array(units).fill(1));
				layer.beta = add([units]);
				layer.moving = this.movingStatistics.length;
				this.movingStatistics.push(new Float32Array(units), new Float32Array(units).fill(1));
			} else {
				layer.bias = add([units]);
			}

			if (hidden && config.dropout > 0) {
				layer.dropout = {rate: config.dropout, rng: createRng(deriveSeed(seed, 'dropout', i)), mask: new Float32Array(config.batchSize * units)};
			}

			this.layers.push(layer);
			inputs = units;
		}
	}

	/** Every layer's dropout mask for a batch of `rows`: tf.dropout's rule (keep where u >= rate, scale by 1 / (1 - rate)) from the layer's seeded stream. */
	drawMasks(rows: number): Array<Float32Array | undefined> {
		return this.layers.map(layer => {
			if (!layer.dropout) {
				return undefined;
			}

			const {rate, rng} = layer.dropout;
			const mask = layer.dropout.mask.subarray(0, rows * layer.units);
			const scale = 1 / (1 - rate);
			for (let i = 0; i < mask.length; i++) {
				mask[i] = rng.next() >= rate ? scale : 0;
			}

			return mask;
		});
	}

	snapshot(): WeightsSnapshot {
		const arrays = [...this.parameters, ...this.movingStatistics];
		const copy = arrays.map(values => values.slice());
		return {
			restore() {
				for (const [i, values] of arrays.entries()) {
					values.set(copy[i]);
				}
			},
			dispose() {},
		};
	}
}

/** The seeded initializer buildModel() gives each Dense kernel, so every path starts from the same weights. */
function glorotUniform(tf: Tf, shape: [number, number], seed: number): Float32Array {
	return tf.tidy(() => tf.initializers.glorotUniform({seed}).apply(shape).dataSync() as Float32Array);
}
