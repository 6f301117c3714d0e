/**
 * What a checkpoint after every epoch costs the training thread, for the seed MLP and the study's small CNN on
 * the full Fashion-MNIST (60k training images, the 10k validation pass), each model in its own process:
 * the checkpoint's size, the seconds to capture it (trainer state + encoding + checksum, which the training
 * thread waits for) against the epoch's seconds, then the seconds to decode and restore it into a fresh
 * trainer and to write it to a file (what a store puts on disk; the main thread does that, not the trainer).
 * Capture and epoch are timed in the same run, so the machine's drift cancels out of their ratio.
 *
 *   npm run bench:checkpoint -- [--epochs 3] [--models mlp,cnn] [--path simd|lean|layers]
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {loadDataset, splitDataset} from '../src/data/load.js';
import {loadBackend} from '../src/train/backend.js';
import {trainTrial} from '../src/train/loop.js';
import type {TrainingPath} from '../src/train/trainer.js';
import {DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../src/types.js';
import {childJob, machineLine, median, reportToParent, runChild} from './common.js';

/** The study's small CNN (sweeps/cnn.yaml), as bench:epoch trains it. */
const CNN: Partial<TrialConfig> = {model: 'cnn', conv: [8, 16], kernelSize: 3};

interface Job {
	model: 'mlp' | 'cnn';
	epochs: number;
	path?: TrainingPath;
}

interface Measurement {
	trainingPath: string;
	bytes: number;
	epochSeconds: number[];
	captureSeconds: number[];
	restoreSeconds: number;
	writeSeconds: number[];
}

async function measure(job: Job): Promise<Measurement> {
	const {tf} = await loadBackend('wasm');
	const dataset = await loadDataset('fashion-mnist');
	const data = splitDataset(dataset, {name: 'fashion-mnist', validation: 'test'});
	const config = {...DEFAULT_TRIAL_CONFIG, ...(job.model === 'cnn' ? CNN : {}), epochs: job.epochs};
	const shape = {imageShape: dataset.imageShape, numClasses: dataset.numClasses};
	const directory = mkdtempSync(join(tmpdir(), 'sweeplab-bench-checkpoint-'));
	const measurement: Measurement = {trainingPath: '', bytes: 0, epochSeconds: [], captureSeconds: [], restoreSeconds: 0, writeSeconds: []};
	let last: Uint8Array | undefined;
	try {
		await trainTrial(tf, {config, seed: 1, data, shape, ...(job.path && {path: job.path}), checkpoint: {everyEpochs: 1}}, {
			onStart(info) {
				measurement.trainingPath = info.trainingPath;
			},
			onEpoch(record) {
				measurement.epochSeconds.push(record.seconds);
			},
			onCheckpoint({bytes, seconds}) {
				measurement.captureSeconds.push(seconds);
				measurement.bytes = bytes.length;
				const started = performance.now();
				writeFileSync(join(directory, 'checkpoint.bin'), bytes, {flush: true});
				measurement.writeSeconds.push((performance.now() - started) / 1000);
				last = bytes;
			},
		});
		// Restoring is a resume's one-off cost: a fresh trainer reads the last checkpoint and runs no epoch.
		const started = performance.now();
		await trainTrial(tf, {config: {...config}, seed: 1, data: {...data, test: {x: data.test.x.subarray(0, 784), y: data.test.y.subarray(0, 1), n: 1}}, shape, ...(job.path && {path: job.path}), resume: last}, {onEpoch() {}});
		measurement.restoreSeconds = (performance.now() - started) / 1000;
	} finally {
		rmSync(directory, {recursive: true, force: true});
	}

	return measurement;
}

const job = childJob<Job>();
if (job) {
	await reportToParent(await measure(job));
} else {
	const {values} = parseArgs({options: {epochs: {type: 'string', default: '3'}, models: {type: 'string', default: 'mlp,cnn'}, path: {type: 'string'}}});
	const epochs = Number(values.epochs);
	console.log(`checkpoint after every epoch, full Fashion-MNIST, wasm backend; ${machineLine()}; ${new Date().toISOString()}`);
	for (const model of values.models.split(',') as Array<'mlp' | 'cnn'>) {
		const result = await runChild<Measurement>(import.meta.url, {model, epochs, ...(values.path && {path: values.path})});
		const epoch = median(result.epochSeconds);
		const capture = median(result.captureSeconds);
		console.log(`${model} (${result.trainingPath}): ${(result.bytes / 1024).toFixed(0)} KiB; epoch ${epoch.toFixed(2)} s; capture ${(capture * 1000).toFixed(2)} ms = ${(100 * capture / epoch).toFixed(3)}% of the epoch (medians of ${result.captureSeconds.length}); file write+flush ${(median(result.writeSeconds) * 1000).toFixed(2)} ms; fresh trainer + restore ${(result.restoreSeconds * 1000).toFixed(1)} ms`);
	}
}
