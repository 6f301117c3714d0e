/**
 * The SIMD training path for every MLP and CNN: the whole step (forward, loss, backward, optimizer) runs
 * on sweeplab's own WebAssembly SIMD kernels (kernels/simd.c: matrix products, im2col convolution, max
 * pooling, batch norm, optimizer updates) with the rest (most activations, the loss) in plain JS loops, on
 * weights that live in the kernels' memory; tfjs only initialises the weights. On the lean path most of a
 * batch-32 step is tfjs' per-kernel dispatch, the weight packing XNNPACK does for every matmul, and
 * copies in and out of the wasm heap; here a step is a few kernel calls per layer and no copy but the
 * batch's. Same network, initialisation, dropout masks, loss and optimizer rules as the other paths
 * (net-weights.ts, array-optimizers.ts); the tests check gradients and training steps against them.
 */
import type {ImageSet} from '../data/load.js';
import type {Activation, LossName, TrialConfig} from '../types.js';
import {type ArrayOptimizer, makeArrayOptimizer, optimizerStateLengths} from './array-optimizers.js';
import type {Tf} from './backend.js';
import {at, KernelArena, type Kernels, kernelsAvailable} from './kernels.js';
import {LEAKY_RELU_ALPHA, type ModelShape} from './model.js';
import {type ConvLayer, type DenseLayer, NetWeights} from './net-weights.js';
import {EVAL_CHUNK, type Trainer, type WeightsSnapshot} from './trainer.js';

/** Whether the SIMD path trains this config: every MLP and CNN, where WebAssembly SIMD is available. */
export function simdCovers(_config: TrialConfig): boolean {
	return kernelsAvailable();
}

/** Keras' BatchNormalization defaults, which tfjs' layer shares (as lean.ts uses them). */
const BN_MOMENTUM = 0.99;
const BN_EPSILON = 1e-3;

/** Rows per evaluation pass of a cnn: its im2col patches take k*k*channels floats per pixel. */
const CNN_EVAL_ROWS = 256;

/**
 * A convolution block's buffers for one pass: the patch matrix, the convolution, its batch-normalised form (the
 * convolution itself without batch norm), the activation, the pooled output and the pool's winners.
 */
interface ConvBuffers {
	patches: Float32Array;
	z: Float32Array;
	a: Float32Array;
	y: Float32Array;
	pooled: Float32Array;
	which: Int32Array;
}

/** A Dense layer's buffers for one pass: the product, its batch-normalised form (or the product), the activation, and (with dropout) the masked activation. */
interface DenseBuffers {
	z: Float32Array;
	a: Float32Array;
	y: Float32Array;
	out: Float32Array;
}

/** Everything a forward pass of up to `rows` rows writes. */
interface Pass {
	rows: number;
	input: Float32Array;
	convs: ConvBuffers[];
	dense: DenseBuffers[];
}

/**
 * A layer's batch normalisation: its parameters' indices, and (in the kernels' memory) the batch's statistics kept
 * for the backward pass, the per-column scale and shift that apply it, and the backward pass's column sums.
 */
interface Norm {
	gamma: number;
	beta: number;
	moving: number;
	mean: Float64Array;
	variance: Float64Array;
	invStd: Float64Array;
	scale: Float32Array;
	shift: Float32Array;
	sumD: Float64Array;
	sumDHat: Float64Array;
}

type Memory = Pick<KernelArena, 'allocate' | 'allocateInt' | 'allocateF64'>;

const normOf = (layer: {gamma?: number; beta?: number; moving?: number}, units: number, memory: Memory): Norm | undefined => (
	layer.gamma === undefined || layer.beta === undefined || layer.moving === undefined
		? undefined
		: {
			gamma: layer.gamma,
			beta: layer.beta,
			moving: layer.moving,
			mean: memory.allocateF64(units),
			variance: memory.allocateF64(units),
			invStd: memory.allocateF64(units),
			scale: memory.allocate(units),
			shift: memory.allocate(units),
			sumD: memory.allocateF64(units),
			sumDHat: memory.allocateF64(units),
		});

const pixels = (conv: ConvLayer): number => conv.height * conv.width;
const patchWidth = (conv: ConvLayer): number => conv.kernelSize * conv.kernelSize * conv.channels;
const pooledSize = (conv: ConvLayer): number => Math.floor(conv.height / 2) * Math.floor(conv.width / 2) * conv.filters;

export class SimdNet implements Trainer {
	readonly trainingPath = 'simd';
	readonly paramCount: number;
	readonly parameters: Float32Array[];
	/** Per batch-norm layer: moving mean, moving variance (as the model's non-trainable weights). */
	readonly movingStatistics: Float32Array[];
	private readonly weights: NetWeights;
	private readonly convs: ConvLayer[];
	private readonly layers: DenseLayer[];
	private readonly convNorms: Array<Norm | undefined>;
	private readonly denseNorms: Array<Norm | undefined>;
	private readonly kernels: Kernels;
	private readonly grads: Float32Array[];
	private readonly train: Pass;
	private readonly evaluation: Pass;
	/** dL/dz of the Dense layer being differentiated, and dL/d(its input). */
	private readonly dz: Float32Array;
	private readonly dInput: Float32Array;
	/** A convolution block's dL/dz (after the pool's gradient), dL/d(patches), and dL/d(its input feature map). */
	private readonly dConv: Float32Array;
	private readonly dPatches: Float32Array;
	private readonly dFeatures: Float32Array;
	private readonly transposed: Float32Array;
	private readonly optimizer: ArrayOptimizer;
	private readonly dim: number;
	private readonly classes: number;
	private loss = 0;
	private correct = 0;

	constructor(tf: Tf, private readonly config: TrialConfig, shape: ModelShape, seed: number) {
		if (!simdCovers(config)) {
			throw new RangeError('SimdNet: this config or this runtime is not covered (check simdCovers first)');
		}

		this.dim = shape.imageShape[0] * shape.imageShape[1] * shape.imageShape[2];
		this.classes = shape.numClasses;
		this.weights = new NetWeights(tf, config, shape, seed);
		({paramCount: this.paramCount, convs: this.convs, layers: this.layers, movingStatistics: this.movingStatistics} = this.weights);
		const parameterLengths = this.weights.parameters.map(values => values.length);
		// The buffers are laid out twice: once counting (to size the memory, which never grows after), then for real.
		// The counting pass hands out empty arrays, so the layout must take lengths from the config, never from an array.
		let floats = KernelArena.floats([...parameterLengths, ...optimizerStateLengths(config.optimizer, parameterLengths)]);
		const counting = {
			allocate: (length: number) => {
				floats += KernelArena.floats([length]);
				return new Float32Array(0);
			},
			allocateInt: (length: number) => {
				floats += KernelArena.floats([length]);
				return new Int32Array(0);
			},
			allocateF64: (length: number) => {
				floats += KernelArena.floats([2 * length]);
				return new Float64Array(0);
			},
		};
		this.buffers(counting);
		const arena = new KernelArena(floats);
		this.kernels = arena.kernels;
		this.weights.relocate(length => arena.allocate(length));
		this.parameters = this.weights.parameters;
		({grads: this.grads, train: this.train, evaluation: this.evaluation, dz: this.dz, dInput: this.dInput, dConv: this.dConv, dPatches: this.dPatches, dFeatures: this.dFeatures, transposed: this.transposed, convNorms: this.convNorms, denseNorms: this.denseNorms} = this.buffers(arena));
		this.optimizer = makeArrayOptimizer(config.optimizer, config.learningRate, tf.backend().epsilon(), {arena});
	}

	/** Every buffer but the weights and the optimizer state, from `memory`. */
	private buffers(memory: Memory) {
		const {convs, layers, dim, config} = this;
		const allocate = (length: number) => memory.allocate(length);
		const batch = config.batchSize;
		// Evaluation activates in place and never applies dropout: one buffer per layer, where training keeps z, y and the masked output.
		const pass = (rows: number, training: boolean): Pass => ({
			rows,
			input: allocate(rows * dim),
			convs: convs.map(conv => {
				const size = rows * pixels(conv) * conv.filters;
				const z = allocate(size);
				return {
					patches: allocate(rows * pixels(conv) * patchWidth(conv)),
					z,
					a: training && conv.gamma !== undefined ? allocate(size) : z,
					y: training ? allocate(size) : z,
					pooled: allocate(rows * pooledSize(conv)),
					which: memory.allocateInt(rows * pooledSize(conv)),
				};
			}),
			dense: layers.map(layer => {
				const size = rows * layer.units;
				const z = allocate(size);
				const a = training && layer.gamma !== undefined ? allocate(size) : z;
				const y = training ? allocate(size) : z;
				return {z, a, y, out: training && layer.dropout ? allocate(size) : y};
			}),
		});
		const widest = Math.max(...layers.map(layer => Math.max(layer.units, layer.inputs)));
		return {
			grads: this.weights.parameters.map(values => allocate(values.length)),
			train: pass(batch, true),
			evaluation: pass(convs.length > 0 ? CNN_EVAL_ROWS : EVAL_CHUNK, false),
			dz: allocate(batch * widest),
			dInput: allocate(batch * widest),
			dConv: allocate(batch * Math.max(0, ...convs.map(conv => pixels(conv) * conv.filters))),
			dPatches: allocate(batch * Math.max(0, ...convs.slice(1).map(conv => pixels(conv) * patchWidth(conv)))),
			dFeatures: allocate(batch * Math.max(0, ...convs.slice(1).map(conv => pixels(conv) * conv.channels))),
			transposed: allocate(Math.max(0, ...layers.map(layer => layer.inputs * layer.units), ...convs.map(conv => patchWidth(conv) * conv.filters))),
			convNorms: convs.map(conv => normOf(conv, conv.filters, memory)),
			denseNorms: layers.map(layer => normOf(layer, layer.units, memory)),
		};
	}

	trainBatch(x: Float32Array, y: Int32Array, rows: number): void {
		this.step(x, y, rows, true);
		this.optimizer.update(this.parameters, this.grads);
	}

	/** Gradients of the batch's mean loss with respect to `parameters` (copies), in training mode (draws dropout masks). */
	gradients(x: Float32Array, y: Int32Array, rows: number): Float32Array[] {
		this.step(x, y, rows, false);
		return this.grads.map(values => values.slice());
	}

	takeSums(): {loss: number; correct: number} {
		const sums = {loss: this.loss, correct: this.correct};
		this.loss = 0;
		this.correct = 0;
		return sums;
	}

	evaluate(set: ImageSet): {loss: number; accuracy: number} {
		const {dim, evaluation} = this;
		let loss = 0;
		let correct = 0;
		for (let start = 0; start < set.n; start += evaluation.rows) {
			const rows = Math.min(evaluation.rows, set.n - start);
			evaluation.input.set(set.x.subarray(start * dim, (start + rows) * dim));
			const logits = this.forward(evaluation, rows, undefined);
			const sums = lossOf(this.config.loss, logits, set.y.subarray(start, start + rows), rows, this.classes, undefined);
			loss += sums.loss;
			correct += sums.correct;
		}

		return {loss: loss / set.n, accuracy: correct / set.n};
	}

	snapshot(): WeightsSnapshot {
		return this.weights.snapshot();
	}

	dispose(): void {}

	/** y = act(z) over z's length: the piecewise-linear activations as kernels, the rest in JS. */
	private activate(z: Float32Array, y: Float32Array): void {
		switch (this.config.activation) {
			case 'relu': {
				this.kernels.relu(at(z), at(y), z.length);
				break;
			}

			case 'leakyRelu': {
				this.kernels.leaky_relu(at(z), at(y), z.length, LEAKY_RELU_ALPHA);
				break;
			}

			default: {
				activate(this.config.activation, z, y);
			}
		}
	}

	/** dz = dy * act'(z) over dy's length (dz may be dy). */
	private activationGradient(dy: Float32Array, z: Float32Array, y: Float32Array, dz: Float32Array): void {
		switch (this.config.activation) {
			case 'relu': {
				this.kernels.relu_backward(at(dy), at(z), at(dz), dy.length);
				break;
			}

			case 'leakyRelu': {
				this.kernels.leaky_relu_backward(at(dy), at(z), at(dz), dy.length, LEAKY_RELU_ALPHA);
				break;
			}

			default: {
				activationGradient(this.config.activation, dy, z, y, dz);
			}
		}
	}

	/**
	 * a = gamma (z - mean) / sqrt(var + epsilon) + beta per column of z (positions x units). Training uses the
	 * batch's mean and biased variance (tf.moments), keeps them for the backward pass and moves the moving
	 * statistics as tfjs' layer does (moving -= (moving - batch) (1 - momentum)); inference uses the moving ones.
	 */
	private normalize(z: Float32Array, a: Float32Array, positions: number, units: number, norm: Norm, training: boolean): void {
		const gamma = this.parameters[norm.gamma];
		const beta = this.parameters[norm.beta];
		const movingMean = this.movingStatistics[norm.moving];
		const movingVariance = this.movingStatistics[norm.moving + 1];
		const {mean, variance, invStd, scale, shift} = norm;
		if (training) {
			this.kernels.batchnorm_stats(at(z), positions, units, at(mean), at(variance), at(invStd), BN_EPSILON);
			for (let j = 0; j < units; j++) {
				movingMean[j] -= (movingMean[j] - mean[j]) * (1 - BN_MOMENTUM);
				movingVariance[j] -= (movingVariance[j] - variance[j]) * (1 - BN_MOMENTUM);
			}
		} else {
			for (let j = 0; j < units; j++) {
				mean[j] = movingMean[j];
				invStd[j] = 1 / Math.sqrt(movingVariance[j] + BN_EPSILON);
			}
		}

		for (let j = 0; j < units; j++) {
			scale[j] = gamma[j] * invStd[j];
			shift[j] = beta[j] - (mean[j] * gamma[j] * invStd[j]);
		}

		this.kernels.scale_shift(at(z), at(a), positions, units, at(scale), at(shift));
	}

	/** From dL/da in `d`: gamma's and beta's gradients, then dL/dz into `d` itself, through the batch's mean and variance too. */
	private normalizeBackward(d: Float32Array, z: Float32Array, positions: number, units: number, norm: Norm): void {
		const {mean, invStd, sumD, sumDHat} = norm;
		this.kernels.batchnorm_backward(at(d), at(z), positions, units, at(this.parameters[norm.gamma]), at(mean), at(invStd), at(sumD), at(sumDHat));
		this.grads[norm.beta].set(sumD);
		this.grads[norm.gamma].set(sumDHat);
	}

	/** Logits of the first `rows` rows of `pass.input`; `masks` (training) applies dropout. */
	private forward(pass: Pass, rows: number, masks: Array<Float32Array | undefined> | undefined): Float32Array {
		const {kernels, parameters, config} = this;
		let input = pass.input;
		for (const [l, conv] of this.convs.entries()) {
			const {patches, z, a, y, pooled, which} = pass.convs[l];
			const positions = rows * pixels(conv);
			kernels.im2col(at(input), at(patches), rows, conv.height, conv.width, conv.channels, conv.kernelSize);
			kernels.gemm_nn(at(patches), at(parameters[conv.kernel]), at(z), positions, patchWidth(conv), conv.filters, conv.bias === undefined ? 0 : at(parameters[conv.bias]));
			const norm = this.convNorms[l];
			if (norm) {
				this.normalize(z, a, positions, conv.filters, norm, Boolean(masks));
			}

			this.activate(a.subarray(0, positions * conv.filters), y);
			kernels.maxpool(at(y), at(pooled), at(which), rows, conv.height, conv.width, conv.filters);
			input = pooled;
		}

		for (const [i, layer] of this.layers.entries()) {
			const {z, a, y, out} = pass.dense[i];
			const n = rows * layer.units;
			kernels.gemm_nn(at(input), at(parameters[layer.kernel]), at(z), rows, layer.inputs, layer.units, layer.bias === undefined ? 0 : at(parameters[layer.bias]));
			if (!layer.hidden) {
				return z.subarray(0, n);
			}

			const norm = this.denseNorms[i];
			if (norm) {
				this.normalize(z, a, rows, layer.units, norm, Boolean(masks));
			}

			this.activate(a.subarray(0, n), y);
			const mask = masks?.[i];
			if (mask) {
				for (let j = 0; j < n; j++) {
					out[j] = y[j] * mask[j];
				}
			}

			input = layer.dropout && masks ? out : y;
		}

		throw new RangeError('SimdNet: a network ends with its logits layer');
	}

	/** Forward and backward pass of one batch; gradients land in grads. With `record`, the batch joins the epoch's sums. */
	private step(x: Float32Array, labels: Int32Array, rows: number, record: boolean): void {
		const {kernels, layers, convs, parameters, grads, train, config} = this;
		const masks = this.weights.drawMasks(rows);
		train.input.set(x.subarray(0, rows * this.dim));
		const logits = this.forward(train, rows, masks);
		const sums = lossOf(config.loss, logits, labels, rows, this.classes, this.dz.subarray(0, logits.length));
		if (record) {
			this.loss += sums.loss;
			this.correct += sums.correct;
		}

		const inputOf = (i: number): Float32Array => {
			if (i > 0) {
				return train.dense[i - 1].out;
			}

			return convs.length > 0 ? train.convs.at(-1)!.pooled : train.input;
		};

		for (let i = layers.length - 1; i >= 0; i--) {
			const layer = layers[i];
			const delta = this.dz.subarray(0, rows * layer.units);
			kernels.gemm_tn(at(inputOf(i)), at(delta), at(grads[layer.kernel]), rows, layer.inputs, layer.units);
			if (layer.bias !== undefined) {
				kernels.column_sums(at(delta), at(grads[layer.bias]), rows, layer.units);
			}
			if (i === 0 && convs.length === 0) {
				return;
			}

			// dL/d(input) = dz . W^T; then (between Dense layers) back through the previous layer's dropout, activation and batch norm into dz.
			kernels.transpose(at(parameters[layer.kernel]), at(this.transposed), layer.inputs, layer.units);
			const dInput = this.dInput.subarray(0, rows * layer.inputs);
			kernels.gemm_nn(at(delta), at(this.transposed), at(dInput), rows, layer.units, layer.inputs, 0);
			if (i > 0) {
				const mask = masks[i - 1];
				if (mask) {
					for (let j = 0; j < dInput.length; j++) {
						dInput[j] *= mask[j];
					}
				}

				const previous = train.dense[i - 1];
				const dz = this.dz.subarray(0, dInput.length);
				this.activationGradient(dInput, previous.a, previous.y, dz);
				const norm = this.denseNorms[i - 1];
				if (norm) {
					this.normalizeBackward(dz, previous.z, rows, layers[i - 1].units, norm);
				}
			}
		}

		let dOutput = this.dInput;
		for (let l = convs.length - 1; l >= 0; l--) {
			const conv = convs[l];
			const {patches, z, a, y, which} = train.convs[l];
			const positions = rows * pixels(conv);
			const dz = this.dConv.subarray(0, positions * conv.filters);
			kernels.maxpool_backward(at(dOutput), at(which), at(dz), rows * pooledSize(conv), dz.length);
			this.activationGradient(dz, a, y, dz);
			const norm = this.convNorms[l];
			if (norm) {
				this.normalizeBackward(dz, z, positions, conv.filters, norm);
			}

			kernels.gemm_tn(at(patches), at(dz), at(grads[conv.kernel]), positions, patchWidth(conv), conv.filters);
			if (conv.bias !== undefined) {
				kernels.column_sums(at(dz), at(grads[conv.bias]), positions, conv.filters);
			}
			if (l === 0) {
				break;
			}

			kernels.transpose(at(parameters[conv.kernel]), at(this.transposed), patchWidth(conv), conv.filters);
			kernels.gemm_nn(at(dz), at(this.transposed), at(this.dPatches), positions, conv.filters, patchWidth(conv), 0);
			kernels.col2im(at(this.dPatches), at(this.dFeatures), rows, conv.height, conv.width, conv.channels, conv.kernelSize);
			dOutput = this.dFeatures;
		}
	}
}

// Constants of tfjs 4.22's kernels (selu_util.ts, erf_util.ts, softplus), so the activations are the same functions.
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_SCALE_ALPHA = 1.7580993408473768599402175208123;
const ERF_P = 0.3275911;
const [ERF_A1, ERF_A2, ERF_A3, ERF_A4, ERF_A5] = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];
const SOFTPLUS_THRESHOLD = Math.log(1.1920928955078125e-7) + 2;

/** tfjs' erf: Abramowitz and Stegun 7.1.26. */
function erf(x: number): number {
	const v = Math.abs(x);
	const t = 1 / (1 + (ERF_P * v));
	return Math.sign(x) * (1 - ((((((((ERF_A5 * t) + ERF_A4) * t) + ERF_A3) * t) + ERF_A2) * t) + ERF_A1) * t * Math.exp(-v * v));
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * y = act(z) elementwise over `z` (y may be z), the functions of tfjs-layers' activations (as in
 * lean.ts' activate), for those that are not kernels (relu, leakyRelu). One loop per activation, so
 * each loop stays monomorphic.
 */
function activate(activation: Activation, z: Float32Array, y: Float32Array): void {
	const n = z.length;
	switch (activation) {
		case 'sigmoid': {
			for (let i = 0; i < n; i++) {
				y[i] = sigmoid(z[i]);
			}

			break;
		}

		case 'tanh': {
			for (let i = 0; i < n; i++) {
				y[i] = Math.tanh(z[i]);
			}

			break;
		}

		case 'elu': {
			for (let i = 0; i < n; i++) {
				y[i] = z[i] >= 0 ? z[i] : Math.exp(z[i]) - 1;
			}

			break;
		}

		case 'selu': {
			for (let i = 0; i < n; i++) {
				y[i] = z[i] >= 0 ? SELU_SCALE * z[i] : SELU_SCALE_ALPHA * (Math.exp(z[i]) - 1);
			}

			break;
		}

		case 'softplus': {
			for (let i = 0; i < n; i++) {
				const v = z[i];
				y[i] = v < SOFTPLUS_THRESHOLD ? Math.exp(v) : (v > -SOFTPLUS_THRESHOLD ? v : Math.log(1 + Math.exp(v)));
			}

			break;
		}

		case 'softsign': {
			for (let i = 0; i < n; i++) {
				y[i] = z[i] / (Math.abs(z[i]) + 1);
			}

			break;
		}

		case 'swish': {
			for (let i = 0; i < n; i++) {
				y[i] = z[i] * sigmoid(z[i]);
			}

			break;
		}

		case 'gelu': {
			for (let i = 0; i < n; i++) {
				y[i] = z[i] * 0.5 * (1 + erf(z[i] / Math.SQRT2));
			}

			break;
		}

		case 'linear': {
			if (y !== z) {
				y.set(z);
			}

			break;
		}
	}
}

/** dz = dy * act'(z), with act' as tfjs' gradients compute it (some from y = act(z)), for the activations that are not kernels. `dz` may be `dy`. */
function activationGradient(activation: Activation, dy: Float32Array, z: Float32Array, y: Float32Array, dz: Float32Array): void {
	const n = dy.length;
	switch (activation) {
		case 'sigmoid': {
			for (let i = 0; i < n; i++) {
				dz[i] = dy[i] * y[i] * (1 - y[i]);
			}

			break;
		}

		case 'tanh': {
			for (let i = 0; i < n; i++) {
				dz[i] = dy[i] * (1 - (y[i] * y[i]));
			}

			break;
		}

		case 'elu': {
			for (let i = 0; i < n; i++) {
				dz[i] = y[i] >= 0 ? dy[i] : dy[i] * (y[i] + 1);
			}

			break;
		}

		case 'selu': {
			for (let i = 0; i < n; i++) {
				dz[i] = z[i] > 0 ? dy[i] * SELU_SCALE : dy[i] * SELU_SCALE_ALPHA * Math.exp(z[i]);
			}

			break;
		}

		case 'softplus': {
			for (let i = 0; i < n; i++) {
				dz[i] = dy[i] * sigmoid(z[i]);
			}

			break;
		}

		case 'softsign': {
			for (let i = 0; i < n; i++) {
				const d = Math.abs(z[i]) + 1;
				dz[i] = dy[i] / (d * d);
			}

			break;
		}

		case 'swish': {
			for (let i = 0; i < n; i++) {
				const s = sigmoid(z[i]);
				dz[i] = dy[i] * (s + (z[i] * s * (1 - s)));
			}

			break;
		}

		case 'gelu': {
			for (let i = 0; i < n; i++) {
				const v = z[i];
				dz[i] = dy[i] * ((0.5 * (1 + erf(v / Math.SQRT2))) + (v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI)));
			}

			break;
		}

		case 'linear': {
			if (dz !== dy) {
				dz.set(dy);
			}

			break;
		}
	}
}

/**
 * Summed loss and correct predictions of `rows` rows of logits, as objective.ts' lossFromLogits defines
 * the loss (its batch mean times the rows), and, when `dLogits` is given, the gradient of the batch's
 * mean loss with respect to the logits. A row is correct when its first largest logit is the label's,
 * as tf.argMax picks.
 */
function lossOf(name: LossName, logits: Float32Array, labels: ArrayLike<number>, rows: number, classes: number, dLogits: Float32Array | undefined): {loss: number; correct: number} {
	const probabilities = new Float64Array(classes);
	let loss = 0;
	let correct = 0;
	for (let r = 0; r < rows; r++) {
		const offset = r * classes;
		const label = labels[r];
		let max = logits[offset];
		let argmax = 0;
		for (let c = 1; c < classes; c++) {
			if (logits[offset + c] > max) {
				max = logits[offset + c];
				argmax = c;
			}
		}

		if (argmax === label) {
			correct++;
		}

		let total = 0;
		for (let c = 0; c < classes; c++) {
			probabilities[c] = Math.exp(logits[offset + c] - max);
			total += probabilities[c];
		}

		for (let c = 0; c < classes; c++) {
			probabilities[c] /= total;
		}

		switch (name) {
			case 'sparseCategoricalCrossentropy': {
				loss += max + Math.log(total) - logits[offset + label];
				if (dLogits) {
					for (let c = 0; c < classes; c++) {
						dLogits[offset + c] = (probabilities[c] - (c === label ? 1 : 0)) / rows;
					}
				}

				break;
			}

			case 'meanSquaredError': {
				// Mean over rows and classes of (p - onehot)^2; dL/dp = 2 (p - onehot) / (rows classes), then through the softmax.
				let rowLoss = 0;
				for (let c = 0; c < classes; c++) {
					const difference = probabilities[c] - (c === label ? 1 : 0);
					rowLoss += difference * difference;
				}

				loss += rowLoss / classes;
				if (dLogits) {
					softmaxBackward(probabilities, c => 2 * (probabilities[c] - (c === label ? 1 : 0)) / (rows * classes), dLogits, offset);
				}

				break;
			}

			case 'categoricalHinge': {
				// max(0, 1 + max_{wrong} p - p_true); the max's gradient goes to every class that attains it, as tf.max's does.
				let negative = 0;
				for (let c = 0; c < classes; c++) {
					if (c !== label && probabilities[c] > negative) {
						negative = probabilities[c];
					}
				}

				const margin = 1 + negative - probabilities[label];
				loss += Math.max(0, margin);
				if (dLogits) {
					const active = margin > 0 ? 1 / rows : 0;
					softmaxBackward(probabilities, c => (c === label ? -active : (probabilities[c] === negative ? active : 0)), dLogits, offset);
				}

				break;
			}
		}
	}

	return {loss, correct};
}

/** dL/dz_c = p_c (g_c - sum_k g_k p_k) for dL/dp = g, into one row of `into`. */
function softmaxBackward(p: Float64Array, g: (c: number) => number, into: Float32Array, offset: number): void {
	let dot = 0;
	for (let c = 0; c < p.length; c++) {
		dot += g(c) * p[c];
	}

	for (let c = 0; c < p.length; c++) {
		into[offset + c] = p[c] * (g(c) - dot);
	}
}
