/**
 * A module objective's own checkpoint state (trial.checkpoint / trial.restore, docs/checkpoints.md) in the
 * checkpoint format of checkpoint.ts, writer `module`. The state is a tree of JSON values, bigints, typed arrays,
 * Buffers, ArrayBuffers and DataViews. It is stored as a JSON skeleton plus slots: every value JSON would change
 * (binary data, NaN, +-Infinity, -0, bigints, undefined) is taken out of the skeleton, listed with its path and
 * kind, and binary data and numbers go into sections of their own, so what restore() returns is the same bits.
 *
 * Sections: `module/layout` (u8: the JSON `{value, slots: [[path, kind], ...]}`), `module/slot/<k>` for slot k
 * when it holds data (u8 bytes as they lie in memory, or an f64 for a number) and `module/trainSeconds` (f64: the
 * trial's seconds of training up to the checkpoint, which a resumed attempt counts on from).
 */
import {createHash} from 'node:crypto';
import {canonicalJson} from '../sweep/hash.js';
import type {TrialParams} from '../types.js';
import {CheckpointError, decodeCheckpoint, encodeCheckpoint, StateWriter} from './checkpoint.js';

/** What trial.checkpoint takes and trial.restore gives back. */
export type CheckpointState =
	| null
	| undefined
	| boolean
	| number
	| bigint
	| string
	| ArrayBuffer
	| ArrayBufferView
	| CheckpointState[]
	| {[key: string]: CheckpointState};

const TYPED_ARRAYS = {
	Int8Array,
	Uint8Array,
	Uint8ClampedArray,
	Int16Array,
	Uint16Array,
	Int32Array,
	Uint32Array,
	Float32Array,
	Float64Array,
	BigInt64Array,
	BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
/** A slot's kind: binary data by the type it is restored as, or a scalar JSON cannot carry exactly. */
type SlotKind = TypedArrayName | 'Buffer' | 'ArrayBuffer' | 'DataView' | 'number' | 'bigint' | 'undefined';
type Path = Array<string | number>;

const WHAT_IT_TAKES = 'a checkpoint holds objects, arrays, strings, numbers, booleans, null, bigints, typed arrays, Buffers and ArrayBuffers';

/** The identity a module trial's checkpoints carry: its parameters and seed (16 bytes). */
export function moduleIdentity(params: TrialParams, seed: number): Uint8Array {
	return createHash('sha256').update(canonicalJson({module: params, seed})).digest().subarray(0, 16);
}

/** `state.weights[0]`, `state["a b"]`: where a value sits, for error messages. */
function showPath(path: Path): string {
	return 'state' + path.map(key => (typeof key === 'number' ? `[${key}]` : (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`))).join('');
}

function typedArrayName(value: ArrayBufferView): TypedArrayName | 'Buffer' | 'DataView' | undefined {
	if (Buffer.isBuffer(value)) {
		return 'Buffer';
	}

	if (value instanceof DataView) {
		return 'DataView';
	}

	return (Object.keys(TYPED_ARRAYS) as TypedArrayName[]).find(name => value instanceof TYPED_ARRAYS[name]);
}

/** Why `value` cannot be in a checkpoint, as the end of a sentence ("is a Map"). */
function describeRefused(value: object): string {
	if (typeof value === 'function') {
		return 'is a function';
	}

	const name = (value.constructor as {name?: string} | undefined)?.name ?? 'an object without a prototype';
	const hint = typeof (value as {dataSync?: unknown}).dataSync === 'function' ? ' (copy its values out first, e.g. tensor.dataSync())' : '';
	return `is a ${name}${hint}`;
}

/**
 * The checkpoint of a module trial after step `epoch`: the state is copied, so the caller may change it at once.
 * @throws TypeError naming the first value that cannot be stored (a Map, a class instance, a function, a cycle).
 */
export function encodeModuleState(state: unknown, header: {epoch: number; identity: Uint8Array; trainSeconds: number}): Uint8Array {
	const writer = new StateWriter();
	const slots: Array<[Path, SlotKind]> = [];
	const slot = (path: Path, kind: SlotKind, data?: Uint8Array | Float64Array) => {
		if (data) {
			writer.put(`module/slot/${slots.length}`, data);
		}

		slots.push([path, kind]);
		return null;
	};

	const ancestors = new Set<object>();
	const skeleton = (value: unknown, path: Path): unknown => {
		switch (typeof value) {
			case 'string':
			case 'boolean': {
				return value;
			}

			case 'number': {
				return Number.isFinite(value) && !Object.is(value, -0) ? value : slot(path, 'number', Float64Array.of(value));
			}

			case 'bigint': {
				slot(path, 'bigint');
				return value.toString();
			}

			case 'undefined': {
				return slot(path, 'undefined');
			}

			case 'symbol':
			case 'function': {
				throw new TypeError(`trial.checkpoint(state): ${showPath(path)} is a ${typeof value}; ${WHAT_IT_TAKES}`);
			}

			default:
		}

		if (value === null) {
			return null;
		}

		const object = value as object;
		if (ArrayBuffer.isView(object)) {
			// A view: encodeCheckpoint copies it into the blob before this function returns.
			return slot(path, typedArrayName(object)!, new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
		}

		if (object instanceof ArrayBuffer || object instanceof SharedArrayBuffer) {
			return slot(path, 'ArrayBuffer', new Uint8Array(object));
		}

		const isArray = Array.isArray(object);
		const prototype: unknown = Object.getPrototypeOf(object);
		if (!isArray && prototype !== Object.prototype && prototype !== null) {
			throw new TypeError(`trial.checkpoint(state): ${showPath(path)} ${describeRefused(object)}; ${WHAT_IT_TAKES}`);
		}

		if (ancestors.has(object)) {
			throw new TypeError(`trial.checkpoint(state): ${showPath(path)} refers back to an object that contains it; a checkpoint must be a tree`);
		}

		ancestors.add(object);
		try {
			if (isArray) {
				// Array.from visits holes too (as undefined).
				return Array.from(object as unknown[], (item, index) => skeleton(item, [...path, index]));
			}

			// Without a prototype, so that a key "__proto__" is a key like any other.
			const copy = Object.create(null) as Record<string, unknown>;
			for (const key of Object.keys(object)) {
				copy[key] = skeleton((object as Record<string, unknown>)[key], [...path, key]);
			}

			return copy;
		} finally {
			ancestors.delete(object);
		}
	};

	const value = skeleton(state, []);
	writer.put('module/layout', Buffer.from(JSON.stringify({value, slots}), 'utf8'));
	writer.putNumber('module/trainSeconds', header.trainSeconds);
	return encodeCheckpoint({trainingPath: 'module', epoch: header.epoch, identity: header.identity}, writer);
}

/**
 * The state encodeModuleState stored, and the step it follows.
 * @throws CheckpointError when the checkpoint is damaged, another trial's or not a module objective's.
 */
export function decodeModuleState(bytes: Uint8Array, identity: Uint8Array): {epoch: number; trainSeconds: number; state: CheckpointState} {
	const {header, state: reader} = decodeCheckpoint(bytes, {trainingPath: 'module', identity});
	let layout: {value: unknown; slots: Array<[Path, SlotKind]>};
	try {
		layout = JSON.parse(Buffer.from(reader.take('module/layout', Uint8Array)).toString('utf8')) as typeof layout;
	} catch (error) {
		throw error instanceof CheckpointError ? error : new CheckpointError('checkpoint layout is not readable', {cause: error});
	}

	const root = {value: layout.value};
	try {
		for (const [k, [path, kind]] of layout.slots.entries()) {
			const data = kind === 'number' ? reader.takeNumber(`module/slot/${k}`) : (kind === 'bigint' || kind === 'undefined' ? undefined : reader.take(`module/slot/${k}`, Uint8Array));
			let parent: Record<string | number, unknown> = root;
			let key: string | number = 'value';
			for (const step of path) {
				parent = parent[key] as Record<string | number, unknown>;
				key = step;
			}

			parent[key] = restoreSlot(kind, data, parent[key], k);
		}
	} catch (error) {
		// A layout that does not fit its skeleton (the checksum passed, so it was written so): refused whole.
		throw error instanceof CheckpointError ? error : new CheckpointError(`checkpoint layout does not fit its state (${(error as Error).message})`, {cause: error});
	}

	const trainSeconds = reader.takeNumber('module/trainSeconds');
	reader.assertAllTaken();
	return {epoch: header.epoch, trainSeconds, state: root.value as CheckpointState};
}

function restoreSlot(kind: SlotKind, data: number | Uint8Array | undefined, skeleton: unknown, k: number): unknown {
	switch (kind) {
		case 'number': {
			return data;
		}

		case 'bigint': {
			return BigInt(skeleton as string);
		}

		case 'undefined': {
			return undefined;
		}

		case 'ArrayBuffer': {
			return (data as Uint8Array).buffer;
		}

		case 'Buffer': {
			const bytes = data as Uint8Array;
			return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
		}

		case 'DataView': {
			return new DataView((data as Uint8Array).buffer);
		}

		default: {
			const Constructor = TYPED_ARRAYS[kind];
			const bytes = data as Uint8Array;
			if (Constructor === undefined || bytes.byteLength % Constructor.BYTES_PER_ELEMENT !== 0) {
				throw new CheckpointError(`checkpoint slot ${k} (${String(kind)}) cannot be read`);
			}

			// The section is a fresh copy starting at offset 0, so the view is aligned.
			return new Constructor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / Constructor.BYTES_PER_ELEMENT);
		}
	}
}
