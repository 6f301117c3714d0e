import type * as TF from '@tensorflow/tfjs';
import type {Tf} from './backend.js';

type KernelArgs = Parameters<TF.KernelFunc>[0];
type KernelFn = (args: KernelArgs) => TF.TensorInfo;

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so a conv layer cannot train on it. Its
 * Conv3DBackpropFilterV2 computes the same thing for a depth-1 volume: this registers the 2-D kernel as
 * reshapes around the 3-D one (no data is copied; reshape shares the buffer). A test compares the
 * filter gradient with the cpu backend's.
 */
export function registerMissingWasmKernels(tf: Tf): void {
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
