/**
 * The activations of the sweep format, in the forms the training paths compute them: tfjs ops (the lean
 * path; the layers path uses tfjs-layers' own, which these copy) and JS loops with their gradients (the SIMD
 * path, where relu and leakyRelu are kernels in kernels/simd.c). Tests check every activation's gradient on
 * each path against autodiff through the layers.
 */
import type * as TF from '@tensorflow/tfjs';
import type {Activation} from '../../types.js';
import type {Tf} from '../backend.js';

/** Keras' LeakyReLU default negative slope, which tfjs' layer shares. */
export const LEAKY_RELU_ALPHA = 0.3;

/** The activation functions of tfjs-layers (its activations.ts), op for op, as tensors (the lean path). */
export function activateTensor(tf: Tf, z: TF.Tensor2D, activation: Activation): TF.Tensor2D {
	switch (activation) {
		case 'relu': {
			return tf.relu(z);
		}

		case 'sigmoid': {
			return tf.sigmoid(z);
		}

		case 'tanh': {
			return tf.tanh(z);
		}

		case 'leakyRelu': {
			return tf.leakyRelu(z, LEAKY_RELU_ALPHA);
		}

		case 'elu': {
			return tf.elu(z);
		}

		case 'selu': {
			return tf.selu(z);
		}

		case 'softplus': {
			return tf.softplus(z);
		}

		case 'softsign': {
			return tf.div(z, tf.add(tf.abs(z), 1));
		}

		case 'swish': {
			return tf.mul(tf.sigmoid(z), z);
		}

		case 'gelu': {
			return tf.mul(z, tf.mul(0.5, tf.add(1, tf.erf(tf.div(z, Math.SQRT2))))) as TF.Tensor2D;
		}

		case 'linear': {
			return z;
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
 * y = act(z) elementwise over `z` (y may be z), the functions of tfjs-layers' activations (as
 * activateTensor computes them), for those that are not kernels (relu, leakyRelu). One loop per
 * activation, so each loop stays monomorphic.
 */
export function activate(activation: Activation, z: Float32Array, y: Float32Array): void {
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
export function activationGradient(activation: Activation, dy: Float32Array, z: Float32Array, y: Float32Array, dz: Float32Array): void {
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
