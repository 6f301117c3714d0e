/**
 * Seconds per epoch of the benchmark networks (common.ts BENCH_MODELS: the seed MLP, the study's CNN, the 5x5
 * 32-64 CNN) on Fashion-MNIST, sweeplab beside PyTorch on one thread (bench/peer/torch_epoch.py, where python3
 * has torch), each measurement in a fresh process, the two sides alternating for `--rounds` rounds (who goes
 * first swaps every round); per side the median and the range of the rounds, by wall time and by process CPU
 * time (the machine may be shared: CPU time leaves out the time another process held the core). Each round trains
 * `--epochs` epochs; with more than one the first is warm-up and not counted. `--fraction` trains on that share
 * of the 60,000 training and 10,000 validation images and scales the seconds to a whole epoch (the 5x5 CNN
 * defaults to 0.1: an epoch of it takes minutes). Then the kernels' GFLOP/s against the measured peak of 4-wide
 * float32 multiply-add (bench/kernels.ts), and where the SIMD path runs a convolution by Winograd, that pass's effective
 * GFLOP/s (the direct convolution's flops over its time) beside implicit GEMM's. The last line is `s_per_epoch=<median>` of the first sweeplab row.
 *
 *   npm run bench:epoch [-- --model mlp,cnn,cnn5] [--batch 32,128] [--rounds 3] [--epochs 2] [--fraction F]
 *                       [--batch-norm] [--paths simd-fma,simd,lean,layers] [--backends wasm,cpu] [--no-kernels]
 */
import {spawnSync} from 'node:child_process';
import {loadavg} from 'node:os';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {loadDataset, splitDataset} from '../src/data/load.js';
import {locateDataset} from '../src/data/locate.js';
import {getDatasetEntry} from '../src/data/registry.js';
import {loadBackend, nativeBackendInstalled} from '../src/train/backend.js';
import {trialFlops} from '../src/train/choose.js';
import {convAlgorithm, directConv, winogradPlan} from '../src/train/kernels/conv.js';
import {fusedKernelsAvailable, type KernelVariant} from '../src/train/kernels/load.js';
import {trainTrial} from '../src/train/loop.js';
import type {TrainingPath} from '../src/train/trainer.js';
import {type BackendName, DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../src/types.js';
import {BENCH_MODELS, type BenchModel, childJob, findPeerPython, machineLine, median, PEER_ENV, referenceBlasWarning, reportToParent, runChild} from './common.js';
import {convGflops, type ConvPass, directGflops, gatherSeconds, gemmGflops, peakGflops, winogradGflops} from './kernels.js';

const TRAIN_IMAGES = 60_000;
const VALIDATION_IMAGES = 10_000;
const DEFAULT_FRACTION: Record<BenchModel, number> = {mlp: 1, cnn: 1, cnn5: 0.1};

interface Job {
	model: BenchModel;
	batchNorm: boolean;
	backend: BackendName;
	path: TrainingPath;
	batch: number;
	epochs: number;
	fraction: number;
}

/** Per counted epoch, scaled to the whole data set. */
interface Measurement {
	seconds: number[];
	cpuSeconds: number[];
	valAccuracy: number;
}

const configOf = (job: Pick<Job, 'model' | 'batchNorm' | 'batch' | 'epochs'>): TrialConfig => ({...DEFAULT_TRIAL_CONFIG, ...BENCH_MODELS[job.model].config, batchNorm: job.batchNorm, batchSize: job.batch, epochs: job.epochs});

/** The first epoch is warm-up (compilation, caches) when there are more. */
const counted = (values: number[]): number[] => (values.length > 1 ? values.slice(1) : values);

async function measure(job: Job): Promise<Measurement> {
	const {tf} = await loadBackend(job.backend);
	const dataset = await loadDataset('fashion-mnist');
	const data = splitDataset(dataset, {name: 'fashion-mnist', validation: 'test', trainLimit: Math.round(job.fraction * TRAIN_IMAGES), testLimit: Math.round(job.fraction * VALIDATION_IMAGES)});
	const seconds: number[] = [];
	const cpuSeconds: number[] = [];
	let valAccuracy = Number.NaN;
	let cpu = process.cpuUsage();
	await trainTrial(tf, {
		config: configOf(job),
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
			cpuSeconds.push((used.user + used.system) / 1e6 / job.fraction);
			seconds.push(record.seconds / job.fraction);
			valAccuracy = record.valAccuracy;
		},
	});
	return {seconds: counted(seconds), cpuSeconds: counted(cpuSeconds), valAccuracy};
}

/** The same epochs in PyTorch on one thread, or why not. */
function torchEpochs(job: Job, python: string, dataDir: string): Measurement | string {
	const script = fileURLToPath(new URL('../../bench/peer/torch_epoch.py', import.meta.url));
	const run = spawnSync(python, [script, '--data-dir', dataDir, '--model', job.model, '--batch', String(job.batch), '--epochs', String(job.epochs),
		'--train-limit', String(Math.round(job.fraction * TRAIN_IMAGES)), '--test-limit', String(Math.round(job.fraction * VALIDATION_IMAGES))], {encoding: 'utf8', env: PEER_ENV});
	if (run.status !== 0) {
		return `failed: ${run.stderr.trim().split('\n').at(-1)}`;
	}

	const result = JSON.parse(run.stdout) as Measurement;
	return {seconds: counted(result.seconds.map(s => s / job.fraction)), cpuSeconds: counted(result.cpuSeconds.map(s => s / job.fraction)), valAccuracy: result.valAccuracy};
}

/** Floating-point operations of one training epoch and its validation pass, counting 2 per multiply-add of the products. */
function epochFlops(job: Job): number {
	const flops = trialFlops(configOf(job), {imageShape: [28, 28, 1], numClasses: 10});
	return (TRAIN_IMAGES * flops.train) + (VALIDATION_IMAGES * flops.inference);
}

const spread = (values: number[]): string => `${median(values).toFixed(2)} [${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}]`;

/**
 * Each kernel's GFLOP/s in either build, and its share of the machine's peak: the fused build's peak_madd where
 * relaxed SIMD fuses (one instruction a multiply-add, as the CPU's FMA units run it), else the plain one's.
 */
function printKernels(models: BenchModel[], batches: number[]): void {
	const variants: KernelVariant[] = fusedKernelsAvailable() ? ['plain', 'fma'] : ['plain'];
	const peaks = variants.map(variant => Math.max(peakGflops(variant), peakGflops(variant)));
	const peak = Math.max(...peaks);
	const share = (gflops: number) => `${gflops.toFixed(1).padStart(5)} GFLOP/s ${(100 * gflops / peak).toFixed(0).padStart(3)}%`;
	const each = (figure: (variant: KernelVariant) => number) => variants.map(variant => share(figure(variant))).join(' / ');
	console.log(`\nkernels (best of 9 rounds by CPU time; ${variants.join(' / ')} builds, % of the machine's peak; a Winograd convolution's effective GFLOP/s can pass it): peak of 4-wide f32 multiply-add (register-only peak_madd) ${peaks.map((value, i) => `${variants[i]} ${value.toFixed(1)}`).join(', ')} GFLOP/s`);
	// Gathering the shuffled batches: the same for every network on 28x28 images (the build does not matter: no products).
	for (const batch of batches) {
		const [bytes, floats] = [gatherSeconds(batch, 'bytes'), gatherSeconds(batch, 'floats')];
		const rate = (seconds: number, size: number) => `${(1000 * seconds).toFixed(1)} ms (${(60_000 * 784 * size / seconds / 1e9).toFixed(1)} GB/s read)`;
		console.log(`  batch ${String(batch).padEnd(4)} gathering an epoch's batches (60,000 random 28x28 images, best of 3): from bytes (gather_bytes, what trains) ${rate(bytes, 1)}; the loop's copy of float rows ${rate(floats, 4)}`);
	}

	for (const model of models) {
		const config = {...DEFAULT_TRIAL_CONFIG, ...BENCH_MODELS[model].config} as TrialConfig;
		for (const batch of batches) {
			let [height, width, channels] = [28, 28, 1];
			if (config.model === 'cnn') {
				for (const [l, filters] of config.conv.entries()) {
					const conv = {height, width, channels, filters, kernelSize: config.kernelSize};
					const passes: ConvPass[] = l === 0 ? ['forward', 'filter gradient'] : ['forward', 'filter gradient', 'input gradient'];
					const figures = passes.map(pass => `${pass} ${each(variant => convGflops(conv, batch, pass, variant))}`);
					console.log(`  ${model.padEnd(5)} batch ${String(batch).padEnd(4)} conv ${height}x${width}x${channels} -> ${filters} ${config.kernelSize}x${config.kernelSize}, implicit GEMM: ${figures.join(', ')}`);
					if (directConv(conv) && !winogradPlan(conv)) {
						const direct = (['forward', 'filter gradient'] as const).map(pass => `${pass} ${each(variant => directGflops(conv, batch, pass, variant))}`);
						console.log(`  ${model.padEnd(5)} batch ${String(batch).padEnd(4)} conv ${height}x${width}x${channels} -> ${filters} ${config.kernelSize}x${config.kernelSize}, direct (what trains): ${direct.join(', ')}`);
					}

					// Where the SIMD path trains this layer by Winograd: its passes in effective GFLOP/s (the direct convolution's flops over its time).
					const plan = winogradPlan(conv);
					if (plan) {
						const winograd = [
							`forward ${each(variant => winogradGflops(conv, plan, batch, 'forward', variant))}`,
							l === 0 ? `filter gradient ${each(variant => winogradGflops(conv, plan, batch, 'filter gradient', variant))}` : `both gradients ${each(variant => winogradGflops(conv, plan, batch, 'both gradients', variant))}`,
						];
						console.log(`  ${model.padEnd(5)} batch ${String(batch).padEnd(4)} conv ${height}x${width}x${channels} -> ${filters} ${config.kernelSize}x${config.kernelSize}, ${convAlgorithm(conv)} (what trains), effective: ${winograd.join(', ')}`);
					}

					[height, width, channels] = [Math.floor(height / 2), Math.floor(width / 2), filters];
				}
			}

			const inputs = height * width * channels;
			const units = config.hidden[0] ?? 10;
			// Forward (nn), weight gradient (tn), input gradient (nt) of the first Dense layer.
			const figures = [
				`forward ${each(variant => gemmGflops({kind: 'nn', m: batch, k: inputs, n: units}, variant))}`,
				`weight gradient ${each(variant => gemmGflops({kind: 'tn', m: batch, k: inputs, n: units}, variant))}`,
				`input gradient ${each(variant => gemmGflops({kind: 'nt', m: batch, k: units, n: inputs}, variant))}`,
			];
			console.log(`  ${model.padEnd(5)} batch ${String(batch).padEnd(4)} dense ${inputs} -> ${units}: ${figures.join(', ')}`);
		}
	}
}

async function main(): Promise<void> {
	const job = childJob<Job>();
	if (job) {
		await reportToParent(await measure(job));
		return;
	}

	const {values} = parseArgs({options: {
		model: {type: 'string', default: 'mlp,cnn,cnn5'},
		batch: {type: 'string', default: '32,128'},
		rounds: {type: 'string', default: '3'},
		epochs: {type: 'string', default: '2'},
		fraction: {type: 'string'},
		backends: {type: 'string'},
		paths: {type: 'string', default: fusedKernelsAvailable() ? 'simd-fma,simd' : 'simd'},
		'batch-norm': {type: 'boolean', default: false},
		'no-kernels': {type: 'boolean', default: false},
	}});
	const models = values.model.split(',') as BenchModel[];
	const unknown = models.find(model => !(model in BENCH_MODELS));
	if (unknown) {
		throw new RangeError(`--model: ${unknown} is not one of ${Object.keys(BENCH_MODELS).join(', ')}`);
	}

	const batchNorm = values['batch-norm'];
	const batches = values.batch.split(',').map(Number);
	const rounds = Number(values.rounds);
	const epochs = Number(values.epochs);
	const backends = (values.backends ?? (nativeBackendInstalled() ? 'node,wasm' : 'wasm')).split(',') as BackendName[];
	const paths = values.paths.split(',') as TrainingPath[];
	const peer = findPeerPython();
	const located = locateDataset(getDatasetEntry('fashion-mnist'));
	const torch = 'python' in peer && located && !batchNorm ? {python: peer.python, dataDir: located.dir} : undefined;
	console.log(`bench:epoch ${rounds} rounds, ${epochs} epochs a round${epochs > 1 ? ' (the first not counted)' : ''}, relu, Adam 1e-3${batchNorm ? ', batch norm' : ''}; seconds per epoch of 60000 training + 10000 validation images, median [range] of rounds; ${machineLine()}, load average ${loadavg().map(v => v.toFixed(2)).join(' ')}; ${date()}`);
	if (torch) {
		console.log(`peer: PyTorch on one thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1): torch ${'versions' in peer ? peer.versions : ''}`);
		const warning = referenceBlasWarning('versions' in peer ? peer.versions : '');
		if (warning) {
			console.log(warning);
		}
	} else {
		console.log(batchNorm ? 'torch  (skipped with --batch-norm)' : 'torch  (skipped: no python3 with torch and optuna, or no Fashion-MNIST files, see bench:peer)');
	}

	let headline: number | undefined;
	for (const model of models) {
		const fraction = values.fraction === undefined ? DEFAULT_FRACTION[model] : Number(values.fraction);
		console.log(`\n${BENCH_MODELS[model].title}${fraction < 1 ? `: ${fraction} of the images an epoch, seconds scaled to the whole epoch` : ''}`);
		for (const batch of batches) {
			const sides = [
				...backends.flatMap(backend => paths.map(path => ({label: `sweeplab ${path} (${backend})`, job: {model, batchNorm, backend, path, batch, epochs, fraction} satisfies Job}))),
				...(torch ? [{label: 'PyTorch', job: undefined}] : []),
			];
			const results = sides.map(() => ({seconds: [] as number[], cpuSeconds: [] as number[], valAccuracy: Number.NaN, failure: ''}));
			const torchJob: Job = {model, batchNorm, backend: 'wasm', path: 'simd', batch, epochs, fraction};
			for (let round = 0; round < rounds; round++) {
				// Alternate who goes first, so a drift in the machine's speed does not favour one side.
				const order = sides.map((_, i) => i);
				if (round % 2 === 1) {
					order.reverse();
				}

				for (const i of order) {
					const side = sides[i];
					// Sequential on purpose: two measurements side by side would share the cores.
					// eslint-disable-next-line no-await-in-loop
					const result = side.job ? await runChild<Measurement>(import.meta.url, side.job) : torchEpochs(torchJob, torch!.python, torch!.dataDir);
					if (typeof result === 'string') {
						results[i].failure = result;
						continue;
					}

					results[i].seconds.push(...result.seconds);
					results[i].cpuSeconds.push(...result.cpuSeconds);
					results[i].valAccuracy = result.valAccuracy;
				}
			}

			const flops = epochFlops(torchJob);
			const reference = results.at(-1)!;
			for (const [i, side] of sides.entries()) {
				const result = results[i];
				if (result.seconds.length === 0) {
					console.log(`  batch ${String(batch).padEnd(4)} ${side.label.padEnd(24)} ${result.failure || 'no result'}`);
					continue;
				}

				headline ??= side.job ? median(result.seconds) : undefined;
				const ratio = side.job && torch && reference.seconds.length > 0
					? `; ${(median(result.seconds) / median(reference.seconds)).toFixed(2)}x PyTorch's wall time, ${(median(result.cpuSeconds) / median(reference.cpuSeconds)).toFixed(2)}x its CPU time`
					: '';
				console.log(`  batch ${String(batch).padEnd(4)} ${side.label.padEnd(24)} s/epoch ${spread(result.seconds)}, CPU ${spread(result.cpuSeconds)} (${(flops / median(result.cpuSeconds) / 1e9).toFixed(1)} GFLOP/s); val accuracy ${result.valAccuracy.toFixed(4)}${ratio}`);
			}
		}
	}

	if (!values['no-kernels']) {
		printKernels(models, batches);
	}

	console.log(`load average after: ${loadavg().map(v => v.toFixed(2)).join(' ')}`);
	console.log(`s_per_epoch=${(headline ?? Number.NaN).toFixed(2)}`);
}

function date(): string {
	return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

await main();
