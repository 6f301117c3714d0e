import type * as TF from '@tensorflow/tfjs';
import type {ImageSet} from '../data/load.js';
import type {Tf} from './backend.js';
import type {StateReader, StateWriter} from './checkpoint.js';

/**
 * Which implementation trained a trial: sweeplab's WebAssembly SIMD kernels (paths/simd.ts), with relaxed SIMD's
 * fused multiply-add in the products ('simd-fma') or without ('simd'), the lean loop on tfjs kernels
 * (paths/lean.ts), or Keras-style layers (paths/layers.ts). Each path rounds its own way: a checkpoint resumes on its own.
 */
export type TrainingPath = 'simd-fma' | 'simd' | 'lean' | 'layers';

/**
 * What trials.training_path records: the path, and where the trainer chose per layer how to run its convolutions,
 * those choices after a semicolon ('simd-fma; conv direct, Winograd F(4x4, 5x5)'), so a reviewer sees which algorithm
 * trained a trial without a schema change. trainingPathOfRecord takes the path back.
 */
export function recordedTrainingPath(path: string, convAlgorithms?: readonly string[]): string {
	return convAlgorithms && convAlgorithms.length > 0 ? `${path}; conv ${convAlgorithms.join(', ')}` : path;
}

/** The training path of a recorded trials.training_path (recordedTrainingPath's inverse on its first part). */
export function trainingPathOfRecord(recorded: string): string {
	return recorded.split(';')[0];
}

/**
 * One trial's network and optimizer behind the epoch loop of trainTrial. The loop owns shuffling,
 * batching, hooks, divergence and stopping; a trainer owns the weights and how a step is computed.
 */
export interface Trainer {
	readonly trainingPath: TrainingPath;
	readonly paramCount: number;
	/** Where the trainer chooses per layer how to run a convolution (the SIMD path: kernels/conv.ts convAlgorithm), its choices. */
	readonly convAlgorithms?: readonly string[];
	/** One optimisation step on the first `rows` rows of the batch buffers; loss and hits stay on the backend. */
	trainBatch(x: Float32Array, y: Int32Array, rows: number): void;
	/** Where it has one, the trainer's own batch input (batch size x image floats): a batch gathered there is read in place, not copied. */
	batchInput?(): Float32Array;
	/**
	 * Where it keeps its own copy of the training set it was built with, gathers images order[start, start + rows) of
	 * it into batchInput() and returns true: the loop's copy from the set's floats, done faster. False otherwise.
	 */
	gatherBatch?(order: Uint32Array, start: number, rows: number): boolean;
	/** Summed (not mean) loss and correct predictions of the batches since the last call, read once. */
	takeSums(): {loss: number; correct: number};
	/** Mean loss and accuracy on a set in inference mode (dropout off, batch-norm moving statistics). */
	evaluate(set: ImageSet): {loss: number; accuracy: number};
	/** A copy of the current weights (and batch-norm statistics), for early stopping's restoreBest. */
	snapshot(): WeightsSnapshot;
	/** The learning rate of the steps from now on (a schedule's; the config's learningRate until called). */
	setLearningRate(rate: number): void;
	/** A snapshot of weights a snapshot's arrays() gave (the best epoch's, read back from a checkpoint). */
	snapshotFrom(arrays: Float32Array[]): WeightsSnapshot;
	/**
	 * Writes everything the next epochs depend on: weights, batch-norm moving statistics, optimizer state
	 * (slots, bias-correction powers, step count) and the dropout streams' positions.
	 */
	saveState(state: StateWriter): Promise<void>;
	/** Restores saveState's sections into a freshly built trainer of the same config and seed. Throws CheckpointError on a mismatch. */
	loadState(state: StateReader): Promise<void>;
	/** Frees every tensor the trainer holds. */
	dispose(): void;
}

export interface WeightsSnapshot {
	/** The copied weights in the order of the Keras-style model's getWeights() (trainable, then moving statistics). */
	arrays(): Float32Array[];
	/** Put the copied weights back into the trainer. */
	restore(): void;
	/** Free the copy (a no-op where it is plain memory). */
	dispose(): void;
}

/** Rows per forward pass when evaluating: large enough to amortise dispatch, small enough for wasm memory. */
export const EVAL_CHUNK = 2000;

/** Running sums on the backend: adding a batch's figures is two kernels, reading them one sync. */
export class BackendSums {
	private loss: TF.Scalar | undefined;
	private correct: TF.Scalar | undefined;

	constructor(private readonly tf: Tf) {}

	/** Takes ownership of both scalars. */
	add(loss: TF.Scalar, correct: TF.Scalar): void {
		this.loss = this.accumulate(this.loss, loss);
		this.correct = this.accumulate(this.correct, correct);
	}

	take(): {loss: number; correct: number} {
		const result = {loss: this.loss?.dataSync()[0] ?? 0, correct: this.correct?.dataSync()[0] ?? 0};
		this.dispose();
		return result;
	}

	dispose(): void {
		this.loss?.dispose();
		this.correct?.dispose();
		this.loss = undefined;
		this.correct = undefined;
	}

	private accumulate(total: TF.Scalar | undefined, increment: TF.Scalar): TF.Scalar {
		if (!total) {
			return this.tf.keep(increment);
		}

		// Kept, so that a caller's enclosing tidy cannot free the running sum.
		const sum = this.tf.keep(this.tf.add(total, increment) as TF.Scalar);
		total.dispose();
		increment.dispose();
		return sum;
	}
}

/**
 * Mean loss and accuracy of a set, in chunks of EVAL_CHUNK rows. `chunk` returns the chunk's summed
 * loss and its number of correct predictions as scalars (it runs inside a tidy).
 */
export function evaluateInChunks(tf: Tf, set: ImageSet, chunk: (xs: TF.Tensor2D, ys: TF.Tensor1D) => [TF.Scalar, TF.Scalar]): {loss: number; accuracy: number} {
	const dim = set.x.length / set.n;
	const sums = new BackendSums(tf);
	for (let start = 0; start < set.n; start += EVAL_CHUNK) {
		const rows = Math.min(EVAL_CHUNK, set.n - start);
		sums.add(...tf.tidy(() => {
			const xs = tf.tensor2d(set.x.subarray(start * dim, (start + rows) * dim), [rows, dim]);
			const ys = tf.tensor1d(Int32Array.from(set.y.subarray(start, start + rows)), 'int32');
			return chunk(xs, ys);
		}));
	}

	const {loss, correct} = sums.take();
	return {loss: loss / set.n, accuracy: correct / set.n};
}

/** Number of rows whose largest logit is the label's, as a float scalar. */
export function countCorrect(tf: Tf, logits: TF.Tensor2D, labels: TF.Tensor1D): TF.Scalar {
	return tf.cast(tf.sum(tf.equal(tf.argMax(logits, 1), labels)), 'float32') as TF.Scalar;
}
