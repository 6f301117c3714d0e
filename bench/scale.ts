/**
 * Throughput of the real worker pool: the same set of identical trials (the seed MLP, one config,
 * `--trials` repeats) run through runSweep with a SQLite store, with 1 worker and with N (default: one
 * per core), each in a fresh process, alternating for `--rounds` rounds (this machine's speed drifts by
 * a third from one minute to the next, so one pair of runs proves little). Prints each run, the
 * throughput ratio of each round, peak RSS, the RSS an extra worker adds, and the orchestration
 * overhead. The last line is `speedup=<median over rounds> rss_per_worker_mb=<median>`.
 *
 *   npm run bench:scale -- [--trials 6] [--epochs 10] [--batch 32] [--workers 2] [--rounds 2] [--train-limit N]
 */
import {mkdtempSync, rmSync} from 'node:fs';
import {availableParallelism, loadavg, tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {loadDataset, splitDataset} from '../src/data/load.js';
import {openSqliteStore} from '../src/store/sqlite.js';
import {runSweep} from '../src/run/loop.js';
import {threadRunner} from '../src/run/threads.js';
import {expandSweep} from '../src/sweep/expand.js';
import {definitionHash} from '../src/sweep/hash.js';
import {createTrainPool, type TrainPool} from '../src/train/pool.js';
import {DEFAULT_TRIAL_CONFIG, type SweepDefinition} from '../src/types.js';
import {childJob, machineLine, median, reportToParent, runChild} from './common.js';

interface Job {
	workers: number;
	trials: number;
	epochs: number;
	batch: number;
	trainLimit?: number;
}

interface Measurement {
	workers: number;
	completed: number;
	/** runSweep's wall time. */
	wallSeconds: number;
	/** Expanding the sweep, opening the store and inserting the trials. */
	setupSeconds: number;
	/** Sum over trials of the time inside pool.run (worker side, including model build and test evaluation). */
	taskSeconds: number;
	/** Sum over trials of the orchestrator's own time per trial: trial start to trial end, minus its pool task. */
	perTrialSeconds: number;
	/** Sum over trials of the epochs' training and validation time. */
	trainSeconds: number;
	baselineRssMb: number;
	peakRssMb: number;
}

async function measure(job: Job): Promise<Measurement> {
	const dataset = await loadDataset('fashion-mnist');
	const baselineRssMb = process.memoryUsage.rss() / 2 ** 20;
	const directory = mkdtempSync(join(tmpdir(), 'sweeplab-bench-'));
	const setupStarted = performance.now();
	const definition: SweepDefinition = {
		name: 'bench-scale',
		method: 'grid',
		seed: 1,
		repeats: job.trials,
		dataset: {name: 'fashion-mnist', validation: 'test', ...(job.trainLimit ? {trainLimit: job.trainLimit} : {})},
		base: {...DEFAULT_TRIAL_CONFIG, epochs: job.epochs, batchSize: job.batch},
		parameters: {},
	};
	const data = splitDataset(dataset, definition.dataset!);
	const store = openSqliteStore(join(directory, 'bench.db'));
	const sweep = await store.openSweep({definition, definitionHash: definitionHash(definition), source: '', file: 'bench/scale.ts'});
	await store.addTrials(sweep.id, expandSweep(definition));
	const setupSeconds = (performance.now() - setupStarted) / 1000;
	const pool = createTrainPool(job.workers);
	let taskSeconds = 0;
	let trainSeconds = 0;
	let perTrialSeconds = 0;
	const taskBySeed = new Map<number, number>();
	const startBySeed = new Map<number, number>();
	// Times every task as the orchestrator sees it: what is left of the lanes' wall time is orchestration.
	const timed = {
		async run(...args: Parameters<TrainPool['run']>) {
			const started = performance.now();
			try {
				return await pool.run(...args);
			} finally {
				const seconds = (performance.now() - started) / 1000;
				taskSeconds += seconds;
				taskBySeed.set(args[0].seed, seconds);
			}
		},
	} as unknown as TrainPool;
	try {
		const summary = await runSweep({
			store,
			sweep,
			runner: threadRunner(timed, {kind: 'builtin', data, shape: {imageShape: dataset.imageShape, numClasses: dataset.numClasses}, backend: 'wasm'}),
			workers: job.workers,
			onEvent(event) {
				// Identical configs: the repeat's seed tells the trials apart.
				if (event.type === 'trial-start') {
					startBySeed.set(event.trial.seed, performance.now());
				} else if (event.type === 'trial-end') {
					trainSeconds += event.outcome.trainSeconds ?? 0;
					perTrialSeconds += ((performance.now() - startBySeed.get(event.trial.seed)!) / 1000) - (taskBySeed.get(event.trial.seed) ?? 0);
				}
			},
		});
		return {
			workers: job.workers,
			completed: summary.ended.completed,
			wallSeconds: summary.wallSeconds,
			setupSeconds,
			taskSeconds,
			perTrialSeconds,
			trainSeconds,
			baselineRssMb,
			peakRssMb: process.resourceUsage().maxRSS / 1024,
		};
	} finally {
		await pool.destroy();
		await store.close();
		rmSync(directory, {recursive: true, force: true});
	}
}

function describe(m: Measurement, trials: number): string {
	const lanes = m.workers * m.wallSeconds;
	const outsideTasks = (m.setupSeconds + lanes - m.taskSeconds) / (m.setupSeconds + lanes);
	const orchestration = (m.setupSeconds + m.perTrialSeconds) / (m.setupSeconds + lanes);
	const outsideTraining = (lanes - m.trainSeconds) / lanes;
	return [
		`${m.workers} worker(s): ${m.completed}/${trials} completed in ${m.wallSeconds.toFixed(2)} s wall,`,
		`${(m.completed / m.wallSeconds * 60).toFixed(2)} trials/min;`,
		`setup ${(m.setupSeconds * 1000).toFixed(0)} ms; orchestration (setup + per-trial claim, SQLite writes, port drain) ${(orchestration * 100).toFixed(2)}%,`,
		`lanes outside pool tasks (also idle at the end) ${(outsideTasks * 100).toFixed(2)}%,`,
		`outside training epochs (also tfjs load, model build, test evaluation) ${(outsideTraining * 100).toFixed(1)}%;`,
		`RSS ${m.baselineRssMb.toFixed(0)} MB with the data loaded, peak ${m.peakRssMb.toFixed(0)} MB`,
	].join(' ');
}

async function main(): Promise<void> {
	const job = childJob<Job>();
	if (job) {
		await reportToParent(await measure(job));
		return;
	}

	const {values} = parseArgs({options: {
		trials: {type: 'string', default: '6'},
		epochs: {type: 'string', default: '10'},
		rounds: {type: 'string', default: '2'},
		batch: {type: 'string', default: '32'},
		workers: {type: 'string', default: String(availableParallelism())},
		'train-limit': {type: 'string'},
	}});
	const base = {
		trials: Number(values.trials),
		epochs: Number(values.epochs),
		batch: Number(values.batch),
		...(values['train-limit'] ? {trainLimit: Number(values['train-limit'])} : {}),
	};
	const workers = Math.max(2, Number(values.workers));
	console.log(`bench:scale ${base.trials} identical trials of the seed MLP (batch ${base.batch}, ${base.epochs} epoch(s), ${base.trainLimit ?? 60000} train + 10000 validation + test), wasm; ${machineLine()}, load average ${loadavg().map(v => v.toFixed(2)).join(' ')}`);
	const speedups: number[] = [];
	const perWorker: number[] = [];
	for (let round = 1; round <= Number(values.rounds); round++) {
		// Sequential on purpose: the two measurements must not share the cores.
		// eslint-disable-next-line no-await-in-loop
		const one = await runChild<Measurement>(import.meta.url, {...base, workers: 1} satisfies Job);
		console.log(`round ${round}: ${describe(one, base.trials)}`);
		// eslint-disable-next-line no-await-in-loop
		const many = await runChild<Measurement>(import.meta.url, {...base, workers} satisfies Job);
		console.log(`round ${round}: ${describe(many, base.trials)}`);
		speedups.push((many.completed / many.wallSeconds) / (one.completed / one.wallSeconds));
		perWorker.push((many.peakRssMb - one.peakRssMb) / (workers - 1));
		console.log(`round ${round}: speedup ${speedups.at(-1)!.toFixed(2)}x`);
	}

	console.log(`load average after: ${loadavg().map(v => v.toFixed(2)).join(' ')}`);
	console.log(`speedup=${median(speedups).toFixed(2)} rss_per_worker_mb=${median(perWorker).toFixed(0)}`);
}

await main();
