/**
 * The losses of the sweep format, computed from a batch's logits: as tfjs ops (the lean and layers paths,
 * with autodiff) and as JS loops with their gradient written out (the SIMD path). Tests check the loops'
 * gradients and training steps against autodiff through the tfjs form.
 */
import type * as TF from '@tensorflow/tfjs';
import type {LossName} from '../../types.js';
import type {Tf} from '../backend.js';
import {exp} from './exp.js';

/**
 * Mean loss of a batch from logits and integer labels. Cross-entropy uses the fused, stable
 * softmax-cross-entropy; the other losses compare softmax probabilities with the one-hot labels.
 * `labelSmoothing` s (cross-entropy only; the schema refuses it with the others) trains against
 * (1 - s) one-hot + s / classes, tfjs' and Keras' rule.
 */
export function lossFromLogits(tf: Tf, name: LossName, logits: TF.Tensor2D, labels: TF.Tensor1D, labelSmoothing = 0): TF.Scalar {
	const numClasses = logits.shape[1];
	const oneHot = tf.oneHot(labels, numClasses);
	switch (name) {
		case 'sparseCategoricalCrossentropy': {
			return tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, labelSmoothing);
		}

		case 'meanSquaredError': {
			return tf.losses.meanSquaredError(oneHot, tf.softmax(logits));
		}

		case 'categoricalHinge': {
			// Keras: max(0, 1 + max_{wrong} p - p_true) averaged over the batch.
			const probs = tf.softmax(logits);
			const positive = tf.sum(tf.mul(oneHot, probs), -1);
			const negative = tf.max(tf.mul(tf.sub(1, oneHot), probs), -1);
			return tf.mean(tf.relu(tf.add(tf.sub(negative, positive), 1)));
		}
	}
}

/**
 * The losses on softmax probabilities over plain arrays (the SIMD path; its cross-entropy is the kernel
 * softmax_cross_entropy of kernels/simd.c): summed loss and correct predictions of `rows` rows of logits, as
 * lossFromLogits defines the loss (its batch mean times the rows), and, when `dLogits` is given, the gradient of the
 * batch's mean loss with respect to the logits. A row is correct when its first largest logit is the label's, as
 * tf.argMax picks.
 */
export function lossOf(name: Exclude<LossName, 'sparseCategoricalCrossentropy'>, logits: Float32Array, labels: ArrayLike<number>, rows: number, classes: number, dLogits: Float32Array | undefined): {loss: number; correct: number} {
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
			probabilities[c] = exp(logits[offset + c] - max);
			total += probabilities[c];
		}

		for (let c = 0; c < classes; c++) {
			probabilities[c] /= total;
		}

		switch (name) {
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
