import test from 'ava';
import {createRng, deriveSeed} from '../../src/util/random.js';

test('the same seed gives the same stream, another seed a different one', (t) => {
	const a = createRng(42);
	const b = createRng(42);
	const c = createRng(43);
	const streamA = Array.from({length: 20}, () => a.next());
	const streamB = Array.from({length: 20}, () => b.next());
	const streamC = Array.from({length: 20}, () => c.next());
	t.deepEqual(streamA, streamB);
	t.notDeepEqual(streamA, streamC);
});

test('seeds beyond 32 bits and negative seeds do not alias small seeds', (t) => {
	const first = (seed: number) => createRng(seed).next();
	t.not(first(2 ** 32), first(0));
	t.not(first(2 ** 32 + 5), first(5));
	t.not(first(-1), first(2 ** 32 - 1));
});

test('next() stays in [0, 1) and is roughly uniform', (t) => {
	const rng = createRng(7);
	const buckets = new Array<number>(10).fill(0);
	const n = 20_000;
	for (let i = 0; i < n; i++) {
		const x = rng.next();
		t.true(x >= 0 && x < 1);
		buckets[Math.floor(x * 10)]++;
	}
	for (const count of buckets) {
		// Expected 2000 per bucket; 10% slack is > 7 standard deviations.
		t.true(Math.abs(count - n / 10) < n / 100, `bucket count ${count}`);
	}
});

test('int() is inclusive at both ends and never leaves the range', (t) => {
	const rng = createRng(1);
	const seen = new Set<number>();
	for (let i = 0; i < 2000; i++) {
		const x = rng.int(-2, 3);
		t.true(Number.isInteger(x) && x >= -2 && x <= 3);
		seen.add(x);
	}
	t.deepEqual([...seen].sort((a, b) => a - b), [-2, -1, 0, 1, 2, 3]);
	t.is(rng.int(5, 5), 5);
	t.throws(() => rng.int(3, 2), {instanceOf: RangeError});
	t.throws(() => rng.int(0.5, 2), {instanceOf: RangeError});
});

test('createRng rejects a non-integer seed', (t) => {
	t.throws(() => createRng(1.5), {instanceOf: RangeError});
	t.throws(() => createRng(Number.NaN), {instanceOf: RangeError});
});

test('shuffle is a deterministic permutation for arrays and typed arrays', (t) => {
	const array = Array.from({length: 100}, (_, i) => i);
	createRng(9).shuffle(array);
	t.deepEqual([...array].sort((a, b) => a - b), Array.from({length: 100}, (_, i) => i));
	t.notDeepEqual(array, Array.from({length: 100}, (_, i) => i));

	const typed = Uint32Array.from({length: 100}, (_, i) => i);
	createRng(9).shuffle(typed);
	t.deepEqual(Array.from(typed), array);

	const other = Int32Array.from({length: 100}, (_, i) => i);
	createRng(10).shuffle(other);
	t.notDeepEqual(Array.from(other), array);
	t.deepEqual(Array.from(other).sort((a, b) => a - b), Array.from({length: 100}, (_, i) => i));
});

test('shuffle moves every position with equal chance', (t) => {
	const rng = createRng(3);
	const firstSlot = new Array<number>(4).fill(0);
	for (let i = 0; i < 8000; i++) {
		const array = [0, 1, 2, 3];
		rng.shuffle(array);
		firstSlot[array[0]]++;
	}
	for (const count of firstSlot) {
		t.true(Math.abs(count - 2000) < 200, `first-slot count ${count}`);
	}
});

test('deriveSeed is a deterministic uint32 that depends on every part, its type and its order', (t) => {
	const seed = deriveSeed(42, 'repeat', 0);
	t.is(seed, deriveSeed(42, 'repeat', 0));
	t.true(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32);
	const variants = [
		deriveSeed(42, 'repeat', 1),
		deriveSeed(43, 'repeat', 0),
		deriveSeed(42, 'sample', 0),
		deriveSeed(42, 'repeat', '0'),
		deriveSeed(42, 'repeat0'),
		deriveSeed('repeat', 42, 0),
		deriveSeed(42, 'repeat'),
	];
	t.is(new Set([seed, ...variants]).size, variants.length + 1);
});

test('deriveSeed spreads consecutive inputs over the whole uint32 range', (t) => {
	const seeds = Array.from({length: 1000}, (_, i) => deriveSeed(0, 'repeat', i));
	t.is(new Set(seeds).size, 1000);
	const high = seeds.filter((s) => s >= 2 ** 31).length;
	t.true(high > 400 && high < 600, `${high} of 1000 in the upper half`);
});

test('a generator restored from getState continues the same stream, and setState rejects a short state', t => {
	const rng = createRng(99);
	for (let i = 0; i < 1000; i++) {
		rng.next();
	}

	const state = rng.getState();
	const expected = Array.from({length: 50}, () => rng.next());
	const restored = createRng(1);
	restored.setState(state);
	t.deepEqual(Array.from({length: 50}, () => restored.next()), expected);
	t.throws(() => restored.setState([1, 2, 3]), {instanceOf: RangeError});
});
