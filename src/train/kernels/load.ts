/**
 * Loads sweeplab's own WebAssembly SIMD kernels (simd.c, built by scripts/build-kernels.sh into simd-wasm.ts,
 * with their signatures in exports.ts): the matrix products, the convolutions (driven by conv.ts), pooling,
 * activations and batch norm of the SIMD training path and the optimizers' updates.
 * A KernelArena is one instance with its own memory, grown once and handed out as Float32Array views.
 */
import type {Kernels} from './exports.js';
import {SIMD_WASM_BASE64} from './simd-wasm.js';

export type {Kernels} from './exports.js';

/** The slice of the WebAssembly API used here (the project's `lib` setting leaves the global undeclared). */
type WasmModule = object;
interface WasmMemory {
	readonly buffer: ArrayBuffer;
	grow(pages: number): number;
}
interface WasmApi {
	validate(bytes: Uint8Array): boolean;
	Module: new (bytes: Uint8Array) => WasmModule;
	Instance: new (module: WasmModule) => {exports: Record<string, unknown>};
}

const wasmApi = (globalThis as unknown as {WebAssembly?: WasmApi}).WebAssembly;
let compiled: WasmModule | null | undefined;

/** The compiled kernels, once per thread; undefined where WebAssembly SIMD is missing. */
function kernelModule(): WasmModule | undefined {
	if (compiled === undefined) {
		const bytes = Uint8Array.from(Buffer.from(SIMD_WASM_BASE64, 'base64'));
		compiled = wasmApi?.validate(bytes) ? new wasmApi.Module(bytes) : null;
	}

	return compiled ?? undefined;
}

/** Whether this runtime runs the kernels (WebAssembly with 128-bit SIMD). */
export function kernelsAvailable(): boolean {
	return kernelModule() !== undefined;
}

const PAGE_BYTES = 65_536;
const FLOAT_BYTES = 4;
/** Arrays start on 16-byte boundaries, so every row of a 4-multiple width is lane-aligned. */
const ALIGN_FLOATS = 4;

export class KernelArena {
	/** Room needed for arrays of these lengths, with their alignment. */
	static floats(lengths: number[]): number {
		return lengths.reduce((sum, length) => sum + (Math.ceil(length / ALIGN_FLOATS) * ALIGN_FLOATS), 0);
	}

	readonly kernels: Kernels;
	private readonly buffer: ArrayBuffer;
	private next: number;
	private readonly end: number;

	/** An instance whose memory holds `floats` floats (KernelArena.floats of the arrays to come). Throws where kernelsAvailable() is false. */
	constructor(floats: number) {
		const module = kernelModule();
		if (!module) {
			throw new RangeError('KernelArena: this runtime has no WebAssembly SIMD (check kernelsAvailable() first)');
		}

		const {exports} = new wasmApi!.Instance(module);
		this.kernels = exports as unknown as Kernels;
		const memory = exports.memory as WasmMemory;
		const base = (exports.__heap_base as {value: number}).value;
		this.next = Math.ceil(base / (ALIGN_FLOATS * FLOAT_BYTES)) * ALIGN_FLOATS * FLOAT_BYTES;
		this.end = this.next + (floats * FLOAT_BYTES);
		const missing = Math.ceil(this.end / PAGE_BYTES) - (memory.buffer.byteLength / PAGE_BYTES);
		if (missing > 0) {
			memory.grow(missing);
		}

		// The memory never grows again, so views into it stay valid.
		this.buffer = memory.buffer;
	}

	/** A zeroed array in the arena. */
	allocate(length: number): Float32Array {
		return new Float32Array(this.buffer, this.reserve(length), length);
	}

	/** A zeroed float64 array in the arena (two floats' room per element). */
	allocateF64(length: number): Float64Array {
		return new Float64Array(this.buffer, this.reserve(2 * length), length);
	}

	/** A zeroed int32 array in the arena (4-byte elements, laid out like floats). */
	allocateInt(length: number): Int32Array {
		return new Int32Array(this.buffer, this.reserve(length), length);
	}

	private reserve(length: number): number {
		const offset = this.next;
		this.next += Math.ceil(length / ALIGN_FLOATS) * ALIGN_FLOATS * FLOAT_BYTES;
		if (this.next > this.end) {
			throw new RangeError(`KernelArena: out of room (${this.end} bytes laid out for fewer arrays than asked for)`);
		}

		return offset;
	}

	/** Whether `view` lies in this arena's memory, so kernels can work on it in place. */
	holds(view: Float32Array): boolean {
		return view.buffer === this.buffer;
	}
}

/** Address of an arena's view, for the kernel calls. */
export const at = (view: Float32Array | Float64Array | Int32Array): number => view.byteOffset;
