import type * as TF from '@tensorflow/tfjs';
import type {LossName, OptimizerName} from '../types.js';
import type {Tf} from './backend.js';

/**
 * The optimizer of a config with Keras' defaults (Adam: beta 0.9/0.999, epsilon 1e-7; RMSprop: rho 0.9;
 * momentum: 0.9; Adagrad: initial accumulator 0.1), which are also tfjs' defaults.
 */
export function makeOptimizer(tf: Tf, name: OptimizerName, learningRate: number): TF.Optimizer {
	switch (name) {
		case 'adam': {
			return tf.train.adam(learningRate);
		}

		case 'sgd': {
			return tf.train.sgd(learningRate);
		}

		case 'momentum': {
			return tf.train.momentum(learningRate, 0.9);
		}

		case 'rmsprop': {
			return tf.train.rmsprop(learningRate, 0.9);
		}

		case 'adagrad': {
			return tf.train.adagrad(learningRate, 0.1);
		}

		case 'adamax': {
			return tf.train.adamax(learningRate);
		}
	}
}

/**
 * Mean loss of a batch from logits and integer labels. Cross-entropy uses the fused, stable
 * softmax-cross-entropy; the other losses compare softmax probabilities with the one-hot labels.
 */
export function lossFromLogits(tf: Tf, name: LossName, logits: TF.Tensor2D, labels: TF.Tensor1D): TF.Scalar {
	const numClasses = logits.shape[1];
	const oneHot = tf.oneHot(labels, numClasses);
	switch (name) {
		case 'sparseCategoricalCrossentropy': {
			return tf.losses.softmaxCrossEntropy(oneHot, logits);
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
