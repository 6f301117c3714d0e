import type * as TF from '@tensorflow/tfjs';
import type {Tf} from './backend.js';

type KernelArgs = Parameters<TF.KernelFunc>[0];
type KernelFn = (args: KernelArgs) => TF.TensorInfo;

/**
 * Mends tfjs-backend-wasm 4.22 for training CNNs on the layers path (where WebAssembly SIMD is missing, or
 * when asked for; otherwise CNNs take the SIMD path). Both kernels are checked against the cpu backend by tests.
 */
export function registerMissingWasmKernels(tf: Tf): void {
	registerConv2dBackpropFilter(tf);
	replaceMaxPoolGrad(tf);
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so a conv layer cannot train on it. Its
 * Conv3DBackpropFilterV2 computes the same thing for a depth-1 volume: this registers the 2-D kernel as
 * reshapes around the 3-D one (no data is copied; reshape shares the buffer).
 */
function registerConv2dBackpropFilter(tf: Tf): void {
	if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
		return;
	}

	const conv3dFilter = tf.getKernel('Conv3DBackpropFilterV2', 'wasm')?.kernelFunc as KernelFn | undefined;
	const reshape = tf.getKernel('Reshape', 'wasm')?.kernelFunc as KernelFn | undefined;
	if (!conv3dFilter || !reshape) {
		return;
	}

	tf.registerKernel({
		kernelName: 'Conv2DBackpropFilter',
		backendName: 'wasm',
		kernelFunc(args) {
			const {inputs, attrs} = args as KernelArgs;
			const backend = args.backend as KernelArgs['backend'] & {disposeData(dataId: object): void};
			const {x, dy} = inputs as {x: TF.TensorInfo; dy: TF.TensorInfo};
			const {strides, pad, dataFormat, filterShape} = attrs as unknown as {strides: number | [number, number]; pad: 'valid' | 'same'; dataFormat: string; filterShape: [number, number, number, number]};
			if (dataFormat !== 'NHWC' || typeof pad !== 'string') {
				throw new Error(`Conv2DBackpropFilter on wasm supports NHWC with 'same' or 'valid' padding only (got ${dataFormat}, ${String(pad)})`);
			}

			const [strideHeight, strideWidth] = typeof strides === 'number' ? [strides, strides] : strides;
			// Strided, the 3-D kernel's gradient disagrees with cpu's; sweeplab's convs are unstrided (pooling downsamples).
			if (strideHeight > 1 || strideWidth > 1) {
				throw new Error('Conv2DBackpropFilter on wasm supports stride 1 only; use --backend cpu for strided convolutions');
			}

			const as5d = (tensor: TF.TensorInfo) => reshape({inputs: {x: tensor}, backend, attrs: {shape: [tensor.shape[0], 1, ...tensor.shape.slice(1)]}});
			const x5 = as5d(x);
			const dy5 = as5d(dy);
			const dw5 = conv3dFilter({inputs: {x: x5, dy: dy5}, backend, attrs: {strides: [1, strideHeight, strideWidth], pad, filterShape: [1, ...filterShape]}});
			const dw = reshape({inputs: {x: dw5}, backend, attrs: {shape: filterShape}});
			for (const info of [x5, dy5, dw5]) {
				backend.disposeData(info.dataId);
			}

			return dw;
		},
	});
}

interface WasmBackendData {
	readSync(dataId: object): Float32Array;
	makeOutput(shape: number[], dtype: 'float32'): TF.TensorInfo;
	typedArrayFromHeap(info: TF.TensorInfo): Float32Array;
}

/** Marks the MaxPoolGrad this module registered, so loading the backend twice replaces it once. */
const MENDED = Symbol('sweeplab.maxPoolGrad');

/**
 * tfjs-backend-wasm 4.22's MaxPoolGrad routes gradients to the wrong inputs for many shapes (2x2 pooling of a
 * [2, 14, 14, 4] map differs from cpu's by up to the full gradient; [2, 14, 14, 3] agrees), so a CNN trained
 * on wasm's layers path learned from wrong gradients. This replaces it, for 'valid' pooling (what paths/layers.ts
 * builds), with cpu's rule: each output's gradient goes to the first largest input of its window in
 * row-major order; other padding keeps the original kernel.
 */
function replaceMaxPoolGrad(tf: Tf): void {
	const original = tf.getKernel('MaxPoolGrad', 'wasm');
	if (!original || (original.kernelFunc as unknown as Record<symbol, boolean>)[MENDED]) {
		return;
	}

	const kernelFunc = (args: KernelArgs): TF.TensorInfo => {
		const {dy, input} = args.inputs as {dy: TF.TensorInfo; input: TF.TensorInfo};
		const {filterSize, strides, pad} = args.attrs as unknown as {filterSize: number | [number, number]; strides: number | [number, number]; pad: unknown};
		if (pad !== 'valid') {
			return (original.kernelFunc as KernelFn)(args);
		}

		const backend = args.backend as unknown as WasmBackendData;
		const [filterHeight, filterWidth] = typeof filterSize === 'number' ? [filterSize, filterSize] : filterSize;
		const [strideHeight, strideWidth] = typeof strides === 'number' ? [strides, strides] : strides;
		const [batch, height, width, channels] = input.shape;
		const [, outHeight, outWidth] = dy.shape;
		const x = backend.readSync(input.dataId);
		const gradient = backend.readSync(dy.dataId);
		const output = backend.makeOutput(input.shape, 'float32');
		const dx = backend.typedArrayFromHeap(output);
		dx.fill(0);
		for (let b = 0; b < batch; b++) {
			for (let i = 0; i < outHeight; i++) {
				for (let j = 0; j < outWidth; j++) {
					for (let c = 0; c < channels; c++) {
						let best = -1;
						let max = Number.NEGATIVE_INFINITY;
						for (let u = 0; u < filterHeight; u++) {
							for (let v = 0; v < filterWidth; v++) {
								const at = ((((b * height) + (i * strideHeight) + u) * width) + (j * strideWidth) + v) * channels + c;
								if (x[at] > max || best < 0) {
									max = x[at];
									best = at;
								}
							}
						}

						dx[best] += gradient[(((((b * outHeight) + i) * outWidth) + j) * channels) + c];
					}
				}
			}
		}

		return output;
	};

	Object.defineProperty(kernelFunc, MENDED, {value: true});
	tf.unregisterKernel('MaxPoolGrad', 'wasm');
	tf.registerKernel({kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: kernelFunc as unknown as TF.KernelFunc});
}
