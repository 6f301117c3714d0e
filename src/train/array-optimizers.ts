/**
 * The optimizers of the sweep format as loops over Float32Arrays. On wasm at batch 32 the ~100 small
 * kernels per step of a tfjs optimizer cost more than the network itself; the same update in plain
 * loops is a few microseconds. Each rule copies tfjs 4.22's applyGradients (same defaults, same
 * epsilon placement, same bias correction); a test checks every one against tfjs step by step.
 * Adam, the default and the costliest, runs as a WebAssembly SIMD loop where available (simd-adam.ts).
 */
import type {OptimizerName} from '../types.js';
import {SimdAdamState} from './simd-adam.js';

export interface ArrayOptimizer {
	/** Updates every parameter in place from its gradient; params[i] and grads[i] have equal length. */
	update(params: Float32Array[], grads: Float32Array[]): void;
}

/** Keras' (and tfjs') defaults, as makeOptimizer() in objective.ts passes them. */
const BETA1 = 0.9;
const BETA2 = 0.999;
const MOMENTUM = 0.9;
const RMSPROP_DECAY = 0.9;
const ADAGRAD_INITIAL = 0.1;

/**
 * @param epsilon the backend's epsilon (`tf.backend().epsilon()`, 1e-7 on float32 backends), which
 * tfjs' adam, adamax, rmsprop and adagrad use when none is given.
 */
export function makeArrayOptimizer(name: OptimizerName, learningRate: number, epsilon: number, options: {simd?: boolean} = {}): ArrayOptimizer {
	switch (name) {
		case 'sgd': {
			return {
				update(params, grads) {
					for (const [k, p] of params.entries()) {
						const g = grads[k];
						for (let i = 0; i < p.length; i++) {
							p[i] -= learningRate * g[i];
						}
					}
				},
			};
		}

		case 'momentum': {
			const slots = new Slots(0);
			return {
				update(params, grads) {
					for (const [k, p] of params.entries()) {
						const g = grads[k];
						const accumulation = slots.get(k, p.length);
						for (let i = 0; i < p.length; i++) {
							const a = (MOMENTUM * accumulation[i]) + g[i];
							accumulation[i] = a;
							p[i] -= learningRate * a;
						}
					}
				},
			};
		}

		case 'rmsprop': {
			// tfjs' rmsprop with momentum 0 and centered false, which is what makeOptimizer asks for.
			const meanSquares = new Slots(0);
			return {
				update(params, grads) {
					for (const [k, p] of params.entries()) {
						const g = grads[k];
						const ms = meanSquares.get(k, p.length);
						for (let i = 0; i < p.length; i++) {
							const s = (RMSPROP_DECAY * ms[i]) + ((1 - RMSPROP_DECAY) * g[i] * g[i]);
							ms[i] = s;
							p[i] -= learningRate * g[i] / Math.sqrt(s + epsilon);
						}
					}
				},
			};
		}

		case 'adagrad': {
			const accumulators = new Slots(ADAGRAD_INITIAL);
			return {
				update(params, grads) {
					for (const [k, p] of params.entries()) {
						const g = grads[k];
						const accumulator = accumulators.get(k, p.length);
						for (let i = 0; i < p.length; i++) {
							const a = accumulator[i] + (g[i] * g[i]);
							accumulator[i] = a;
							p[i] -= learningRate * g[i] / Math.sqrt(a + epsilon);
						}
					}
				},
			};
		}

		case 'adam': {
			const simd = options.simd === false ? undefined : SimdAdamState.create();
			const first = new Slots(0);
			const second = new Slots(0);
			// tfjs starts the running powers at beta (not 1) and raises them after the step.
			let accBeta1 = BETA1;
			let accBeta2 = BETA2;
			return {
				update(params, grads) {
					// Hoisted bias corrections: sqrt(v / c2) = sqrt(v) / sqrt(c2), equal up to rounding.
					const step = learningRate / (1 - accBeta1);
					const rootCorrection2 = 1 / Math.sqrt(1 - accBeta2);
					accBeta1 *= BETA1;
					accBeta2 *= BETA2;
					if (simd) {
						simd.update(params, grads, {beta1: BETA1, beta2: BETA2, step, rootCorrection2, epsilon});
						return;
					}

					for (const [k, p] of params.entries()) {
						const g = grads[k];
						const m = first.get(k, p.length);
						const v = second.get(k, p.length);
						for (let i = 0; i < p.length; i++) {
							const mi = (BETA1 * m[i]) + ((1 - BETA1) * g[i]);
							const vi = (BETA2 * v[i]) + ((1 - BETA2) * g[i] * g[i]);
							m[i] = mi;
							v[i] = vi;
							p[i] -= step * mi / ((Math.sqrt(vi) * rootCorrection2) + epsilon);
						}
					}
				},
			};
		}

		case 'adamax': {
			// tfjs' adamax with decay 0, so the learning rate does not shrink with the iteration.
			const first = new Slots(0);
			const infNorm = new Slots(0);
			let accBeta1 = BETA1;
			return {
				update(params, grads) {
					const step = learningRate / (1 - accBeta1);
					for (const [k, p] of params.entries()) {
						const g = grads[k];
						const m = first.get(k, p.length);
						const u = infNorm.get(k, p.length);
						for (let i = 0; i < p.length; i++) {
							const mi = (BETA1 * m[i]) + ((1 - BETA1) * g[i]);
							const ui = Math.max(BETA2 * u[i], Math.abs(g[i]));
							m[i] = mi;
							u[i] = ui;
							p[i] -= step * mi / (ui + epsilon);
						}
					}

					accBeta1 *= BETA1;
				},
			};
		}
	}
}

/** Per-parameter optimizer state, created on first use like tfjs' slot variables. */
class Slots {
	private readonly slots: Float32Array[] = [];

	constructor(private readonly initial: number) {}

	get(index: number, length: number): Float32Array {
		this.slots[index] ??= new Float32Array(length).fill(this.initial);
		return this.slots[index];
	}
}
