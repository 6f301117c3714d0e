/**
 * A set's images kept as bytes in a kernel arena (ImageSet.bytes), with room for a batch's row indices: what
 * simd.c's gather_bytes gathers training batches from (paths/simd.ts gatherBatch, bench/kernels.ts gatherSeconds).
 */
import {at, KernelArena, type Kernels} from './load.js';

/** How many rows on gather_bytes reads ahead (simd.c GATHER_AHEAD): the index room past a batch's own rows. */
const GATHER_AHEAD = 4;

export class ByteImages {
	readonly bytes: Uint8Array;
	private readonly rows: Int32Array;

	/** The arena room (KernelArena.floats) the constructor takes. */
	static floats(length: number, batch: number): number {
		return KernelArena.floats([Math.ceil(length / 4), batch + GATHER_AHEAD]);
	}

	/** `length` bytes of images and the indices of up to `batch` rows, from `memory` (zeroed: set `bytes` after). */
	constructor(memory: Pick<KernelArena, 'allocateBytes' | 'allocateInt'>, length: number, batch: number) {
		this.bytes = memory.allocateBytes(length);
		this.rows = memory.allocateInt(batch + GATHER_AHEAD);
	}

	/**
	 * Images order[start, start + rows) as floats (byte / 255, the dataset's own) into `out`, rows of `pixels`; the
	 * kernel reads ahead into the next batch's first rows too, where `order` has them.
	 */
	gather(kernels: Kernels, order: Uint32Array, start: number, rows: number, pixels: number, out: Float32Array): void {
		const known = order.subarray(start, Math.min(order.length, start + rows + GATHER_AHEAD));
		this.rows.set(known);
		kernels.gather_bytes(at(this.bytes), at(this.rows), rows, known.length, pixels, at(out));
	}
}
