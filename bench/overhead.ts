/**
 * What sweeplab adds per trial when the trial itself costs nothing: 2,000 trials of a module objective that
 * reports one step and returns, on 2 worker threads, each trial claimed, its step and its outcome committed to
 * SQLite, as `sweeplab run` does it; and, when python3 has optuna, the same number of trials of a trivial
 * objective through Optuna's study.optimize on SQLite storage with its RandomSampler (sweeplab's grid samples
 * nothing either; TPE's own cost grows with the trials). sweeplab's side runs `--rounds` times, each in a fresh
 * process, and prints the median; Optuna's once (it takes minutes).
 *
 *   node dist/bench/overhead.js [--trials 2000 --workers 2 --rounds 3 --skip-optuna]   (npm run bench:overhead runs it, then part b)
 */
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {pathToFileURL} from 'node:url';
import Database from 'better-sqlite3';
import {runSweep} from '../src/run/loop.js';
import {threadRunner} from '../src/run/threads.js';
import {openSqliteStore} from '../src/store/sqlite.js';
import {expandSweep} from '../src/sweep/expand.js';
import {definitionHash} from '../src/sweep/hash.js';
import {createTrainPool} from '../src/train/pool.js';
import type {SweepDefinition} from '../src/types.js';
import {childJob, machineLine, median, reportToParent, runChild} from './common.js';

interface Job {
	trials: number;
	workers: number;
}

interface Measured {
	seconds: number;
	trials: number;
	steps: number;
}

const OBJECTIVE = 'export default async function objective(trial) {\n\tawait trial.report(1, {loss: trial.params.x ** 2});\n}\n';

/** In a fresh process: the sweep's trials run by the run loop on the pool, every one stored, timed from the first claim to the last outcome. */
async function measureSweeplab(job: Job): Promise<Measured> {
	const directory = mkdtempSync(join(tmpdir(), 'sweeplab-overhead-'));
	try {
		const module = join(directory, 'objective.js');
		writeFileSync(module, OBJECTIVE);
		const definition: SweepDefinition = {
			name: 'overhead',
			method: 'grid',
			seed: 1,
			repeats: 1,
			program: {module: './objective.js'},
			metric: {name: 'loss', goal: 'minimize'},
			base: {},
			parameters: {x: {kind: 'values', values: Array.from({length: job.trials}, (_, index) => index / job.trials)}},
		};
		const path = join(directory, 'overhead.db');
		const store = openSqliteStore(path);
		const sweep = await store.openSweep({definition, definitionHash: definitionHash(definition), source: '', file: join(directory, 'overhead.yaml')});
		await store.addTrials(sweep.id, expandSweep(definition));
		const pool = createTrainPool(job.workers);
		let seconds: number;
		try {
			const started = performance.now();
			const summary = await runSweep({store, sweep, runner: threadRunner(pool, {kind: 'module', url: pathToFileURL(module).href}), workers: job.workers});
			seconds = (performance.now() - started) / 1000;
			if (summary.ended.completed !== job.trials) {
				throw new Error(`expected ${job.trials} completed trials, got ${JSON.stringify(summary.ended)}`);
			}
		} finally {
			await pool.destroy();
			await store.close();
		}

		// Counted from the file, as another process would read it: every trial and its step are there.
		const database = new Database(path, {readonly: true});
		const counts = database.prepare(`SELECT (SELECT count(*) FROM trials WHERE state = 'completed') AS trials, (SELECT count(*) FROM steps) AS steps`).get() as {trials: number; steps: number};
		database.close();
		return {seconds, ...counts};
	} finally {
		rmSync(directory, {recursive: true, force: true});
	}
}

const OPTUNA = String.raw`
import json, os, sys, tempfile, time
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
trials = int(sys.argv[1])
with tempfile.TemporaryDirectory() as directory:
    storage = 'sqlite:///' + os.path.join(directory, 'optuna.db')
    # Random sampling, as sweeplab's grid does no sampling either: the default TPE sampler's own cost grows with the trials.
    study = optuna.create_study(storage=storage, direction='minimize', study_name='overhead', sampler=optuna.samplers.RandomSampler(seed=0))
    started = time.perf_counter()
    study.optimize(lambda trial: trial.suggest_float('x', 0, 1) ** 2, n_trials=trials)
    seconds = time.perf_counter() - started
    done = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
print(json.dumps({'seconds': seconds, 'trials': done, 'version': optuna.__version__}))
`;

function measureOptuna(trials: number): (Measured & {version: string}) | {missing: string} {
	// A python3 on PATH (pyenv, venv) may lack Debian's python3-optuna: the first of them that has it.
	const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3'];
	const python = candidates.find(candidate => spawnSync(candidate, ['-c', 'import optuna'], {stdio: 'ignore'}).status === 0) ?? candidates[0];
	const result = spawnSync(python, ['-c', OPTUNA, String(trials)], {encoding: 'utf8'});
	if (result.status !== 0) {
		return {missing: (result.stderr || result.error?.message || 'python3 failed').trim().split('\n').at(-1)!};
	}

	const parsed = JSON.parse(result.stdout) as {seconds: number; trials: number; version: string};
	return {...parsed, steps: 0};
}

const child = childJob<Job>();
if (child) {
	await reportToParent(await measureSweeplab(child));
} else {
	const {values} = parseArgs({options: {trials: {type: 'string', default: '2000'}, workers: {type: 'string', default: '2'}, rounds: {type: 'string', default: '3'}, 'skip-optuna': {type: 'boolean', default: false}}});
	const job: Job = {trials: Number(values.trials), workers: Number(values.workers)};
	const rounds = Number(values.rounds);
	const ours: number[] = [];
	console.log(`bench:overhead (a): ${job.trials} trials of a module objective that reports one step, ${job.workers} workers, SQLite; ${machineLine()}`);
	for (let round = 1; round <= rounds; round++) {
		const measured = await runChild<Measured>(import.meta.url, job);
		if (measured.trials !== job.trials || measured.steps !== job.trials) {
			throw new Error(`the database holds ${measured.trials} completed trials and ${measured.steps} steps, expected ${job.trials} of each`);
		}

		ours.push(job.trials / measured.seconds);
		console.log(`  round ${round}: ${ours.at(-1)!.toFixed(0)} trials/s`);
	}

	console.log(`sweeplab, module objective, ${job.workers} threads, every trial and step in SQLite: ${median(ours).toFixed(0)} trials/s (median of ${rounds}; ${(1000 / median(ours)).toFixed(2)} ms per trial)`);
	if (values['skip-optuna']) {
		process.exit(0);
	}

	// Once: at Optuna's pace a run takes minutes, long enough that drift between minutes does not matter.
	const peer = measureOptuna(job.trials);
	console.log('missing' in peer
		? `Optuna: not measured (${peer.missing})`
		: `Optuna ${peer.version} study.optimize, trivial objective, RandomSampler, SQLite storage, 1 job: ${(peer.trials / peer.seconds).toFixed(1)} trials/s (${peer.trials} trials in ${peer.seconds.toFixed(0)} s)`);
}
