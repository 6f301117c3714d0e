/**
 * Seeded randomness for sampling and training. Never Math.random: a sweep file must expand to the same
 * trials, and a trial must initialise and shuffle the same way, on every machine and every run.
 *
 * The generator is sfc32 (small, fast, passes PractRand); seeds are spread over its 128-bit state
 * with splitmix32 so that neighbouring seeds (0, 1, 2, ...) give unrelated streams.
 */

export interface Rng {
	/** A float in [0, 1) with 32 bits of randomness. */
	next(): number;
	/** An integer in [minInclusive, maxInclusive]. Throws RangeError unless both are integers with min <= max. */
	int(minInclusive: number, maxInclusive: number): number;
	/** Fisher-Yates, in place. */
	shuffle<T>(array: T[] | Uint32Array | Int32Array): void;
	/** The generator's 128-bit state, so a checkpoint can continue the stream exactly where it stopped. */
	getState(): Uint32Array;
	/** Continue from a state getState() returned. Throws RangeError unless it is 4 words. */
	setState(state: ArrayLike<number>): void;
}

const TWO_POW_32 = 4294967296;

function splitmix32(state: number): {state: number; value: number} {
	const next = (state + 0x9e3779b9) | 0;
	let z = next;
	z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
	z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
	return {state: next, value: (z ^ (z >>> 16)) >>> 0};
}

/**
 * sfc32 behind the Rng interface. A class, not closures per generator: a training loop makes a generator an epoch,
 * and V8's optimised code for a loop calling one generator's closures was thrown away ('wrong call target') when the
 * next epoch's arrived; the methods of a class are the same functions for every generator.
 */
class Sfc32 implements Rng {
	constructor(private a: number, private b: number, private c: number, private d: number) {}

	nextUint32(): number {
		const t = (((this.a + this.b) | 0) + this.d) | 0;
		this.d = (this.d + 1) | 0;
		this.a = this.b ^ (this.b >>> 9);
		this.b = (this.c + (this.c << 3)) | 0;
		this.c = (this.c << 21) | (this.c >>> 11);
		this.c = (this.c + t) | 0;
		return t >>> 0;
	}

	next(): number {
		return this.nextUint32() / TWO_POW_32;
	}

	int(minInclusive: number, maxInclusive: number): number {
		if (!Number.isSafeInteger(minInclusive) || !Number.isSafeInteger(maxInclusive) || minInclusive > maxInclusive) {
			throw new RangeError(`Rng.int: need integers with min <= max, got ${minInclusive}..${maxInclusive}`);
		}
		return minInclusive + Math.floor(this.next() * (maxInclusive - minInclusive + 1));
	}

	shuffle<T>(array: T[] | Uint32Array | Int32Array): void {
		for (let i = array.length - 1; i > 0; i--) {
			const j = Math.floor(this.next() * (i + 1));
			const tmp = array[i];
			array[i] = array[j];
			array[j] = tmp;
		}
	}

	getState(): Uint32Array {
		return Uint32Array.of(this.a, this.b, this.c, this.d);
	}

	setState(state: ArrayLike<number>): void {
		if (state.length !== 4) {
			throw new RangeError(`Rng.setState: need 4 words, got ${state.length}`);
		}
		[this.a, this.b, this.c, this.d] = [state[0] | 0, state[1] | 0, state[2] | 0, state[3] | 0];
	}
}

/**
 * @param seed any safe integer; negative seeds and seeds beyond 2^32 are taken as 64-bit two's complement,
 * so they do not alias smaller seeds. Throws RangeError for a non-integer seed.
 */
export function createRng(seed: number): Rng {
	if (!Number.isSafeInteger(seed)) {
		throw new RangeError(`createRng: seed must be a safe integer, got ${seed}`);
	}
	const low = seed >>> 0;
	const high = Math.floor(seed / TWO_POW_32) >>> 0;
	let sm = splitmix32(low);
	const a = sm.value;
	sm = splitmix32(sm.state);
	const b = sm.value ^ high;
	sm = splitmix32(sm.state ^ high);
	const rng = new Sfc32(a, b, sm.value, 1);
	// sfc32 needs a few rounds before a low-entropy state is well mixed.
	for (let i = 0; i < 12; i++) {
		rng.nextUint32();
	}

	return rng;
}

/** murmur3's finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

/**
 * A uint32 seed mixed from the parts, e.g. `deriveSeed(sweepSeed, 'repeat', r)`. Parts are tagged by type
 * and length, so `(1, 'a')`, `('1', 'a')` and `('1a')` all give different seeds.
 */
export function deriveSeed(...parts: Array<number | string>): number {
	let text = '';
	for (const part of parts) {
		const encoded = typeof part === 'number' ? `n${String(part)}` : `s${part}`;
		text += `${encoded.length}:${encoded};`;
	}
	let h = 0x2545f491;
	for (let i = 0; i < text.length; i++) {
		let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
		k = (k << 15) | (k >>> 17);
		k = Math.imul(k, 0x1b873593);
		h ^= k;
		h = (h << 13) | (h >>> 19);
		h = (Math.imul(h, 5) + 0xe6546b64) | 0;
	}
	return fmix32(h ^ text.length);
}
