import test from 'ava';
import {CheckpointError, encodeCheckpoint, readCheckpointHeader, StateWriter} from '../../src/train/checkpoint.js';
import {decodeModuleState, encodeModuleState, moduleIdentity} from '../../src/train/module-state.js';

const identity = moduleIdentity({lr: 0.01, hidden: 16}, 7);
const header = {epoch: 3, identity, trainSeconds: 1.25};

test('a module state comes back as it was offered: typed arrays of every kind, Buffers, ArrayBuffers, numbers JSON cannot carry, bigints, undefined, nesting', t => {
	const state = {
		weights: [Float32Array.of(0.1, -2.5e-8, Number.NaN), new Float32Array(0)],
		velocity: Float64Array.of(Math.PI, -0, Number.NEGATIVE_INFINITY),
		rng: Uint32Array.of(0xDE_AD_BE_EF, 1, 2, 3),
		ints: [Int8Array.of(-1), Uint8Array.of(255), Uint8ClampedArray.of(9), Int16Array.of(-300), Uint16Array.of(60_000), Int32Array.of(-70_000)],
		big: [BigInt64Array.of(-(2n ** 63n)), BigUint64Array.of((2n ** 64n) - 1n)],
		blob: Buffer.from('bytes'),
		raw: Uint8Array.of(1, 2, 3, 4).buffer,
		view: new DataView(Uint8Array.of(5, 6).buffer),
		best: Number.POSITIVE_INFINITY,
		negativeZero: -0,
		counter: 2n ** 70n,
		missing: undefined,
		list: [1, undefined, null, 'two', {deep: [true, Number.NaN]}],
		// An own key "__proto__", as JSON.parse makes it.
		'odd key': JSON.parse('{"__proto__": "kept as a key"}') as Record<string, string>,
		step: 3,
		name: 'trial \u{1F600} \uD800',
	};
	const bytes = encodeModuleState(state, header);
	t.is(readCheckpointHeader(bytes).trainingPath, 'module');
	const restored = decodeModuleState(bytes, identity);
	t.is(restored.epoch, 3);
	t.is(restored.trainSeconds, 1.25);
	const back = restored.state as typeof state;
	// Deep equality with the types kept (ava's deepEqual compares constructors and NaN, -0 by Object.is).
	t.deepEqual(back, state);
	t.true(Buffer.isBuffer(back.blob));
	t.true(back.raw instanceof ArrayBuffer);
	t.true(Object.is(back.negativeZero, -0));
	t.true(Object.is(back.velocity[1], -0));
	t.true('missing' in back);
	t.is(Object.getOwnPropertyDescriptor(back['odd key'], '__proto__')?.value, 'kept as a key');
	// Each typed array owns fresh, aligned memory.
	t.not(back.weights[0].buffer, state.weights[0].buffer);
});

test('the state is copied when offered: changing it afterwards does not change the checkpoint', t => {
	const weights = Float32Array.of(1, 2);
	const state = {weights, step: 1};
	const bytes = encodeModuleState(state, header);
	weights[0] = 99;
	state.step = 2;
	t.deepEqual(decodeModuleState(bytes, identity).state, {weights: Float32Array.of(1, 2), step: 1});
});

test('what a checkpoint cannot hold is a TypeError naming where it is', t => {
	const refuse = (state: unknown, message: RegExp) => {
		t.throws(() => encodeModuleState(state, header), {instanceOf: TypeError, message});
	};

	refuse({optimizer: {moments: new Map()}}, /^trial\.checkpoint\(state\): state\.optimizer\.moments is a Map; a checkpoint holds objects, arrays/);
	refuse({layers: [1, new Date(0)]}, /state\.layers\[1\] is a Date/);
	refuse({'a b': () => 1}, /state\["a b"\] is a function/);
	class Tensor {
		dataSync(): number[] {
			return [];
		}
	}

	refuse({tensor: new Tensor()}, /state\.tensor is a Tensor \(copy its values out first, e\.g\. tensor\.dataSync\(\)\)/);
	refuse({s: Symbol('x')}, /state\.s is a symbol/);
	const cyclic: Record<string, unknown> = {a: {}};
	(cyclic.a as Record<string, unknown>).back = cyclic;
	refuse(cyclic, /state\.a\.back refers back to an object that contains it; a checkpoint must be a tree/);
	// The same array twice is not a cycle: each place gets its own copy.
	const shared = Float32Array.of(1);
	t.deepEqual(decodeModuleState(encodeModuleState({a: shared, b: shared}, header), identity).state, {a: shared, b: shared});
});

test('a damaged checkpoint, one of another trial or of the built-in trainer is refused with a CheckpointError', t => {
	const bytes = encodeModuleState({weights: new Float32Array(100), step: 2}, header);
	t.throws(() => decodeModuleState(bytes.subarray(0, bytes.length - 8), identity), {instanceOf: CheckpointError, message: /truncated/});
	const flipped = bytes.slice();
	flipped[flipped.length - 20] ^= 1;
	t.throws(() => decodeModuleState(flipped, identity), {instanceOf: CheckpointError, message: /checksum/});
	t.throws(() => decodeModuleState(bytes, moduleIdentity({lr: 0.01, hidden: 16}, 8)), {instanceOf: CheckpointError, message: /another trial/});
	t.throws(() => decodeModuleState(bytes, moduleIdentity({lr: 0.02, hidden: 16}, 7)), {instanceOf: CheckpointError, message: /another trial/});
	const builtin = new StateWriter();
	builtin.put('weights/0', new Float32Array(4));
	t.throws(() => decodeModuleState(encodeCheckpoint({trainingPath: 'lean', epoch: 2, identity}, builtin), identity), {instanceOf: CheckpointError, message: /written on the lean training path/});
});
