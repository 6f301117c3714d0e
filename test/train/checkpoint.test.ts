import test, {type ExecutionContext} from 'ava';
import {loadDataset, splitDataset, type SplitData} from '../../src/data/load.js';
import {loadBackend} from '../../src/train/backend.js';
import {CheckpointError, decodeCheckpoint, encodeCheckpoint, readCheckpointHeader, StateWriter, trialIdentity} from '../../src/train/checkpoint.js';
import {trainTrial, type TrainInput, type TrainResult} from '../../src/train/loop.js';
import type {TrainingPath} from '../../src/train/trainer.js';
import {DEFAULT_TRIAL_CONFIG, type EpochRecord, type TrialConfig} from '../../src/types.js';
import {shape} from './helpers.js';

const splits = new Map<number, SplitData>();
async function split(trainLimit: number): Promise<SplitData> {
	if (!splits.has(trainLimit)) {
		const dataset = await loadDataset('fashion-mnist-mini');
		splits.set(trainLimit, splitDataset(dataset, {name: 'fashion-mnist-mini', trainLimit, testLimit: 300, validation: 0.2}));
	}

	return splits.get(trainLimit)!;
}

interface Run {
	result: TrainResult;
	epochs: EpochRecord[];
	/** The checkpoint taken after each epoch, by epoch. */
	checkpoints: Map<number, Uint8Array>;
	warnings: string[];
	/** The training path onStart reported. */
	path: string;
}

async function run(input: Omit<TrainInput, 'data' | 'shape'>, trainLimit: number, stopAfter?: number): Promise<Run> {
	const {tf} = await loadBackend('wasm');
	const epochs: EpochRecord[] = [];
	const checkpoints = new Map<number, Uint8Array>();
	const warnings: string[] = [];
	let path = '';
	const result = await trainTrial(tf, {checkpoint: {everyEpochs: 1}, keepWeights: true, ...input, data: await split(trainLimit), shape}, {
		onStart(info) {
			path = info.trainingPath;
		},
		onEpoch(record) {
			epochs.push(record);
		},
		onCheckpoint({epoch, bytes}) {
			checkpoints.set(epoch, bytes);
		},
		onWarning(message) {
			warnings.push(message);
		},
		...(stopAfter !== undefined && {shouldStop: () => (epochs.length >= stopAfter ? 'stop asked' : undefined)}),
	});
	return {result, epochs, checkpoints, warnings, path};
}

/** The bits of every metric of an epoch (wall seconds aside), so 0 and -0 or two NaNs compare as what they are. */
const bits = (values: number[]): string => Buffer.from(Float64Array.from(values).buffer).toString('hex');
const epochBits = (records: EpochRecord[]): string[] => records.map(({epoch, loss, accuracy, valLoss, valAccuracy}) => `${epoch}:${bits([loss, accuracy, valLoss, valAccuracy])}`);

/** The resumed run continues with exactly the epochs, test figures and final weights of the uninterrupted one. */
function assertSameContinuation(t: ExecutionContext, full: Run, resumed: Run, from: number): void {
	t.is(resumed.path, full.path, 'resumed on the path it started on');
	t.is(resumed.result.resumedFrom, from);
	t.deepEqual(resumed.warnings, []);
	t.deepEqual(epochBits(resumed.epochs), epochBits(full.epochs.slice(from)), `epochs after ${from}`);
	t.is(resumed.result.state, full.result.state);
	t.is(resumed.result.epochsRun, full.result.epochsRun);
	t.is(resumed.result.stopReason, full.result.stopReason);
	t.is(resumed.result.weightsEpoch, full.result.weightsEpoch);
	t.is(bits([resumed.result.testLoss!, resumed.result.testAccuracy!]), bits([full.result.testLoss!, full.result.testAccuracy!]), 'test loss and accuracy');
	const [expected, actual] = [full.result.weights!, resumed.result.weights!];
	t.is(actual.length, expected.length);
	t.true(expected.every((values, k) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).equals(Buffer.from(actual[k].buffer, actual[k].byteOffset, actual[k].byteLength))), 'final weights bit-identical');
}

const mlp: TrialConfig = {
	...DEFAULT_TRIAL_CONFIG,
	hidden: [48, 24],
	dropout: 0.3,
	batchNorm: true,
	epochs: 7,
	// minDelta chosen so that the run stops early on this subset: the best weights must travel in the checkpoint.
	earlyStopping: {monitor: 'val_accuracy', patience: 2, minDelta: 0.03, restoreBest: true},
};
const cnn: TrialConfig = {...DEFAULT_TRIAL_CONFIG, model: 'cnn', conv: [4, 8], hidden: [16], batchNorm: true, dropout: 0.2, optimizer: 'adamax', epochs: 3};

/*
 * A plateau schedule whose rate falls within the first epochs (patience 1, a rate high enough for the validation loss
 * to stall), with decoupled weight decay, which steps with the scheduled rate too: a resume must bring back the
 * schedule's state and the rate in use. The cosine case warms up over the first epoch and decays per step.
 */
const plateau: TrialConfig = {...DEFAULT_TRIAL_CONFIG, hidden: [32], learningRate: 0.02, epochs: 6, weightDecay: 0.01, lrSchedule: {kind: 'plateau', patience: 1, factor: 0.5, minLr: 0}};
const cosine: TrialConfig = {...DEFAULT_TRIAL_CONFIG, hidden: [32], optimizer: 'momentum', learningRate: 0.05, epochs: 4, standardize: 'global', augment: {translate: 1, flip: false}, lrSchedule: {kind: 'cosine', warmupEpochs: 1}};

const cases: Array<{title: string; config: TrialConfig; trainLimit: number; path?: TrainingPath; resumeAt: number[]}> = [
	// The default path: simd-fma where relaxed SIMD fuses, else simd; the plain simd kernels are forced in the cases after.
	{title: 'an MLP with a plateau schedule and weight decay (simd path)', config: plateau, trainLimit: 800, resumeAt: [2, 4, 5]},
	{title: 'an MLP with dropout and batch norm, plain simd kernels', config: {...mlp, earlyStopping: null, epochs: 3}, trainLimit: 600, path: 'simd', resumeAt: [1]},
	{title: 'a small CNN with batch norm and dropout, plain simd kernels', config: {...cnn, epochs: 2}, trainLimit: 300, path: 'simd', resumeAt: [1]},
	{title: 'the plateau MLP on the layers path', config: plateau, trainLimit: 800, path: 'layers', resumeAt: [4]},
	{title: 'an MLP with a cosine schedule, standardisation and augmentation (lean path)', config: cosine, trainLimit: 600, path: 'lean', resumeAt: [1, 2]},
	{title: 'an MLP with dropout, batch norm and early stopping (simd path)', config: mlp, trainLimit: 1200, resumeAt: [1, 3, 6]},
	{title: 'a small CNN with batch norm and dropout (simd path)', config: cnn, trainLimit: 400, resumeAt: [1, 2]},
	{title: 'the MLP on the lean path', config: {...mlp, optimizer: 'rmsprop'}, trainLimit: 800, path: 'lean', resumeAt: [2]},
	{title: 'the MLP on the layers path (tfjs adam)', config: mlp, trainLimit: 800, path: 'layers', resumeAt: [2]},
	{title: 'the CNN on the layers path (tfjs adamax)', config: cnn, trainLimit: 200, path: 'layers', resumeAt: [1]},
];

for (const {title, config, trainLimit, path, resumeAt} of cases) {
	test.serial(`resuming from a checkpoint gives the uninterrupted run's epochs and weights bit for bit: ${title}`, async t => {
		const full = await run({config, seed: 17, ...(path && {path})}, trainLimit);
		t.is(full.result.state, 'completed');
		t.is(full.checkpoints.size, full.epochs.length - (full.result.stopReason ? 1 : 0), 'a checkpoint after every epoch that training went on from');
		for (const from of resumeAt) {
			t.true(full.checkpoints.has(from), `checkpoint of epoch ${from}`);
			// A fresh trainer in the same process, restored from the bytes alone.
			const resumed = await run({config, seed: 17, ...(path && {path}), resume: full.checkpoints.get(from)!.slice()}, trainLimit);
			assertSameContinuation(t, full, resumed, from);
		}

		if (config.lrSchedule?.kind === 'plateau') {
			// The case exercises a rate the plateau lowered by a resume point (read back from that checkpoint).
			const rates = resumeAt.map(from => decodeCheckpoint(full.checkpoints.get(from)!, {identity: trialIdentity(config, 17, shape)}).state.takeNumber('schedule/rate'));
			t.true(rates.some(rate => rate < config.learningRate), `rates at the resume points: ${rates.join(', ')}`);
		}

		if (config === mlp && !path) {
			// Resumed at 6, the best weights (of an earlier epoch) must have come back from the checkpoint.
			t.regex(full.result.stopReason ?? '', /^early stopping at epoch 7: .* at epoch 5, restored\)$/, 'the case exercises early stopping after a resume point');
			t.is(full.result.weightsEpoch, 5, 'the kept weights are the best epoch\'s');
			// Taking checkpoints does not disturb training.
			const plain = await run({config, seed: 17, checkpoint: undefined}, trainLimit);
			t.is(plain.checkpoints.size, 0);
			t.deepEqual(epochBits(plain.epochs), epochBits(full.epochs));
		}
	});
}

test.serial('a resumed trial that checkpointed its last epoch only runs the test evaluation', async t => {
	const config = {...DEFAULT_TRIAL_CONFIG, hidden: [16], epochs: 2};
	const full = await run({config, seed: 3}, 400);
	const resumed = await run({config, seed: 3, resume: full.checkpoints.get(2)}, 400);
	t.is(resumed.epochs.length, 0);
	assertSameContinuation(t, full, resumed, 2);
	t.is(resumed.result.trainSeconds, full.result.trainSeconds, 'the training time of the epochs before the checkpoint is kept');
});

test.serial('a checkpoint of another path resumes on that path where it covers the trial, whichever path would start it', async t => {
	const config = {...DEFAULT_TRIAL_CONFIG, hidden: [16], dropout: 0.2, epochs: 2};
	for (const path of ['simd', 'lean'] as const) {
		const full = await run({config, seed: 5, path}, 400);
		t.is(full.path, path);
		const resumed = await run({config, seed: 5, resume: full.checkpoints.get(1)!.slice()}, 400);
		assertSameContinuation(t, full, resumed, 1);
	}
});

test.serial('a truncated, corrupt, foreign or other-path checkpoint is ignored with a warning and the trial trains from scratch', async t => {
	const config = {...DEFAULT_TRIAL_CONFIG, hidden: [16], dropout: 0.2, epochs: 2};
	const full = await run({config, seed: 5}, 400);
	const good = full.checkpoints.get(1)!;
	const corrupt = good.slice();
	corrupt[good.length - 3] ^= 1;
	const other = await run({config: {...config, hidden: [17]}, seed: 5}, 400);
	const otherSeed = await run({config, seed: 6}, 400);
	const bad: Array<[string, Uint8Array, RegExp]> = [
		['truncated', good.subarray(0, good.length - 100), /truncated/],
		['cut inside the header', good.subarray(0, 20), /not a sweeplab checkpoint/],
		['empty', new Uint8Array(0), /not a sweeplab checkpoint/],
		['a flipped bit', corrupt, /checksum/],
		['another config', other.checkpoints.get(1)!, /another trial/],
		['another seed', otherSeed.checkpoints.get(1)!, /another trial/],
	];
	for (const [what, bytes, reason] of bad) {
		const restarted = await run({config, seed: 5, resume: bytes}, 400);
		t.is(restarted.warnings.length, 1, what);
		t.regex(restarted.warnings[0], /^checkpoint ignored, training from epoch 1: /, what);
		t.regex(restarted.warnings[0], reason, what);
		t.is(restarted.result.resumedFrom, undefined, what);
		t.deepEqual(epochBits(restarted.epochs), epochBits(full.epochs), `${what}: trained from scratch, as the uninterrupted run`);
	}
});
test.serial('a checkpoint of a path that cannot train the trial here is ignored with a warning and the trial trains from scratch', async t => {
	// As a simd-fma checkpoint where relaxed SIMD is missing: the lean path trains MLPs only.
	const config = {...cnn, conv: [2], hidden: [], epochs: 1};
	const full = await run({config, seed: 5}, 200);
	const foreign = encodeCheckpoint({trainingPath: 'lean', epoch: 1, identity: trialIdentity(config, 5, shape)}, new StateWriter());
	const restarted = await run({config, seed: 5, resume: foreign}, 200);
	t.is(restarted.warnings.length, 1);
	t.regex(restarted.warnings[0], /^checkpoint ignored, training from epoch 1: checkpoint was written on the lean training path, this trial trains on simd/);
	t.is(restarted.path, full.path);
	t.deepEqual(epochBits(restarted.epochs), epochBits(full.epochs), 'trained from scratch, as the uninterrupted run');
});


test('the header names version, path, epoch and length, and the checksum covers every byte', t => {
	const identity = trialIdentity(DEFAULT_TRIAL_CONFIG, 1, shape);
	const state = new StateWriter();
	state.put('weights/0', Float32Array.of(1.5, -0, Number.NaN));
	state.putNumber('optimizer/power1', 0.9 ** 3);
	state.put('dropout/0', Uint32Array.of(1, 2, 3, 0xFFFF_FFFF));
	const bytes = encodeCheckpoint({trainingPath: 'lean', epoch: 4, identity}, state);
	t.deepEqual(readCheckpointHeader(bytes), {version: 1, trainingPath: 'lean', epoch: 4, byteLength: bytes.length, identity: Uint8Array.from(identity)});
	const {state: read} = decodeCheckpoint(bytes, {trainingPath: 'lean', identity});
	t.deepEqual([...read.take('weights/0', Float32Array, 3)].map(value => Object.is(value, -0) ? '-0' : String(value)), ['1.5', '-0', 'NaN']);
	t.is(read.takeNumber('optimizer/power1'), 0.9 ** 3);
	t.deepEqual([...read.take('dropout/0', Uint32Array, 4)], [1, 2, 3, 0xFFFF_FFFF]);
	t.throws(() => read.take('weights/0', Float32Array, 4), {instanceOf: CheckpointError, message: /f32\[3\], expected Float32Array\[4\]/});
	t.throws(() => read.take('weights/1', Float32Array), {instanceOf: CheckpointError, message: /no section weights\/1/});
	// Every single flipped byte is caught, header fields included.
	for (let i = 0; i < bytes.length; i++) {
		const flipped = bytes.slice();
		flipped[i] ^= 0x10;
		t.throws(() => decodeCheckpoint(flipped, {trainingPath: 'lean', identity}), {instanceOf: CheckpointError}, `byte ${i}`);
	}
});

test.serial('checkpointing and resuming on the layers path leave no tensors behind', async t => {
	const {tf} = await loadBackend('wasm');
	const config = {...DEFAULT_TRIAL_CONFIG, hidden: [8], epochs: 2, earlyStopping: {monitor: 'val_loss' as const, patience: 5, minDelta: 0, restoreBest: true}};
	const full = await run({config, seed: 2, path: 'layers'}, 200);
	const before = tf.memory().numTensors;
	await run({config, seed: 2, path: 'layers', resume: full.checkpoints.get(1)}, 200);
	t.is(tf.memory().numTensors, before);
});

test.serial('a trial stopped between epochs (Ctrl-C) checkpoints its last epoch even when the policy would not have, and resumes from it exactly', async t => {
	const config = {...DEFAULT_TRIAL_CONFIG, hidden: [16], dropout: 0.1, epochs: 4};
	const full = await run({config, seed: 9}, 400);
	const stopped = await run({config, seed: 9, checkpoint: {everyEpochs: 10}}, 400, 2);
	t.is(stopped.result.state, 'interrupted');
	t.deepEqual([...stopped.checkpoints.keys()], [2]);
	const resumed = await run({config, seed: 9, resume: stopped.checkpoints.get(2)}, 400);
	assertSameContinuation(t, full, resumed, 2);
	const never = await run({config, seed: 9, checkpoint: undefined}, 400, 2);
	t.is(never.checkpoints.size, 0, 'no policy, no checkpoint');
});
