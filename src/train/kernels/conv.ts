/**
 * A convolution ('same' padding as TensorFlow's, stride 1, NHWC) and its two gradients as calls of simd.c's
 * implicit-GEMM kernels: the input padded once, then the windows read in place through offset tables, so no
 * im2col patch matrix (k*k times the input) is written or read. The input gradient is itself such a convolution:
 * of the output gradient, padded the other way round, by the kernel turned half a turn (conv_flip).
 */
import {at, type Kernels} from './load.js';

/** A convolution's shape: input height, width and channels, filters, and the (square) kernel's size. */
export interface ConvShape {
	height: number;
	width: number;
	channels: number;
	filters: number;
	kernelSize: number;
}

/** Zeros before the image on each axis ('same' padding as TensorFlow's: (k - 1) / 2 before, the rest after). */
const before = (conv: ConvShape): number => Math.floor((conv.kernelSize - 1) / 2);
const paddedHeight = (conv: ConvShape): number => conv.height + conv.kernelSize - 1;
const paddedWidth = (conv: ConvShape): number => conv.width + conv.kernelSize - 1;

/** Floats of `rows` padded images of `channels` channels (the input's, or for the input gradient the filters'). */
export const paddedLength = (conv: ConvShape, rows: number, channels: number): number => rows * paddedHeight(conv) * paddedWidth(conv) * channels;

/** Ints of the offset tables of a pass over `rows` images, forward or backward. */
export const tableLength = (conv: ConvShape, rows: number): number => (rows * conv.height * conv.width) + (conv.kernelSize * conv.kernelSize * Math.max(conv.channels, conv.filters));

/** z = input * kernel (+ bias) over `rows` images; `padded` keeps the padded input for convFilterGradient. */
export function convForward(kernels: Kernels, conv: ConvShape, rows: number, buffers: {input: Float32Array; padded: Float32Array; tables: Int32Array; kernel: Float32Array; bias: Float32Array | undefined; z: Float32Array}): void {
	const {height, width, channels, filters, kernelSize} = conv;
	const {input, padded, tables, kernel, bias, z} = buffers;
	kernels.pad_images(at(input), at(padded), rows, height, width, channels, before(conv), kernelSize - 1 - before(conv));
	kernels.conv_forward(at(padded), at(kernel), bias ? at(bias) : 0, at(z), at(tables), rows, paddedHeight(conv), paddedWidth(conv), channels, kernelSize, filters);
}

/** dkernel from the padded input convForward kept and the output gradient dz. */
export function convFilterGradient(kernels: Kernels, conv: ConvShape, rows: number, buffers: {padded: Float32Array; dz: Float32Array; tables: Int32Array; dkernel: Float32Array}): void {
	const {padded, dz, tables, dkernel} = buffers;
	kernels.conv_filter_gradient(at(padded), at(dz), at(dkernel), at(tables), rows, paddedHeight(conv), paddedWidth(conv), conv.channels, conv.kernelSize, conv.filters);
}

/** dInput from the output gradient dz; `paddedDz` (paddedLength with the filters' channels) and `flipped` (the kernel's length) are scratch. */
export function convInputGradient(kernels: Kernels, conv: ConvShape, rows: number, buffers: {dz: Float32Array; paddedDz: Float32Array; flipped: Float32Array; tables: Int32Array; kernel: Float32Array; dInput: Float32Array}): void {
	const {height, width, channels, filters, kernelSize} = conv;
	const {dz, paddedDz, flipped, tables, kernel, dInput} = buffers;
	const last = kernelSize - 1;
	kernels.pad_images(at(dz), at(paddedDz), rows, height, width, filters, last - before(conv), before(conv));
	kernels.conv_flip(at(kernel), at(flipped), kernelSize, channels, filters);
	kernels.conv_forward(at(paddedDz), at(flipped), 0, at(dInput), at(tables), rows, paddedHeight(conv), paddedWidth(conv), filters, kernelSize, channels);
}
