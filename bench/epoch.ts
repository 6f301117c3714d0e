/**
 * Seconds per epoch of the seed MLP (or with `--model cnn` the study's small CNN) on the full Fashion-MNIST
 * (60k training images plus the 10k validation pass) on each training path (sweeplab's SIMD kernels, the lean
 * loop on tfjs kernels, the plain Keras-style layers), per backend, each in its own process; then, for the MLP
 * and where python3 has torch, the same epoch in PyTorch on one thread (bench/peer/torch_epoch.py). The last
 * line is `s_per_epoch=<median>` of the first path on the first backend.
 *
 *   npm run bench:epoch -- --batch 32 [--epochs 2] [--model mlp|cnn] [--batch-norm] [--backends wasm,cpu] [--paths simd,lean,layers]
 */
import {spawnSync} from 'node:child_process';
import {loadavg} from 'node:os';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {loadDataset, splitDataset} from '../src/data/load.js';
import {locateDataset} from '../src/data/locate.js';
import {getDatasetEntry} from '../src/data/registry.js';
import {loadBackend, nativeBackendInstalled} from '../src/train/backend.js';
import {trainTrial} from '../src/train/loop.js';
import type {TrainingPath} from '../src/train/trainer.js';
import {type BackendName, DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../src/types.js';
import {childJob, findPeerPython, machineLine, median, PEER_ENV, referenceBlasWarning, reportToParent, runChild} from './common.js';

/** The study's small CNN (sweeps/cnn.yaml): conv 8 and 16 filters, 3x3, each with 2x2 max pooling, then 64-64. */
const CNN: Partial<TrialConfig> = {model: 'cnn', conv: [8, 16], kernelSize: 3};

interface Job {
	model: 'mlp' | 'cnn';
	batchNorm: boolean;
	backend: BackendName;
	path: TrainingPath;
	batch: number;
	epochs: number;
}

interface Measurement {
	seconds: number[];
	/** Process CPU time (user + system) per epoch: near the wall time on an idle machine, lower when others share the cores. */
	cpuSeconds: number[];
	valAccuracy: number;
}

async function measure(job: Job): Promise<Measurement> {
	const {tf} = await loadBackend(job.backend);
	const dataset = await loadDataset('fashion-mnist');
	const data = splitDataset(dataset, {name: 'fashion-mnist', validation: 'test'});
	const seconds: number[] = [];
	const cpuSeconds: number[] = [];
	let valAccuracy = Number.NaN;
	let cpu = process.cpuUsage();
	await trainTrial(tf, {
		config: {...DEFAULT_TRIAL_CONFIG, ...(job.model === 'cnn' ? CNN : {}), batchNorm: job.batchNorm, batchSize: job.batch, epochs: job.epochs},
		seed: 1,
		data,
		shape: {imageShape: dataset.imageShape, numClasses: dataset.numClasses},
		path: job.path,
	}, {
		onStart() {
			cpu = process.cpuUsage();
		},
		onEpoch(record) {
			const used = process.cpuUsage(cpu);
			cpu = process.cpuUsage();
			cpuSeconds.push((used.user + used.system) / 1e6);
			seconds.push(record.seconds);
			valAccuracy = record.valAccuracy;
		},
	});
	return {seconds, cpuSeconds, valAccuracy};
}

/** The same epoch in PyTorch, where a python3 with torch is found (bench:peer's requirements). */
function printTorchEpoch(batch: number, epochs: number): void {
	const peer = findPeerPython();
	const located = locateDataset(getDatasetEntry('fashion-mnist'));
	if (!('python' in peer) || !located) {
		console.log('torch  (skipped: no python3 with torch and optuna, see bench:peer)');
		return;
	}

	const script = fileURLToPath(new URL('../../bench/peer/torch_epoch.py', import.meta.url));
	const run = spawnSync(peer.python, [script, '--data-dir', located.dir, '--batch', String(batch), '--epochs', String(epochs)], {encoding: 'utf8', env: PEER_ENV});
	if (run.status !== 0) {
		console.log(`torch  failed: ${run.stderr.trim().split('\n').at(-1)}`);
		return;
	}

	const result = JSON.parse(run.stdout) as {seconds: number[]; valAccuracy: number};
	console.log(`torch  1 thread s/epoch median ${median(result.seconds).toFixed(2)} (epochs: ${result.seconds.map(s => s.toFixed(2)).join(', ')}; last val accuracy ${result.valAccuracy.toFixed(4)}; torch ${peer.versions})`);
	const warning = referenceBlasWarning(peer.versions);
	if (warning) {
		console.log(warning);
	}
}

async function main(): Promise<void> {
	const job = childJob<Job>();
	if (job) {
		await reportToParent(await measure(job));
		return;
	}

	const {values} = parseArgs({options: {
		batch: {type: 'string', default: '32'},
		epochs: {type: 'string', default: '2'},
		backends: {type: 'string'},
		paths: {type: 'string'},
		model: {type: 'string', default: 'mlp'},
		'batch-norm': {type: 'boolean', default: false},
	}});
	const batchNorm = values['batch-norm'];
	const model = values.model === 'cnn' ? 'cnn' : 'mlp';
	const batch = Number(values.batch);
	const epochs = Number(values.epochs);
	// cpu is opt-in: its plain path takes about a minute per epoch.
	const backends = (values.backends ?? (nativeBackendInstalled() ? 'node,wasm' : 'wasm')).split(',') as BackendName[];
	// The lean path covers MLPs only.
	const paths = (values.paths ?? (model === 'cnn' ? 'simd,layers' : 'simd,lean,layers')).split(',') as TrainingPath[];
	const network = model === 'cnn' ? 'small CNN (conv 8-16 3x3, 2x2 max pool, 64-64) relu adam' : 'seed MLP 784-64-64-10 relu adam';
	console.log(`bench:epoch ${network}${batchNorm ? ' with batch norm' : ''}, batch ${batch}, ${epochs} epochs, 60000 train + 10000 validation; ${machineLine()}, load average ${loadavg().map(v => v.toFixed(2)).join(' ')}`);
	let headline: number | undefined;
	for (const backend of backends) {
		for (const path of paths) {
			// Sequential on purpose: two measurements side by side would share the cores.
			// eslint-disable-next-line no-await-in-loop
			const result = await runChild<Measurement>(import.meta.url, {model, batchNorm, backend, path, batch, epochs} satisfies Job);
			const value = median(result.seconds);
			headline ??= value;
			console.log(`${backend.padEnd(5)} ${path.padEnd(6)} s/epoch median ${value.toFixed(2)} (epochs: ${result.seconds.map(s => s.toFixed(2)).join(', ')}; cpu s/epoch median ${median(result.cpuSeconds).toFixed(2)}; last val accuracy ${result.valAccuracy.toFixed(4)})`);
		}
	}

	if (model === 'mlp' && !batchNorm) {
		printTorchEpoch(batch, epochs);
	}

	console.log(`load average after: ${loadavg().map(v => v.toFixed(2)).join(' ')}`);
	console.log(`s_per_epoch=${(headline ?? Number.NaN).toFixed(2)}`);
}

await main();
