/**
 * A trial's full training state after an epoch, as one compact binary blob: enough to build a fresh
 * trainer, restore it and continue with exactly the epochs an uninterrupted run gives (the same bits).
 *
 * Layout (little-endian), header of 48 bytes, then a section table and the sections:
 *
 *   0  8  magic "SWLCKPT\n"
 *   8  4  format version (1)
 *  12  4  writer (0 simd, 1 lean, 2 layers: the training path; 3 module: a module objective's own state): a state
 *          is only ever restored by the writer that wrote it
 *  16  4  epoch the state follows (1-based)
 *  20  4  CRC-32 of the whole checkpoint with these 4 bytes taken as zero
 *  24  8  byte length of the whole checkpoint (float64: exact for any length an ArrayBuffer can have)
 *  32 16  identity of the trial (first 16 bytes of sha256 over config, seed and input shape)
 *  48  4  byte length T of the section table
 *  52  T  section table: JSON [[name, type, length], ...] (type 'f32' | 'f64' | 'u32' | 'u8'), padded to 8 bytes
 *   .  .  each section's values, in table order, each padded to 8 bytes
 *
 * Sections are named (`weights/0`, `optimizer/m/3`, `dropout/1`, ...) and restored by name with their type
 * and length checked, so a state from a different network, optimizer or version is refused, never half-loaded.
 */
import {createHash} from 'node:crypto';
import {endianness} from 'node:os';
import {crc32} from 'node:zlib';
import {TrainingError} from '../errors.js';
import {canonicalJson} from '../sweep/hash.js';
import type {CheckpointPolicy, TrialConfig} from '../types.js';
import type {ModelShape} from './model.js';
import type {TrainingPath} from './trainer.js';

export const CHECKPOINT_VERSION = 1;
const MAGIC = Buffer.from('SWLCKPT\n', 'latin1');
const HEADER_BYTES = 52;
/** Who wrote a checkpoint: a built-in training path, or a module objective (module-state.ts). */
export type CheckpointWriterKind = TrainingPath | 'module';
/** The header's code of each writer, its index here: a new one is appended, so old checkpoints keep theirs. */
const PATH_CODES: readonly CheckpointWriterKind[] = ['simd', 'lean', 'layers', 'module', 'simd-fma'];

export type StateArray = Float32Array | Float64Array | Uint32Array | Uint8Array;
type StateType = 'f32' | 'f64' | 'u32' | 'u8';

const typeOf = (values: StateArray): StateType => (values instanceof Float32Array ? 'f32' : (values instanceof Float64Array ? 'f64' : (values instanceof Uint32Array ? 'u32' : 'u8')));
const CONSTRUCTORS = {f32: Float32Array, f64: Float64Array, u32: Uint32Array, u8: Uint8Array} as const;

/** Why a checkpoint cannot be restored: truncated, corrupt, of another trial or path, or of another network. */
export class CheckpointError extends TrainingError {}

/** Named arrays a trainer writes its state into. The arrays are copied when the checkpoint is encoded, so views of live state are fine. */
export class StateWriter {
	readonly sections: Array<[string, StateArray]> = [];
	private readonly names = new Set<string>();

	put(name: string, values: StateArray): void {
		if (this.names.has(name)) {
			throw new RangeError(`StateWriter: section ${name} written twice`);
		}

		this.names.add(name);
		this.sections.push([name, values]);
	}

	/** One float64 scalar (a bias-correction power, a best metric). */
	putNumber(name: string, value: number): void {
		this.put(name, Float64Array.of(value));
	}
}

/** The sections of a decoded checkpoint, read back by name. */
export class StateReader {
	private readonly sections: Map<string, StateArray>;
	private readonly taken = new Set<string>();

	constructor(sections: Array<[string, StateArray]>) {
		this.sections = new Map(sections);
	}

	names(): string[] {
		return [...this.sections.keys()];
	}

	has(name: string): boolean {
		return this.sections.has(name);
	}

	/** The section `name`, which must have this type (and length, when given). Throws CheckpointError otherwise. */
	take<T extends StateArray>(name: string, type: {new(length: number): T; readonly name: string}, length?: number): T {
		const values = this.sections.get(name);
		if (values === undefined) {
			throw new CheckpointError(`checkpoint has no section ${name}`);
		}

		if (!(values instanceof type) || (length !== undefined && values.length !== length)) {
			throw new CheckpointError(`checkpoint section ${name} is ${typeOf(values)}[${values.length}], expected ${type.name}[${length ?? 'any'}]`);
		}

		this.taken.add(name);
		return values as T;
	}

	takeNumber(name: string): number {
		return this.take(name, Float64Array, 1)[0];
	}

	/** Copies section `name` into `into` (same type and length). */
	into(name: string, into: StateArray): void {
		into.set(this.take(name, into.constructor as new(length: number) => StateArray, into.length) as ArrayLike<number> & StateArray);
	}

	/** Throws CheckpointError when a section was never read: the state is of a different network than the one restoring it. */
	assertAllTaken(): void {
		const left = [...this.sections.keys()].filter(name => !this.taken.has(name));
		if (left.length > 0) {
			throw new CheckpointError(`checkpoint has sections this trainer does not use: ${left.slice(0, 3).join(', ')}${left.length > 3 ? ', ...' : ''}`);
		}
	}
}

/** What identifies the trial a checkpoint belongs to: its config, its seed and the input shape (16 bytes). */
export function trialIdentity(config: TrialConfig, seed: number, shape: ModelShape): Uint8Array {
	return createHash('sha256').update(canonicalJson({config, seed, shape})).digest().subarray(0, 16);
}

export interface CheckpointHeader {
	version: number;
	trainingPath: CheckpointWriterKind;
	epoch: number;
	byteLength: number;
	identity: Uint8Array;
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

/** One checkpoint blob from the sections a trainer and the epoch loop wrote. */
export function encodeCheckpoint(header: {trainingPath: CheckpointWriterKind; epoch: number; identity: Uint8Array}, state: StateWriter): Uint8Array {
	// Sections are copied as they lie in memory: the format is little-endian, as every host Node runs on but s390x.
	if (endianness() !== 'LE') {
		throw new CheckpointError('checkpoints are written on little-endian hosts only');
	}

	const table = Buffer.from(JSON.stringify(state.sections.map(([name, values]) => [name, typeOf(values), values.length])), 'utf8');
	let length = pad8(HEADER_BYTES + table.length);
	for (const [, values] of state.sections) {
		length += pad8(values.byteLength);
	}

	const bytes = new Uint8Array(length);
	const view = new DataView(bytes.buffer);
	bytes.set(MAGIC, 0);
	view.setUint32(8, CHECKPOINT_VERSION, true);
	view.setUint32(12, PATH_CODES.indexOf(header.trainingPath), true);
	view.setUint32(16, header.epoch, true);
	view.setFloat64(24, length, true);
	bytes.set(header.identity.subarray(0, 16), 32);
	view.setUint32(48, table.length, true);
	bytes.set(table, HEADER_BYTES);
	let offset = pad8(HEADER_BYTES + table.length);
	for (const [, values] of state.sections) {
		bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
		offset += pad8(values.byteLength);
	}

	view.setUint32(20, checksum(bytes), true);
	return bytes;
}

/** CRC-32 of the checkpoint with its checksum field taken as zero. */
function checksum(bytes: Uint8Array): number {
	return crc32(bytes.subarray(24), crc32(new Uint8Array(4), crc32(bytes.subarray(0, 20))));
}

/** The header alone, checked for magic, version, length and checksum. Throws CheckpointError. */
export function readCheckpointHeader(bytes: Uint8Array): CheckpointHeader {
	if (bytes.length < HEADER_BYTES || !MAGIC.equals(bytes.subarray(0, 8))) {
		throw new CheckpointError(`not a sweeplab checkpoint (${bytes.length} bytes, no magic)`);
	}

	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const version = view.getUint32(8, true);
	if (version !== CHECKPOINT_VERSION) {
		throw new CheckpointError(`checkpoint format version ${version}, this sweeplab reads version ${CHECKPOINT_VERSION}`);
	}

	const byteLength = view.getFloat64(24, true);
	if (byteLength !== bytes.length) {
		throw new CheckpointError(`checkpoint is truncated or padded: ${bytes.length} bytes, its header says ${byteLength}`);
	}

	const expected = view.getUint32(20, true);
	const actual = checksum(bytes);
	if (expected !== actual) {
		throw new CheckpointError(`checkpoint checksum mismatch (stored ${expected.toString(16)}, computed ${actual.toString(16)}): the file is corrupt`);
	}

	const trainingPath = PATH_CODES[view.getUint32(12, true)];
	if (trainingPath === undefined) {
		throw new CheckpointError(`checkpoint names an unknown training path (${view.getUint32(12, true)})`);
	}

	return {version, trainingPath, epoch: view.getUint32(16, true), byteLength, identity: bytes.slice(32, 48)};
}

/**
 * The state of a checkpoint that belongs to this trial and path. Throws CheckpointError when it is damaged,
 * of another trial (config, seed or input shape) or of another training path, whose arithmetic differs.
 */
export function decodeCheckpoint(bytes: Uint8Array, expect: {trainingPath?: CheckpointWriterKind; identity: Uint8Array}): {header: CheckpointHeader; state: StateReader} {
	const header = readCheckpointHeader(bytes);
	if (!Buffer.from(header.identity).equals(Buffer.from(expect.identity.subarray(0, 16)))) {
		throw new CheckpointError('checkpoint belongs to another trial (its config, seed or dataset shape differ)');
	}

	if (expect.trainingPath !== undefined && header.trainingPath !== expect.trainingPath) {
		throw new CheckpointError(`checkpoint was written on the ${header.trainingPath} training path, this trial trains on ${expect.trainingPath}: resuming would not give the same result`);
	}

	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const tableLength = view.getUint32(48, true);
	let table: unknown;
	try {
		table = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + HEADER_BYTES, Math.min(tableLength, bytes.length - HEADER_BYTES)).toString('utf8'));
	} catch (error) {
		throw new CheckpointError('checkpoint section table is not readable', {cause: error});
	}

	if (!Array.isArray(table)) {
		throw new CheckpointError('checkpoint section table is not a list');
	}

	const sections: Array<[string, StateArray]> = [];
	let offset = pad8(HEADER_BYTES + tableLength);
	for (const entry of table as unknown[]) {
		const [name, type, length] = Array.isArray(entry) ? entry as unknown[] : [];
		if (typeof name !== 'string' || !Object.hasOwn(CONSTRUCTORS, type as string) || !Number.isSafeInteger(length) || (length as number) < 0) {
			throw new CheckpointError(`checkpoint section table has a bad entry: ${JSON.stringify(entry)}`);
		}

		const Constructor = CONSTRUCTORS[type as StateType];
		const byteLength = (length as number) * Constructor.BYTES_PER_ELEMENT;
		if (offset + byteLength > bytes.length) {
			throw new CheckpointError(`checkpoint section ${name} runs past the end`);
		}

		// A copy, aligned for its type: a view would keep the whole blob alive and may be misaligned.
		const values = new Constructor(length as number);
		new Uint8Array(values.buffer).set(bytes.subarray(offset, offset + byteLength));
		sections.push([name, values]);
		offset += pad8(byteLength);
	}

	return {header, state: new StateReader(sections)};
}

/**
 * A trial's final weights (keepBestWeights) in the checkpoint format: sections `weights/k` in the order of the
 * Keras-style model's getWeights(), which every training path shares.
 */
export function encodeWeights(weights: Float32Array[], info: {trainingPath: string; epoch: number; config: TrialConfig; seed: number; shape: ModelShape}): Uint8Array {
	const state = new StateWriter();
	for (const [k, values] of weights.entries()) {
		state.put(`weights/${k}`, values);
	}

	const trainingPath = PATH_CODES.find(path => path === info.trainingPath) ?? 'layers';
	return encodeCheckpoint({trainingPath, epoch: info.epoch, identity: trialIdentity(info.config, info.seed, info.shape)}, state);
}

/** The weights encodeWeights wrote for this trial. Throws CheckpointError when the blob is damaged or another trial's. */
export function decodeWeights(bytes: Uint8Array, trial: {config: TrialConfig; seed: number; shape: ModelShape}): {epoch: number; weights: Float32Array[]} {
	const {header, state} = decodeCheckpoint(bytes, {identity: trialIdentity(trial.config, trial.seed, trial.shape)});
	const weights: Float32Array[] = [];
	while (state.has(`weights/${weights.length}`)) {
		weights.push(state.take(`weights/${weights.length}`, Float32Array));
	}

	state.assertAllTaken();
	return {epoch: header.epoch, weights};
}

/**
 * A sweep's checkpoint policy as a test of a step (an epoch) that just ended: everyEpochs counts steps, everySeconds
 * the time since the last checkpoint taken (the clock starts now). No policy: never.
 */
export function checkpointsDue(policy: CheckpointPolicy | undefined): (epoch: number) => boolean {
	let last = performance.now();
	return epoch => {
		const now = performance.now();
		const due = policy !== undefined
			&& ((policy.everyEpochs !== undefined && epoch % policy.everyEpochs === 0)
				|| (policy.everySeconds !== undefined && now - last >= policy.everySeconds * 1000));
		if (due) {
			last = now;
		}

		return due;
	};
}
