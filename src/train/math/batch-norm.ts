/** Batch normalisation's rules shared by the array-based paths (lean and SIMD), as tfjs' layer computes them. */

/** Keras' BatchNormalization defaults, which tfjs' layer shares. */
export const BN_MOMENTUM = 0.99;
export const BN_EPSILON = 1e-3;

/** Keras' moving average, as tfjs' layer computes it: moving -= (moving - batch) * (1 - momentum). */
export function updateMovingStatistic(moving: Float32Array, batch: ArrayLike<number>): void {
	for (let i = 0; i < moving.length; i++) {
		moving[i] -= (moving[i] - batch[i]) * (1 - BN_MOMENTUM);
	}
}
