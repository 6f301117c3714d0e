/**
 * The SIMD training path for every MLP and CNN: the whole step (forward, loss, backward, optimizer) runs
 * on sweeplab's own WebAssembly SIMD kernels (kernels/simd.c: matrix products, direct, implicit-GEMM or Winograd
 * convolution (kernels/conv.ts, chosen per layer), max pooling, batch norm, optimizer updates) with the rest (most activations, the loss)
 * in plain JS loops (math/), on weights that live in the kernels' memory; tfjs only initialises the weights.
 * On the lean path most of a batch-32 step is tfjs' per-kernel dispatch, the weight packing XNNPACK does for
 * every matmul, and copies in and out of the wasm heap; here a step is a few kernel calls per layer and no
 * copy but the batch's. Same network, initialisation, dropout masks, loss and optimizer rules as the other paths
 * (net-weights.ts, math/); the tests check gradients and training steps against them.
 */
import type {ImageSet} from '../../data/load.js';
import type {TrialConfig} from '../../types.js';
import type {Tf} from '../backend.js';
import {convAlgorithm, convDirectFilterGradient, convDirectForward, convFilterGradient, convForward, convInputGradient, type ConvMethod, convMethod, paddedLength, tableLength, type WinogradBuffers, type WinogradPlan, winogradBackward, winogradForward, winogradKernelLength, winogradTransforms, winogradTransformsLength, winogradWorkLength} from '../kernels/conv.js';
import {ByteImages} from '../kernels/gather.js';
import {at, fusedKernelsAvailable, KernelArena, type Kernels, type KernelVariant, kernelsAvailable} from '../kernels/load.js';
import {activate, activationGradient, LEAKY_RELU_ALPHA} from '../math/activations.js';
import {BN_EPSILON, updateMovingStatistic} from '../math/batch-norm.js';
import {lossOf} from '../math/losses.js';
import {globalAveragePool, globalAveragePoolBackward} from '../math/pooling.js';
import {type ArrayOptimizer, makeArrayOptimizer, optimizerStateLengths, weightDecayOf} from '../math/optimizers.js';
import type {ModelShape} from '../model.js';
import {ArrayTrainer, type ConvLayer, type DenseLayer, NetWeights} from '../net-weights.js';
import type {Trainer} from '../trainer.js';

/** Whether the SIMD path trains this config: every MLP and CNN, where WebAssembly SIMD is available. */
export function simdCovers(_config: TrialConfig): boolean {
	return kernelsAvailable();
}

/** Whether the SIMD path's fused variant ('simd-fma': kernels/load.ts) trains this config here: where relaxed SIMD fuses. */
export function simdFmaCovers(_config: TrialConfig): boolean {
	return fusedKernelsAvailable();
}

/**
 * Rows per evaluation pass: a cnn's pass holds every layer's feature maps whole (~270 KB an image for a 5x5 32-64 CNN),
 * and an MLP's chunk of images (784 floats each) then stays in L2 from its copy into the kernels' memory to the
 * first product (the seed MLP's pass over 10,000 images: 26.5 ms of CPU at 256 rows, 28.3 ms at tfjs' EVAL_CHUNK of 2000).
 */
const EVAL_ROWS = 256;

/** softmax_cross_entropy's four sums (kernels/simd.c) as the rows' summed loss and correct predictions. */
export function crossEntropySums(sums: Float64Array): {loss: number; correct: number} {
	return {loss: sums[0] + Math.log(sums[1]) + (sums[2] * Math.LN2), correct: sums[3]};
}

/** The largest training set whose bytes a SimdNet copies into its arena for gatherBatch (Fashion-MNIST's are 47 MB). */
const GATHER_BYTES_LIMIT = 2 ** 30;

/**
 * A convolution block's buffers for one pass: the padded input, the convolution, its batch-normalised form (the
 * convolution itself without batch norm), the activation (unused where relu pools first), the pooled output and
 * the pool's winners.
 */
interface ConvBuffers {
	padded: Float32Array;
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

/** Everything a forward pass of up to `rows` rows writes, and the convolutions' offset tables (kernels/conv.ts). */
interface Pass {
	rows: number;
	input: Float32Array;
	tables: Int32Array;
	convs: ConvBuffers[];
	/** With globalPool: the last block's channel means, the first Dense layer's input. */
	pooledMeans: Float32Array;
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

type Memory = Pick<KernelArena, 'allocate' | 'allocateInt' | 'allocateF64' | 'allocateBytes'>;

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
const pooledPixels = (conv: ConvLayer): number => Math.floor(conv.height / 2) * Math.floor(conv.width / 2);
const pooledSize = (conv: ConvLayer): number => pooledPixels(conv) * conv.filters;

export class SimdNet extends ArrayTrainer implements Trainer {
	/** 'simd' or 'simd-fma' as the kernels' variant is plain or fused: their products round differently. */
	readonly trainingPath: 'simd' | 'simd-fma';
	readonly paramCount: number;
	readonly parameters: Float32Array[];
	/** Per batch-norm layer: moving mean, moving variance (as the model's non-trainable weights). */
	readonly movingStatistics: Float32Array[];
	protected readonly weights: NetWeights;
	/** How each convolution runs ('implicit GEMM', 'Winograd F(4x4, 5x5)': kernels/conv.ts convAlgorithm), for reports. */
	readonly convAlgorithms: string[];
	private readonly convs: ConvLayer[];
	/** Per convolution, its Winograd plan and arrays (the transformed kernel kept from forward to backward), or undefined: implicit GEMM. */
	private readonly winograd: Array<(WinogradBuffers & {plan: WinogradPlan}) | undefined>;
	/** Per convolution, how it runs (kernels/conv.ts convMethod). */
	private readonly methods: ConvMethod[];
	/**
	 * Per convolution, whether its passes pool as well (kernels/conv.ts FusedPool), where relu pools first and there is
	 * no batch norm: a Winograd layer, and a direct one that needs no input gradient (its full output gradient would
	 * feed implicit GEMM's). z is then never written, nor its gradient.
	 */
	private readonly fusedPool: boolean[];
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
	/**
	 * A convolution block's dL/dz (after the pool's gradient), the same padded and the kernel turned for the input
	 * gradient (kernels/conv.ts), and dL/d(its input feature map).
	 */
	private readonly dConv: Float32Array;
	private readonly dPadded: Float32Array;
	private readonly flipped: Float32Array;
	private readonly dFeatures: Float32Array;
	/** With globalPool: dL/d(the last block's pooled map), spread back from its channel means. */
	private readonly dPooled: Float32Array;
	protected readonly optimizer: ArrayOptimizer;
	private readonly dim: number;
	private readonly classes: number;
	/**
	 * With relu, a conv block pools before it activates: max and relu commute, and the pool's winner by z gets the
	 * gradient relu'(z) = 0 wherever the winner by relu(z) differs (every input <= 0), so the gradients are the same,
	 * and relu and its gradient run on a quarter of the values. Other activations keep tfjs' order (ties in a
	 * saturated sigmoid, say, would move the gradient).
	 */
	private readonly poolFirst: boolean;
	/** With a training set decoded from bytes (ImageSet.bytes), a copy of those bytes in the kernels' memory: gatherBatch's source. */
	private readonly images: ByteImages | undefined;
	/** The labels of a pass (training or evaluation) for the cross-entropy kernel, and its four sums (kernels/simd.c softmax_cross_entropy). */
	private readonly labels: Int32Array;
	private readonly lossSums: Float64Array;
	private loss = 0;
	private correct = 0;

	/** `train`, where given, is the set gatherBatch gathers from (trainTrial's training set). */
	constructor(tf: Tf, private readonly config: TrialConfig, shape: ModelShape, seed: number, variant: KernelVariant = 'plain', train?: ImageSet) {
		super();
		if (!(variant === 'fma' ? simdFmaCovers(config) : simdCovers(config))) {
			throw new RangeError(`SimdNet: this config or this runtime is not covered (check ${variant === 'fma' ? 'simdFmaCovers' : 'simdCovers'} first)`);
		}

		this.trainingPath = variant === 'fma' ? 'simd-fma' : 'simd';

		this.dim = shape.imageShape[0] * shape.imageShape[1] * shape.imageShape[2];
		this.poolFirst = config.activation === 'relu';
		this.classes = shape.numClasses;
		this.weights = new NetWeights(tf, config, shape, seed);
		({paramCount: this.paramCount, convs: this.convs, layers: this.layers, movingStatistics: this.movingStatistics} = this.weights);
		this.methods = this.convs.map(conv => convMethod(conv));
		this.fusedPool = this.convs.map((conv, l) => this.poolFirst && conv.gamma === undefined && (this.methods[l].kind === 'winograd' || (this.methods[l].kind === 'direct' && l === 0)));
		this.convAlgorithms = this.convs.map(conv => convAlgorithm(conv));
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
			allocateBytes: (length: number) => {
				floats += KernelArena.floats([Math.ceil(length / 4)]);
				return new Uint8Array(0);
			},
		};
		// A copy that would crowd the arena's 4 GB (WebAssembly's 32-bit addresses) is not made: the loop copies floats then.
		const bytes = train?.bytes && train.bytes.length <= GATHER_BYTES_LIMIT ? train.bytes : undefined;
		this.buffers(counting, bytes?.length);
		const arena = new KernelArena(floats, variant);
		this.kernels = arena.kernels;
		this.weights.relocate(length => arena.allocate(length));
		this.parameters = this.weights.parameters;
		({grads: this.grads, train: this.train, evaluation: this.evaluation, dz: this.dz, dInput: this.dInput, dConv: this.dConv, dPadded: this.dPadded, flipped: this.flipped, dFeatures: this.dFeatures, dPooled: this.dPooled, labels: this.labels, lossSums: this.lossSums, images: this.images, convNorms: this.convNorms, denseNorms: this.denseNorms, winograd: this.winograd} = this.buffers(arena, bytes?.length));
		for (const [l, conv] of this.convs.entries()) {
			const winograd = this.winograd[l];
			if (winograd) {
				winogradTransforms(conv, winograd.plan, winograd.transforms);
			}
		}
		if (this.images && bytes) {
			this.images.bytes.set(bytes);
		}

		this.optimizer = makeArrayOptimizer(config.optimizer, config.learningRate, tf.backend().epsilon(), {arena, weightDecay: weightDecayOf(config)});
	}

	/** Every buffer but the weights and the optimizer state, from `memory`; with `imageBytes`, room for a training set's bytes (ByteImages). */
	private buffers(memory: Memory, imageBytes: number | undefined) {
		const {convs, layers, dim, config} = this;
		const allocate = (length: number) => memory.allocate(length);
		const batch = config.batchSize;
		const pooledMeans = (rows: number) => allocate(config.globalPool && convs.length > 0 ? rows * convs.at(-1)!.filters : 0);
		// Winograd layers read their input unpadded and need no offset tables, nor do direct ones forward: only implicit GEMM's passes take room for those.
		const plans = this.methods.map(method => (method.kind === 'winograd' ? method.plan : undefined));
		// A direct layer after the first takes its input gradient by implicit GEMM, so it needs the tables too.
		const gemmConvs = convs.filter((_, l) => this.methods[l].kind === 'implicit GEMM' || (l > 0 && this.methods[l].kind === 'direct'));
		const gemmInputGradients = convs.filter((_, l) => l > 0 && !plans[l]);
		const work = allocate(Math.max(0, ...convs.map((conv, l) => (plans[l] ? winogradWorkLength(conv, plans[l]) : 0))));
		// Evaluation activates in place and never applies dropout: one buffer per layer, where training keeps z, y and the masked output.
		const pass = (rows: number, training: boolean): Pass => ({
			rows,
			input: allocate(rows * dim),
			tables: memory.allocateInt(Math.max(0, ...gemmConvs.map(conv => tableLength(conv, rows)))),
			convs: convs.map((conv, l) => {
				const size = rows * pixels(conv) * conv.filters;
				const z = allocate(this.fusedPool[l] ? 0 : size);
				return {
					padded: allocate(plans[l] ? 0 : paddedLength(conv, rows, conv.channels)),
					z,
					a: training && conv.gamma !== undefined ? allocate(size) : z,
					y: training && !this.poolFirst ? allocate(size) : z,
					pooled: allocate(rows * pooledSize(conv)),
					which: memory.allocateInt(rows * pooledSize(conv)),
				};
			}),
			pooledMeans: pooledMeans(rows),
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
			evaluation: pass(EVAL_ROWS, false),
			dz: allocate(batch * widest),
			dInput: allocate(batch * widest),
			dConv: allocate(batch * Math.max(0, ...convs.map(conv => pixels(conv) * conv.filters))),
			dPadded: allocate(Math.max(0, ...gemmInputGradients.map(conv => paddedLength(conv, batch, conv.filters)))),
			flipped: allocate(Math.max(0, ...gemmInputGradients.map(conv => conv.kernelSize * conv.kernelSize * conv.channels * conv.filters))),
			dFeatures: allocate(batch * Math.max(0, ...convs.slice(1).map(conv => pixels(conv) * conv.channels))),
			dPooled: allocate(config.globalPool && convs.length > 0 ? batch * pooledSize(convs.at(-1)!) : 0),
			labels: memory.allocateInt(Math.max(batch, EVAL_ROWS)),
			lossSums: memory.allocateF64(4),
			images: imageBytes === undefined ? undefined : new ByteImages(memory, imageBytes, batch),
			convNorms: convs.map(conv => normOf(conv, conv.filters, memory)),
			denseNorms: layers.map(layer => normOf(layer, layer.units, memory)),
			winograd: convs.map((conv, l) => {
				const plan = plans[l];
				return plan && {plan, work, transforms: allocate(winogradTransformsLength(conv, plan)), u: allocate(winogradKernelLength(conv, plan))};
			}),
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

	setLearningRate(rate: number): void {
		this.optimizer.setLearningRate(rate);
	}

	batchInput(): Float32Array {
		return this.train.input;
	}

	/**
	 * Gathers images order[start, start + rows) of the training set given to the constructor into batchInput(), from
	 * the kernels' copy of its bytes (kernels/simd.c gather_bytes: the same floats as the set's x, a quarter of the
	 * memory traffic); false, gathering nothing, where there is no such copy.
	 */
	gatherBatch(order: Uint32Array, start: number, rows: number): boolean {
		const {images} = this;
		if (!images) {
			return false;
		}

		images.gather(this.kernels, order, start, rows, this.dim, this.train.input);
		return true;
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
			const sums = this.lossOf(logits, set.y.subarray(start, start + rows), rows, undefined);
			loss += sums.loss;
			correct += sums.correct;
		}

		return {loss: loss / set.n, accuracy: correct / set.n};
	}

	dispose(): void {}

	/** Summed loss and correct predictions of `rows` rows of logits, and with dLogits the mean loss's gradient: cross-entropy as a kernel, the others in JS (math/losses.ts). */
	private lossOf(logits: Float32Array, labels: Int32Array | Uint8Array, rows: number, dLogits: Float32Array | undefined): {loss: number; correct: number} {
		const {config, classes} = this;
		if (config.loss !== 'sparseCategoricalCrossentropy') {
			return lossOf(config.loss, logits, labels, rows, classes, dLogits);
		}

		this.labels.set(labels);
		this.kernels.softmax_cross_entropy(at(logits), at(this.labels), rows, classes, config.labelSmoothing, dLogits ? at(dLogits) : 0, at(this.lossSums));
		return crossEntropySums(this.lossSums);
	}

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
			updateMovingStatistic(movingMean, mean);
			updateMovingStatistic(movingVariance, variance);
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

	/**
	 * Logits of the first `rows` rows of `pass.input`; `masks` (training) applies dropout. The conv blocks and the Dense
	 * layers are methods of their own, as are their backward passes: V8 optimises a function after a number of calls that
	 * grows with its bytecode, and an MLP's passes, inside one method with the conv blocks', ran unoptimised for the
	 * first ~900 steps (two epochs at batch 128) and were compiled in the second.
	 */
	private forward(pass: Pass, rows: number, masks: ReadonlyArray<Float32Array | undefined> | undefined): Float32Array {
		return this.denseForward(pass, rows, masks, this.convs.length > 0 ? this.convForward(pass, rows, Boolean(masks)) : pass.input);
	}

	/** The conv blocks' forward pass (and global pooling): the first Dense layer's input. */
	private convForward(pass: Pass, rows: number, training: boolean): Float32Array {
		const {kernels, parameters, config} = this;
		let input = pass.input;
		for (const [l, conv] of this.convs.entries()) {
			const {padded, z, a, y, pooled, which} = pass.convs[l];
			const positions = rows * pixels(conv);
			const kernel = parameters[conv.kernel];
			const bias = conv.bias === undefined ? undefined : parameters[conv.bias];
			const winograd = this.winograd[l];
			const fused = this.fusedPool[l];
			if (winograd) {
				winogradForward(kernels, conv, winograd.plan, rows, {...winograd, input, kernel, bias, z, pool: fused ? {pooled, which} : undefined});
			} else if (this.methods[l].kind === 'direct') {
				convDirectForward(kernels, conv, rows, {input, padded, kernel, bias, z, pool: fused ? {pooled, which} : undefined});
			} else {
				convForward(kernels, conv, rows, {input, padded, tables: pass.tables, kernel, bias, z});
			}

			const norm = this.convNorms[l];
			if (norm) {
				this.normalize(z, a, positions, conv.filters, norm, training);
			}

			if (this.poolFirst) {
				if (!fused) {
					kernels.maxpool(at(a), at(pooled), at(which), rows, conv.height, conv.width, conv.filters);
				}

				kernels.relu(at(pooled), at(pooled), rows * pooledSize(conv));
			} else {
				this.activate(a.subarray(0, positions * conv.filters), y);
				kernels.maxpool(at(y), at(pooled), at(which), rows, conv.height, conv.width, conv.filters);
			}

			input = pooled;
		}

		if (config.globalPool) {
			const last = this.convs.at(-1)!;
			globalAveragePool(input, pass.pooledMeans, rows, pooledPixels(last), last.filters);
			input = pass.pooledMeans;
		}

		return input;
	}

	/** The Dense layers' forward pass from `input`: the logits. */
	private denseForward(pass: Pass, rows: number, masks: ReadonlyArray<Float32Array | undefined> | undefined, input: Float32Array): Float32Array {
		const {kernels, parameters} = this;
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
		const {train} = this;
		const masks = this.weights.drawMasks(rows);
		if (x !== train.input) {
			train.input.set(x.subarray(0, rows * this.dim));
		}

		const logits = this.forward(train, rows, masks);
		const sums = this.lossOf(logits, labels.subarray(0, rows), rows, this.dz.subarray(0, logits.length));
		if (record) {
			this.loss += sums.loss;
			this.correct += sums.correct;
		}

		this.denseBackward(rows, masks);
		if (this.convs.length > 0) {
			this.convBackward(rows);
		}
	}

	/** Back through the Dense layers from dL/d(logits) in dz: their gradients, and (under conv blocks) dL/d(their input) in dInput. */
	private denseBackward(rows: number, masks: ReadonlyArray<Float32Array | undefined>): void {
		const {kernels, layers, convs, parameters, grads, train, config} = this;
		const inputOf = (i: number): Float32Array => {
			if (i > 0) {
				return train.dense[i - 1].out;
			}

			if (convs.length === 0) {
				return train.input;
			}

			return config.globalPool ? train.pooledMeans : train.convs.at(-1)!.pooled;
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
			const dInput = this.dInput.subarray(0, rows * layer.inputs);
			kernels.gemm_nt(at(delta), at(parameters[layer.kernel]), at(dInput), rows, layer.units, layer.inputs);
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

	}

	/** Back through the conv blocks from dL/d(the Dense layers' input) in dInput: their gradients. */
	private convBackward(rows: number): void {
		const {kernels, convs, parameters, grads, train, config} = this;
		let dOutput = this.dInput;
		if (config.globalPool) {
			const last = convs.at(-1)!;
			globalAveragePoolBackward(this.dInput, this.dPooled, rows, pooledPixels(last), last.filters);
			dOutput = this.dPooled;
		}

		for (let l = convs.length - 1; l >= 0; l--) {
			const conv = convs[l];
			const {padded, z, a, y, pooled, which} = train.convs[l];
			const positions = rows * pixels(conv);
			const dz = this.dConv.subarray(0, positions * conv.filters);
			const outputs = rows * pooledSize(conv);
			const fused = this.fusedPool[l];
			if (this.poolFirst) {
				// relu'(z) at the winner is pooled > 0. A bias's gradient, the column sums of dz, is the sums of the pooled gradient, which dz only spreads out.
				kernels.relu_backward(at(dOutput), at(pooled), at(dOutput), outputs);
				if (conv.bias !== undefined) {
					kernels.column_sums(at(dOutput), at(grads[conv.bias]), outputs / conv.filters, conv.filters);
				}

				if (!fused) {
					kernels.maxpool_backward(at(dOutput), at(which), at(dz), rows, conv.height, conv.width, conv.filters);
				}
			} else {
				kernels.maxpool_backward(at(dOutput), at(which), at(dz), rows, conv.height, conv.width, conv.filters);
				this.activationGradient(dz, a, y, dz);
			}

			const norm = this.convNorms[l];
			if (norm) {
				this.normalizeBackward(dz, z, positions, conv.filters, norm);
			}

			if (conv.bias !== undefined && !this.poolFirst) {
				kernels.column_sums(at(dz), at(grads[conv.bias]), positions, conv.filters);
			}

			const winograd = this.winograd[l];
			if (winograd) {
				// Both gradients in one pass over the tiles (the filter gradient alone for the first convolution).
				const input = l === 0 ? train.input : train.convs[l - 1].pooled;
				winogradBackward(kernels, conv, winograd.plan, rows, {...winograd, input, dz: fused ? dOutput : dz, which: fused ? which : undefined, dkernel: grads[conv.kernel], dInput: l === 0 ? undefined : this.dFeatures});
			} else {
				if (this.methods[l].kind === 'direct') {
					// Fused, dz's room takes one row of the output gradient at a time.
					convDirectFilterGradient(kernels, conv, rows, {padded, dz: fused ? dOutput : dz, pooled: fused ? {which, row: dz} : undefined, dkernel: grads[conv.kernel]});
				} else {
					convFilterGradient(kernels, conv, rows, {padded, dz, tables: train.tables, dkernel: grads[conv.kernel]});
				}

				if (l > 0) {
					convInputGradient(kernels, conv, rows, {dz, paddedDz: this.dPadded, flipped: this.flipped, tables: train.tables, kernel: parameters[conv.kernel], dInput: this.dFeatures});
				}
			}

			if (l === 0) {
				break;
			}

			dOutput = this.dFeatures;
		}
	}
}
