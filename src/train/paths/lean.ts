/**
 * The lean training path: MLPs on tfjs kernels, where WebAssembly SIMD is missing (elsewhere every network
 * takes the SIMD path, paths/simd.ts), and the reference the SIMD path is tested against:
 * the same network, initialisation, loss and optimizer rules as the Keras-style layers of paths/layers.ts,
 * computed the way tfjs-backend-wasm is fast:
 * - each Dense layer is one `_FusedMatMul` (matmul + bias + activation) forward, and its gradient is
 *   written by hand with an explicit transpose and a plain matMul, because wasm's XNNPACK path
 *   refuses transposed operands and the autodiff gradient falls to a scalar loop 8-10x slower;
 * - the first layer computes no gradient for its input (the pixels);
 * - weights live in Float32Arrays and the optimizer updates them with one kernel call per array
 *   (math/optimizers.ts), which at batch 32 is cheaper than ~100 tiny optimizer kernels;
 * - dropout masks come from a seeded generator per layer, fresh for every batch (net-weights.ts).
 */
import type * as TF from '@tensorflow/tfjs';
import type {ImageSet} from '../../data/load.js';
import type {Activation, TrialConfig} from '../../types.js';
import type {Tf} from '../backend.js';
import {activateTensor, LEAKY_RELU_ALPHA} from '../math/activations.js';
import {BN_EPSILON, updateMovingStatistic} from '../math/batch-norm.js';
import {lossFromLogits} from '../math/losses.js';
import {type ArrayOptimizer, makeArrayOptimizer, weightDecayOf} from '../math/optimizers.js';
import type {ModelShape} from '../model.js';
import {ArrayTrainer, type DenseLayer, NetWeights} from '../net-weights.js';
import {BackendSums, countCorrect, evaluateInChunks, type Trainer} from '../trainer.js';

/** Activations the wasm `_FusedMatMul` kernel applies itself (its FusableActivation enum). */
type FusedActivation = 'linear' | 'relu' | 'sigmoid' | 'elu' | 'leakyrelu';

const FUSED: Partial<Record<Activation, FusedActivation>> = {
	linear: 'linear',
	relu: 'relu',
	sigmoid: 'sigmoid',
	elu: 'elu',
	leakyRelu: 'leakyrelu',
};

/** Whether the lean path trains this config; anything else takes the Keras-style layers. */
export function leanCovers(config: TrialConfig): boolean {
	return config.model === 'mlp';
}

interface LayerPlan extends DenseLayer {
	/** Folded into the matmul when nothing stands between them. */
	fused: FusedActivation;
	/** Applied as its own op (after batch norm, or for activations the kernel cannot fuse). */
	separate?: Activation;
}

/** A trial's MLP on the lean path; weights, their order and initialisation as in net-weights.ts. */
export class LeanMlp extends ArrayTrainer implements Trainer {
	readonly trainingPath = 'lean';
	readonly paramCount: number;
	readonly parameters: Float32Array[];
	readonly shapes: number[][];
	readonly movingStatistics: Float32Array[];
	protected readonly weights: NetWeights;
	private readonly layers: LayerPlan[];
	protected readonly optimizer: ArrayOptimizer;
	private readonly sums: BackendSums;
	private readonly dim: number;
	private readonly gradientBuffers: Float32Array[];
	private readonly transposed: Float32Array;
	private readonly reader: TensorReader;

	constructor(private readonly tf: Tf, private readonly config: TrialConfig, shape: ModelShape, seed: number) {
		super();
		this.dim = shape.imageShape[0] * shape.imageShape[1] * shape.imageShape[2];
		this.weights = new NetWeights(tf, config, shape, seed);
		({paramCount: this.paramCount, parameters: this.parameters, shapes: this.shapes, movingStatistics: this.movingStatistics} = this.weights);
		this.layers = this.weights.layers.map(layer => {
			const fused = layer.hidden && !config.batchNorm ? FUSED[config.activation] : undefined;
			return {...layer, fused: fused ?? 'linear', separate: layer.hidden && !fused ? config.activation : undefined};
		});
		this.optimizer = makeArrayOptimizer(config.optimizer, config.learningRate, tf.backend().epsilon(), {weightDecay: weightDecayOf(config)});
		this.sums = new BackendSums(tf);
		this.gradientBuffers = this.parameters.map(values => new Float32Array(values.length));
		this.transposed = new Float32Array(config.batchSize * this.dim);
		this.reader = tensorReader(tf);
	}

	trainBatch(x: Float32Array, y: Int32Array, rows: number): void {
		this.step(x, y, rows, true, this.gradientBuffers);
		this.optimizer.update(this.parameters, this.gradientBuffers);
	}

	/**
	 * Gradients of the batch's mean loss with respect to `parameters` (new arrays), in training mode:
	 * draws dropout masks and moves the batch-norm statistics like a training step does.
	 */
	gradients(x: Float32Array, y: Int32Array, rows: number): Float32Array[] {
		const grads = this.parameters.map(values => new Float32Array(values.length));
		this.step(x, y, rows, false, grads);
		return grads;
	}

	/** Forward and backward pass of one batch; gradients land in `into`. With `record`, the batch joins the epoch's sums. */
	private step(x: Float32Array, y: Int32Array, rows: number, record: boolean, into: Float32Array[]): void {
		const {tf, dim} = this;
		const masks = this.weights.drawMasks(rows);
		// The first layer's weight gradient needs the batch transposed; a strided copy here is cheaper than wasm's Transpose kernel.
		const xt = this.transposed.subarray(0, rows * dim);
		for (let i = 0; i < rows; i++) {
			const offset = i * dim;
			for (let j = 0; j < dim; j++) {
				xt[(j * rows) + i] = x[offset + j];
			}
		}

		const statistics: TF.Tensor[] = [];
		try {
			tf.tidy(() => {
				const xs = tf.tensor2d(x.length === rows * dim ? x : x.subarray(0, rows * dim), [rows, dim]);
				const xsT = tf.tensor2d(xt, [dim, rows]);
				const ys = tf.tensor1d(y.length === rows ? y : y.subarray(0, rows), 'int32');
				const params = this.parameters.map((values, i) => tf.tensor(values, this.shapes[i]));
				let correct: TF.Scalar | undefined;
				const {value, grads} = tf.valueAndGrads((...ps: TF.Tensor[]) => {
					const logits = this.forward(ps, xs, {masks, statistics, inputTransposed: xsT});
					correct = record ? tf.keep(countCorrect(tf, logits, ys)) : undefined;
					return lossFromLogits(tf, this.config.loss, logits, ys, this.config.labelSmoothing);
				})(params);
				for (const [i, grad] of grads.entries()) {
					this.reader.read(grad, into[i]);
				}

				if (record) {
					this.sums.add(tf.keep(tf.mul(value, rows)), correct!);
				}
			});
			this.updateMovingStatistics(statistics);
		} finally {
			for (const tensor of statistics) {
				tensor.dispose();
			}
		}
	}

	setLearningRate(rate: number): void {
		this.optimizer.setLearningRate(rate);
	}

	takeSums(): {loss: number; correct: number} {
		return this.sums.take();
	}

	evaluate(set: ImageSet): {loss: number; accuracy: number} {
		const {tf} = this;
		return tf.tidy(() => {
			const params = this.parameters.map((values, i) => tf.tensor(values, this.shapes[i]));
			const moving = this.movingStatistics.map(values => tf.tensor1d(values));
			return evaluateInChunks(tf, set, (xs, ys) => {
				const logits = this.forward(params, xs, {moving});
				return [tf.mul(lossFromLogits(tf, this.config.loss, logits, ys), xs.shape[0]), countCorrect(tf, logits, ys)];
			});
		});
	}

	dispose(): void {
		this.sums.dispose();
	}

	/**
	 * Logits of a batch. Training mode (`masks` given) applies dropout and normalises with the batch's
	 * own statistics, which it hands out through `statistics` (kept; the caller disposes them).
	 */
	private forward(ps: TF.Tensor[], xs: TF.Tensor2D, mode: {masks: ReadonlyArray<Float32Array | undefined>; statistics: TF.Tensor[]; inputTransposed: TF.Tensor2D} | {moving: TF.Tensor1D[]}): TF.Tensor2D {
		const {tf} = this;
		let h = xs;
		for (const [i, layer] of this.layers.entries()) {
			const bias = layer.bias === undefined ? undefined : ps[layer.bias] as TF.Tensor1D;
			h = i === 0 && 'masks' in mode
				? firstDense(tf, h, mode.inputTransposed, ps[layer.kernel] as TF.Tensor2D, bias, layer.fused)
				: dense(tf, h, ps[layer.kernel] as TF.Tensor2D, bias, layer.fused);
			if (layer.gamma !== undefined && layer.beta !== undefined && layer.moving !== undefined) {
				if ('masks' in mode) {
					const {mean, variance} = tf.moments(h, 0);
					mode.statistics.push(tf.keep(mean), tf.keep(variance));
					h = tf.batchNorm(h, mean, variance, ps[layer.beta] as TF.Tensor1D, ps[layer.gamma] as TF.Tensor1D, BN_EPSILON) as TF.Tensor2D;
				} else {
					h = tf.batchNorm(h, mode.moving[layer.moving], mode.moving[layer.moving + 1], ps[layer.beta] as TF.Tensor1D, ps[layer.gamma] as TF.Tensor1D, BN_EPSILON);
				}
			}

			if (layer.separate) {
				h = activateTensor(tf, h, layer.separate);
			}

			const mask = 'masks' in mode ? mode.masks[i] : undefined;
			if (mask) {
				h = tf.mul(h, tf.tensor2d(mask, h.shape));
			}
		}

		return h;
	}

	/** Moves each batch-norm layer's moving mean and variance towards the batch's. */
	private updateMovingStatistics(statistics: TF.Tensor[]): void {
		for (const [k, tensor] of statistics.entries()) {
			updateMovingStatistic(this.movingStatistics[k], tensor.dataSync());
		}
	}
}

/**
 * `act(x W + b)` as one fused kernel, with a hand-written gradient that uses only untransposed
 * matmuls (the transposes are separate kernels, cheap next to a transposed matmul on wasm).
 */
function dense(tf: Tf, x: TF.Tensor2D, w: TF.Tensor2D, b: TF.Tensor1D | undefined, activation: FusedActivation): TF.Tensor2D {
	const op = tf.customGrad((...args: Array<TF.Tensor | TF.GradSaveFunc>) => {
		const save = args.at(-1) as TF.GradSaveFunc;
		const y = fusedMatMul(tf, x, w, b, activation);
		// The tape frees intermediate tensors after the forward pass: whatever the gradient reads is saved.
		save([y, x]);
		return {
			value: y,
			gradFunc(dy: TF.Tensor2D, saved: TF.Tensor[]) {
				const [savedY, savedX] = saved as TF.Tensor2D[];
				const dz = activationGradient(tf, dy, savedY, activation);
				const grads = [tf.matMul(dz, tf.transpose(w)), tf.matMul(tf.transpose(savedX), dz)];
				return b ? [...grads, tf.sum(dz, 0)] : grads;
			},
		};
	});
	return op(...[x, w, ...(b ? [b] : [])]) as TF.Tensor2D;
}

/**
 * The first Dense layer: its input is the data, so no gradient for it, and the weight gradient
 * reads the batch already transposed (`xt`, built on the JS side).
 */
function firstDense(tf: Tf, x: TF.Tensor2D, xt: TF.Tensor2D, w: TF.Tensor2D, b: TF.Tensor1D | undefined, activation: FusedActivation): TF.Tensor2D {
	const op = tf.customGrad((...args: Array<TF.Tensor | TF.GradSaveFunc>) => {
		const save = args.at(-1) as TF.GradSaveFunc;
		const y = fusedMatMul(tf, x, w, b, activation);
		save([y]);
		return {
			value: y,
			gradFunc(dy: TF.Tensor2D, saved: TF.Tensor[]) {
				const dz = activationGradient(tf, dy, saved[0] as TF.Tensor2D, activation);
				const dw = tf.matMul(xt, dz);
				return b ? [dw, tf.sum(dz, 0)] : [dw];
			},
		};
	});
	return op(...[w, ...(b ? [b] : [])]) as TF.Tensor2D;
}

/**
 * The kernel itself: `tf.fused.matMul` unfuses whenever a gradient tape is open, which is always
 * while training. Inside customGrad's forward the tape is off, so calling the kernel is safe.
 */
function fusedMatMul(tf: Tf, x: TF.Tensor2D, w: TF.Tensor2D, b: TF.Tensor1D | undefined, activation: FusedActivation): TF.Tensor2D {
	const [rows, inner] = x.shape;
	const units = w.shape[1];
	const inputs: Record<string, TF.Tensor> = {a: tf.reshape(x, [1, rows, inner]), b: tf.reshape(w, [1, inner, units])};
	if (b) {
		inputs.bias = b;
	}

	const attrs = {transposeA: false, transposeB: false, activation, leakyreluAlpha: LEAKY_RELU_ALPHA};
	const y = tf.engine().runKernel('_FusedMatMul', inputs as unknown as TF.NamedTensorMap, attrs as unknown as TF.NamedAttrMap) as TF.Tensor3D;
	return tf.reshape(y, [rows, units]);
}

/** dL/dz from dL/dy and y = act(z), with tfjs' own gradient rules. */
function activationGradient(tf: Tf, dy: TF.Tensor2D, y: TF.Tensor2D, activation: FusedActivation): TF.Tensor2D {
	switch (activation) {
		case 'linear': {
			return dy;
		}

		case 'relu': {
			return tf.mul(dy, tf.step(y));
		}

		case 'sigmoid': {
			return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
		}

		case 'elu': {
			return tf.engine().runKernel('EluGrad', {dy, y}) as TF.Tensor2D;
		}

		case 'leakyrelu': {
			// y > 0 exactly where z > 0, since the slope is positive.
			return tf.where(tf.greater(y, 0), dy, tf.mul(dy, LEAKY_RELU_ALPHA)) as TF.Tensor2D;
		}
	}
}

interface TensorReader {
	/** Copies a float32 tensor's values into `into` (of the tensor's size). */
	read(tensor: TF.Tensor, into: Float32Array): void;
}

interface WasmBackendInternals {
	dataIdMap: {get(dataId: object): {memoryOffset: number} | undefined};
	wasm: {HEAPF32: Float32Array};
}

/**
 * On wasm, copies straight out of the wasm heap into a reused array: dataSync() allocates a fresh
 * buffer per call, which for the first layer's gradient costs more than the matmul that made it.
 */
function tensorReader(tf: Tf): TensorReader {
	const backend = tf.backend() as unknown as Partial<WasmBackendInternals>;
	if (tf.getBackend() === 'wasm' && backend.dataIdMap && backend.wasm) {
		const {dataIdMap, wasm} = backend as WasmBackendInternals;
		return {
			read(tensor, into) {
				const entry = dataIdMap.get(tensor.dataId);
				if (entry === undefined || tensor.dtype !== 'float32') {
					into.set(tensor.dataSync());
					return;
				}

				// HEAPF32 is replaced when the heap grows: look it up on every read.
				const start = entry.memoryOffset / Float32Array.BYTES_PER_ELEMENT;
				into.set(wasm.HEAPF32.subarray(start, start + into.length));
			},
		};
	}

	return {
		read(tensor, into) {
			into.set(tensor.dataSync());
		},
	};
}
