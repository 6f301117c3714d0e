/**
 * Global average pooling (a cnn's `globalPool`), as tf.layers.globalAveragePooling2d: the mean of each
 * channel over a feature map's positions, in plain loops (a few thousand floats a batch, next to the
 * convolutions' millions). The SIMD path's forward and backward; the layers path uses tfjs' layer.
 */

/** out[r][c] = mean over p of input[r][p][c], for `rows` NHWC maps of `positions` pixels and `channels` channels. */
export function globalAveragePool(input: Float32Array, out: Float32Array, rows: number, positions: number, channels: number): void {
	for (let r = 0; r < rows; r++) {
		const map = r * positions * channels;
		for (let c = 0; c < channels; c++) {
			let sum = 0;
			for (let p = 0; p < positions; p++) {
				sum += input[map + (p * channels) + c];
			}

			out[(r * channels) + c] = sum / positions;
		}
	}
}

/** dInput[r][p][c] = dOut[r][c] / positions: each position had an equal share in the mean. */
export function globalAveragePoolBackward(dOut: Float32Array, dInput: Float32Array, rows: number, positions: number, channels: number): void {
	for (let r = 0; r < rows; r++) {
		const map = r * positions * channels;
		for (let p = 0; p < positions; p++) {
			for (let c = 0; c < channels; c++) {
				dInput[map + (p * channels) + c] = dOut[(r * channels) + c] / positions;
			}
		}
	}
}
