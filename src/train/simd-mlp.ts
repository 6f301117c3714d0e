/**
 * The SIMD training path for MLPs without batch norm: the whole step (forward, loss, backward) runs on
 * sweeplab's own WebAssembly SIMD matrix kernels (kernels/mlp.c) with the elementwise work in plain JS
 * loops, on weights that live in the kernels' memory; tfjs only initialises the weights. On the lean
 * path most of a batch-32 step is tfjs' per-kernel dispatch, the weight packing XNNPACK does for every
 * matmul, and copies in and out of the wasm heap; here a step is ten kernel calls and no copy but the
 * batch's. Same network, initialisation, dropout masks, loss and optimizer rules as the other paths
 * (mlp-weights.ts, array-optimizers.ts); the tests check gradients and training steps against them.
 */
import type {ImageSet} from '../data/load.js';
import type {Activation, LossName, TrialConfig} from '../types.js';
import {type ArrayOptimizer, makeArrayOptimizer, optimizerStateLengths} from './array-optimizers.js';
import type {Tf} from './backend.js';
import {at, KernelArena, kernelsAvailable, type Kernels} from './kernels.js';
import {type DenseLayer, MlpWeights} from './mlp-weights.js';
import {LEAKY_RELU_ALPHA, type ModelShape} from './model.js';
import {EVAL_CHUNK, type Trainer, type WeightsSnapshot} from './trainer.js';

/** Whether the SIMD path trains this config (where WebAssembly SIMD is available); batch norm takes the lean path. */
export function simdCovers(config: TrialConfig): boolean {
	return config.model === 'mlp' && !config.batchNorm && kernelsAvailable();
}

/** A layer's buffers for one training batch: pre-activation, activation, and (with dropout) the masked activation. */
interface LayerBuffers {
	z: Float32Array;
	y: Float32Array;
	out: Float32Array;
}

export class SimdMlp implements Trainer {
	readonly trainingPath = 'simd';
	readonly paramCount: number;
	readonly parameters: Float32Array[];
	private readonly weights: MlpWeights;
	private readonly layers: DenseLayer[];
	private readonly arena: KernelArena;
	private readonly kernels: Kernels;
	private readonly gradients_: Float32Array[];
	private readonly x: Float32Array;
	private readonly buffers: LayerBuffers[];
	/** dL/dz of the layer being differentiated, and dL/d(its input). */
	private readonly dz: Float32Array;
	private readonly dInput: Float32Array;
	private readonly transposed: Float32Array;
	private readonly evalX: Float32Array;
	private readonly evalPing: Float32Array;
	private readonly evalPong: Float32Array;
	private readonly optimizer: ArrayOptimizer;
	private readonly dim: number;
	private readonly classes: number;
	private loss = 0;
	private correct = 0;

	constructor(tf: Tf, private readonly config: TrialConfig, shape: ModelShape, seed: number) {
		if (!simdCovers(config)) {
			throw new RangeError('SimdMlp: this config or this runtime is not covered (check simdCovers first)');
		}

		this.dim = shape.imageShape[0] * shape.imageShape[1] * shape.imageShape[2];
		this.classes = shape.numClasses;
		const widths = [...config.hidden, shape.numClasses];
		const inputs = [this.dim, ...config.hidden];
		const batch = config.batchSize;
		const evalRows = EVAL_CHUNK;
		const widest = Math.max(...widths, this.dim);
		const parameterLengths = widths.flatMap((units, i) => [inputs[i] * units, units]);
		const lengths = [
			...parameterLengths, ...parameterLengths, ...optimizerStateLengths(config.optimizer, parameterLengths),
			batch * this.dim,
			...widths.flatMap(units => [batch * units, batch * units, batch * units]),
			batch * widest, batch * widest,
			Math.max(...widths.map((units, i) => (i === 0 ? 0 : inputs[i] * units))),
			evalRows * this.dim, evalRows * widest, evalRows * widest,
		];
		this.arena = new KernelArena(KernelArena.floats(lengths));
		this.kernels = this.arena.kernels;
		const allocate = (length: number) => this.arena.allocate(length);
		this.weights = new MlpWeights(tf, config, shape, seed, allocate);
		({paramCount: this.paramCount, parameters: this.parameters, layers: this.layers} = this.weights);
		this.gradients_ = this.parameters.map(values => allocate(values.length));
		this.x = allocate(batch * this.dim);
		this.buffers = this.layers.map(layer => {
			const z = allocate(batch * layer.units);
			const y = allocate(batch * layer.units);
			const out = allocate(batch * layer.units);
			return {z, y, out: layer.dropout ? out : y};
		});
		this.dz = allocate(batch * widest);
		this.dInput = allocate(batch * widest);
		this.transposed = allocate(Math.max(...this.layers.map((layer, i) => (i === 0 ? 0 : layer.inputs * layer.units))));
		this.evalX = allocate(evalRows * this.dim);
		this.evalPing = allocate(evalRows * widest);
		this.evalPong = allocate(evalRows * widest);
		this.optimizer = makeArrayOptimizer(config.optimizer, config.learningRate, tf.backend().epsilon(), {arena: this.arena});
	}

	trainBatch(x: Float32Array, y: Int32Array, rows: number): void {
		this.step(x, y, rows, true);
		this.optimizer.update(this.parameters, this.gradients_);
	}

	/** Gradients of the batch's mean loss with respect to `parameters` (copies), in training mode (draws dropout masks). */
	gradients(x: Float32Array, y: Int32Array, rows: number): Float32Array[] {
		this.step(x, y, rows, false);
		return this.gradients_.map(values => values.slice());
	}

	takeSums(): {loss: number; correct: number} {
		const sums = {loss: this.loss, correct: this.correct};
		this.loss = 0;
		this.correct = 0;
		return sums;
	}

	evaluate(set: ImageSet): {loss: number; accuracy: number} {
		const {dim, classes, kernels} = this;
		let loss = 0;
		let correct = 0;
		for (let start = 0; start < set.n; start += EVAL_CHUNK) {
			const rows = Math.min(EVAL_CHUNK, set.n - start);
			this.evalX.set(set.x.subarray(start * dim, (start + rows) * dim));
			let input = this.evalX;
			for (const [i, layer] of this.layers.entries()) {
				const output = (i % 2 === 0 ? this.evalPing : this.evalPong).subarray(0, rows * layer.units);
				kernels.gemm_nn(at(input), at(this.parameters[layer.kernel]), at(output), rows, layer.inputs, layer.units, at(this.parameters[layer.bias!]));
				if (layer.hidden) {
					activate(this.config.activation, output, output);
				}

				input = output;
			}

			const sums = lossOf(this.config.loss, input, set.y.subarray(start, start + rows), rows, classes, undefined);
			loss += sums.loss;
			correct += sums.correct;
		}

		return {loss: loss / set.n, accuracy: correct / set.n};
	}

	snapshot(): WeightsSnapshot {
		return this.weights.snapshot();
	}

	dispose(): void {}

	/** Forward and backward pass of one batch; gradients land in gradients_. With `record`, the batch joins the epoch's sums. */
	private step(x: Float32Array, labels: Int32Array, rows: number, record: boolean): void {
		const {kernels, layers, buffers, parameters, gradients_: grads} = this;
		const masks = this.weights.drawMasks(rows);
		const xs = this.x.subarray(0, rows * this.dim);
		xs.set(x.length === xs.length ? x : x.subarray(0, xs.length));
		let input = xs;
		for (const [i, layer] of layers.entries()) {
			const {z, y, out} = buffers[i];
			const n = rows * layer.units;
			kernels.gemm_nn(at(input), at(parameters[layer.kernel]), at(z), rows, layer.inputs, layer.units, at(parameters[layer.bias!]));
			if (layer.hidden) {
				activate(this.config.activation, z.subarray(0, n), y);
				const mask = masks[i];
				if (mask) {
					for (let j = 0; j < n; j++) {
						out[j] = y[j] * mask[j];
					}
				}
			}

			input = layer.hidden ? out : z;
		}

		const last = layers.length - 1;
		const dz = this.dz.subarray(0, rows * layers[last].units);
		const sums = lossOf(this.config.loss, buffers[last].z.subarray(0, dz.length), labels, rows, this.classes, dz);
		if (record) {
			this.loss += sums.loss;
			this.correct += sums.correct;
		}

		for (let i = last; i >= 0; i--) {
			const layer = layers[i];
			const delta = this.dz.subarray(0, rows * layer.units);
			const layerInput = i === 0 ? xs : buffers[i - 1].out;
			kernels.gemm_tn(at(layerInput), at(delta), at(grads[layer.kernel]), rows, layer.inputs, layer.units);
			columnSums(delta, rows, layer.units, grads[layer.bias!]);
			if (i === 0) {
				break;
			}

			// dL/d(input) = dz . W^T, then back through the previous layer's dropout and activation into dz.
			kernels.transpose(at(parameters[layer.kernel]), at(this.transposed), layer.inputs, layer.units);
			const dInput = this.dInput.subarray(0, rows * layer.inputs);
			kernels.gemm_nn(at(delta), at(this.transposed), at(dInput), rows, layer.units, layer.inputs, 0);
			const mask = masks[i - 1];
			if (mask) {
				for (let j = 0; j < dInput.length; j++) {
					dInput[j] *= mask[j];
				}
			}

			const previous = buffers[i - 1];
			activationGradient(this.config.activation, dInput, previous.z, previous.y, this.dz.subarray(0, dInput.length));
		}
	}
}

function columnSums(matrix: Float32Array, rows: number, cols: number, into: Float32Array): void {
	into.fill(0);
	for (let r = 0; r < rows; r++) {
		const offset = r * cols;
		for (let c = 0; c < cols; c++) {
			into[c] += matrix[offset + c];
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
 * lean.ts' activate). One loop per activation, so each loop stays monomorphic.
 */
function activate(activation: Activation, z: Float32Array, y: Float32Array): void {
	const n = z.length;
	switch (activation) {
		case 'relu': {
			for (let i = 0; i < n; i++) {
				y[i] = z[i] > 0 ? z[i] : 0;
			}

			break;
		}

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

		case 'leakyRelu': {
			for (let i = 0; i < n; i++) {
				y[i] = z[i] > 0 ? z[i] : LEAKY_RELU_ALPHA * z[i];
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

/** dz = dy * act'(z), with act' as tfjs' gradients compute it (some from y = act(z)). `dz` may be `dy`. */
function activationGradient(activation: Activation, dy: Float32Array, z: Float32Array, y: Float32Array, dz: Float32Array): void {
	const n = dy.length;
	switch (activation) {
		case 'relu': {
			for (let i = 0; i < n; i++) {
				dz[i] = z[i] > 0 ? dy[i] : 0;
			}

			break;
		}

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

		case 'leakyRelu': {
			for (let i = 0; i < n; i++) {
				dz[i] = z[i] > 0 ? dy[i] : LEAKY_RELU_ALPHA * dy[i];
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
