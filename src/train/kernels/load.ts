/**
 * Loads sweeplab's own WebAssembly SIMD kernels (simd.c, built by scripts/build-kernels.sh into simd-wasm.ts,
 * with their signatures in exports.ts): the matrix products, the convolutions (driven by conv.ts), pooling,
 * activations and batch norm of the SIMD training path and the optimizers' updates.
 * A KernelArena is one instance with its own memory, grown once and handed out as Float32Array views.
 *
 * simd.c is built twice, and the two give different bits: 'plain' multiplies then adds in the matrix products (two
 * roundings), 'fma' fuses them with relaxed SIMD's f32x4.relaxed_madd (one rounding). Relaxed SIMD lets a runtime
 * fuse or not as its CPU allows, so 'fma' is offered only where a probe shows it fused: each variant then computes
 * the same bits on every machine that runs it.
 */
import {setFlagsFromString} from 'node:v8';
import {isMainThread} from 'node:worker_threads';
import type {Kernels} from './exports.js';
import {SIMD_FMA_WASM_BASE64, SIMD_WASM_BASE64} from './simd-wasm.js';

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

/** Which build of simd.c: multiply then add, or relaxed SIMD's fused multiply-add, in the matrix products. */
export type KernelVariant = 'plain' | 'fma';

const wasmApi = (globalThis as unknown as {WebAssembly?: WasmApi}).WebAssembly;
const compiled: Partial<Record<KernelVariant, WasmModule | null>> = {};

const moduleBytes = (variant: KernelVariant): Uint8Array => Uint8Array.from(Buffer.from(variant === 'fma' ? SIMD_FMA_WASM_BASE64 : SIMD_WASM_BASE64, 'base64'));

/**
 * Node 20's V8 has relaxed SIMD behind a flag (later ones have it on). V8 flags are per process, so the main thread
 * sets it as this module loads, before any worker thread compiles WebAssembly; a thread of a process whose main
 * thread never loaded this module sets it itself, the first time it asks for the fused kernels.
 */
function enableRelaxedSimd(bytes: Uint8Array): boolean {
	if (!wasmApi || wasmApi.validate(bytes)) {
		return Boolean(wasmApi);
	}

	setFlagsFromString('--experimental-wasm-relaxed-simd');
	return wasmApi.validate(bytes);
}

if (isMainThread) {
	enableRelaxedSimd(moduleBytes('fma'));
}

/** The compiled kernels of a variant, once per thread; undefined where this runtime cannot run them. */
function kernelModule(variant: KernelVariant): WasmModule | undefined {
	if (compiled[variant] === undefined) {
		const bytes = moduleBytes(variant);
		const valid = variant === 'fma' ? kernelModule('plain') !== undefined && enableRelaxedSimd(bytes) : wasmApi?.validate(bytes) ?? false;
		compiled[variant] = valid ? new wasmApi!.Module(bytes) : null;
		if (variant === 'fma' && valid && !productsFuse()) {
			compiled.fma = null;
		}
	}

	return compiled[variant] ?? undefined;
}

/**
 * Whether the 'fma' module's products fuse: -1 + (1 + 2^-23)(1 - 2^-23) is -2^-46 with one rounding, and 0 when the
 * product is rounded first (1 - 2^-46 rounds to 1 in float32).
 */
function productsFuse(): boolean {
	const arena = new KernelArena(KernelArena.floats([2, 2, 1]), 'fma');
	const a = arena.allocate(2);
	const b = arena.allocate(2);
	const c = arena.allocate(1);
	a.set([1, 1 + (2 ** -23)]);
	b.set([-1, 1 - (2 ** -23)]);
	arena.kernels.gemm_nn(at(a), at(b), at(c), 1, 2, 1, 0);
	return c[0] === -(2 ** -46);
}

/** Whether this runtime runs the kernels (WebAssembly with 128-bit SIMD). */
export function kernelsAvailable(): boolean {
	return kernelModule('plain') !== undefined;
}

/** Whether this runtime runs the 'fma' kernels: relaxed SIMD whose multiply-add fuses. */
export function fusedKernelsAvailable(): boolean {
	return kernelModule('fma') !== undefined;
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
	readonly variant: KernelVariant;
	private readonly buffer: ArrayBuffer;
	private next: number;
	private readonly end: number;

	/**
	 * An instance of the variant's kernels whose memory holds `floats` floats (KernelArena.floats of the arrays to
	 * come). Throws where this runtime cannot run them (kernelsAvailable(), fusedKernelsAvailable()).
	 */
	constructor(floats: number, variant: KernelVariant = 'plain') {
		const module = kernelModule(variant);
		if (!module) {
			throw new RangeError(variant === 'fma'
				? 'KernelArena: this runtime has no relaxed SIMD with a fused multiply-add (check fusedKernelsAvailable() first)'
				: 'KernelArena: this runtime has no WebAssembly SIMD (check kernelsAvailable() first)');
		}

		const {exports} = new wasmApi!.Instance(module);
		this.variant = variant;
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

	/** A zeroed byte array in the arena (rounded up to whole floats' room). */
	allocateBytes(length: number): Uint8Array {
		return new Uint8Array(this.buffer, this.reserve(Math.ceil(length / FLOAT_BYTES)), length);
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
export const at = (view: Float32Array | Float64Array | Int32Array | Uint8Array): number => view.byteOffset;
