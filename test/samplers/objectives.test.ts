/**
 * Multi-objective sweeps through the run loop's sampler entry point: dispatch to MOTPE and NSGA-II with the
 * history's value vectors, and a resumed sweep suggesting what the uninterrupted one did.
 */
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {SweepHistory} from '../../src/run/history.js';
import {type RunEvent, runSweep} from '../../src/run/loop.js';
import type {TrialRunner} from '../../src/run/runner.js';
import {suggestMotpe} from '../../src/samplers/motpe.js';
import {suggestNextTrial} from '../../src/samplers/next.js';
import {suggestNsga2} from '../../src/samplers/nsga2.js';
import {openSqliteStore} from '../../src/store/sqlite.js';
import type {Store, SweepRecord} from '../../src/store/store.js';
import {definitionHash} from '../../src/sweep/hash.js';
import type {SweepDefinition, TrialParams} from '../../src/types.js';

/** A module sweep over x, y in [0, 1]: f = x + y reported at each step (minimised), train_seconds 1 + 10 (1 - x). */
function definition(method: 'tpe' | 'nsga2', trials = 14): SweepDefinition {
	return {
		name: `mo-${method}`,
		method,
		seed: 5,
		repeats: 1,
		trials,
		startupTrials: 4,
		program: {module: './objective.js'},
		objectives: [{name: 'f', goal: 'minimize'}, {name: 'train_seconds', goal: 'minimize'}],
		base: {},
		parameters: {x: {kind: 'uniform', min: 0, max: 1}, y: {kind: 'uniform', min: 0, max: 1}},
	};
}

const f = (config: TrialParams) => (config.x as number) + (config.y as number);
const seconds = (config: TrialParams) => 1 + (10 * (1 - (config.x as number)));

async function open(path: string, def: SweepDefinition): Promise<{store: Store; sweep: SweepRecord}> {
	const store = openSqliteStore(path);
	return {store, sweep: await store.openSweep({definition: def, definitionHash: definitionHash(def), source: '', file: 'mo.yaml'})};
}

/** Add the next suggestion and claim it; undefined when the sweep has all its trials. */
async function suggestAndClaim(store: Store, sweep: SweepRecord): Promise<{id: number; config: TrialParams} | undefined> {
	const history = new SweepHistory(store, sweep.id);
	await history.refresh();
	const spec = suggestNextTrial(sweep.definition, history);
	if (!spec) {
		return undefined;
	}

	await store.addTrials(sweep.id, [spec]);
	const trial = (await store.claimTrial(sweep.id, 'me', 600_000))!;
	return {id: trial.id, config: trial.config};
}

async function finish(store: Store, trial: {id: number; config: TrialParams}): Promise<void> {
	await store.recordStep(trial.id, 'me', {step: 1, metrics: {f: f(trial.config) + 0.5}, seconds: seconds(trial.config)});
	await store.recordStep(trial.id, 'me', {step: 2, metrics: {f: f(trial.config)}, seconds: 0});
	await store.finishTrial(trial.id, 'me', {state: 'completed', trainSeconds: seconds(trial.config)});
}

/**
 * Run the sweep as two lanes would: one trial always waiting for its result while the next is suggested (so the
 * constant liar is at work). With `stopAfter`, the store is closed after that many suggestions, with a trial still
 * running, and the sweep goes on from a fresh process's view of the same file.
 */
async function run(def: SweepDefinition, stopAfter?: number): Promise<TrialParams[]> {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-mo-'));
	const path = join(dir, 'mo.db');
	try {
		let {store, sweep} = await open(path, def);
		const suggested: TrialParams[] = [];
		let waiting: {id: number; config: TrialParams} | undefined;
		for (;;) {
			const next = await suggestAndClaim(store, sweep);
			if (next) {
				suggested.push(next.config);
			}

			if (waiting) {
				await finish(store, waiting);
			}

			waiting = next;
			if (!next) {
				break;
			}

			if (suggested.length === stopAfter) {
				await store.close();
				({store, sweep} = await open(path, def));
			}
		}

		await store.close();
		return suggested;
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

for (const method of ['tpe', 'nsga2'] as const) {
	test(`${method} with objectives: a sweep resumed in a new process suggests what the uninterrupted one did, never a config twice`, async t => {
		const whole = await run(definition(method));
		t.is(whole.length, 14);
		t.is(new Set(whole.map(config => JSON.stringify(config))).size, 14);
		t.deepEqual(await run(definition(method), 7), whole);
	});
}

/** A store holding these finished trials of the sweep (f and train_seconds as the helpers make them). */
async function withTrials(def: SweepDefinition, configs: TrialParams[]): Promise<{history: SweepHistory; close: () => Promise<void>}> {
	const {store, sweep} = await open(':memory:', def);
	for (const [ordinal, config] of configs.entries()) {
		await store.addTrials(sweep.id, [{ordinal, config, configHash: `h${ordinal}`, repeat: 0, seed: 0}]);
		const trial = (await store.claimTrial(sweep.id, 'me', 600_000))!;
		await finish(store, {id: trial.id, config});
	}

	const history = new SweepHistory(store, sweep.id);
	await history.refresh();
	return {history, close: async () => store.close()};
}

const grid = Array.from({length: 8}, (_, i) => ({x: (i + 0.5) / 8, y: ((i * 3) % 8) / 8}));

test('tpe with objectives asks MOTPE with each trial\'s values of the objectives (best f over the steps, train_seconds as stored)', async t => {
	const def = definition('tpe', 20);
	const {history, close} = await withTrials(def, grid);
	const suggestion = suggestNextTrial(def, history)!;
	const expected = suggestMotpe({
		parameters: def.parameters,
		observations: grid.map(config => ({params: config, values: [f(config), seconds(config)]})),
		pending: [],
		directions: ['minimize', 'minimize'],
		startupTrials: 4,
		seed: def.seed,
		trialNumber: grid.length,
	});
	t.deepEqual(suggestion.config, expected);
	t.is(suggestion.ordinal, grid.length);
	await close();
});

test('nsga2 asks NSGA-II, its population size set by startupTrials', async t => {
	const def = definition('nsga2', 20);
	const {history, close} = await withTrials(def, grid);
	const suggestion = suggestNextTrial(def, history)!;
	const input = {
		parameters: def.parameters,
		observations: grid.map(config => ({params: config, values: [f(config), seconds(config)]})),
		directions: ['minimize', 'minimize'] as Array<'minimize' | 'maximize'>,
		seed: def.seed,
		trialNumber: grid.length,
	};
	t.deepEqual(suggestion.config, suggestNsga2({...input, populationSize: 4}));
	// The population size reaches the sampler: with the default 50, 8 trials are all still the first generation.
	t.notDeepEqual(suggestion.config, suggestNsga2(input));
	await close();
});

/**
 * The run loop itself (one lane, the pareto pruner on): a runner that reports f at 3 steps and 1 + 10 (1 - x)
 * seconds spread over them. With `abortAfter`, the run is aborted after that many trials ended and a second run
 * (a new process's history, read from the store) finishes the sweep.
 */
async function runLoop(def: SweepDefinition, abortAfter?: number): Promise<Array<{config: TrialParams; state: string}>> {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-mo-loop-'));
	try {
		const {store, sweep} = await open(join(dir, 'mo.db'), def);
		const runner: TrialRunner = async (trial, sink) => {
			for (let step = 1; step <= 3; step++) {
				const stop = await sink.step({step, metrics: {f: f(trial.config) + (0.3 / step)}, seconds: seconds(trial.config) / 3});
				if (stop) {
					return {state: 'pruned', trainSeconds: (seconds(trial.config) * step) / 3, stopReason: stop};
				}
			}

			return {state: 'completed', trainSeconds: seconds(trial.config)};
		};

		const abort = new AbortController();
		let ended = 0;
		const onEvent = (event: RunEvent) => {
			if (event.type === 'trial-end' && ++ended === abortAfter) {
				abort.abort('SIGINT');
			}
		};

		await runSweep({store, sweep, runner, workers: 1, signal: abort.signal, onEvent});
		if (abortAfter !== undefined) {
			assert(ended === abortAfter, `the first run ended ${ended} trials`);
			await runSweep({store, sweep, runner, workers: 1});
		}

		const trials = await store.trials(sweep.id);
		await store.close();
		return trials.map(trial => ({config: trial.config, state: trial.state}));
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

function assert(ok: boolean, message: string): void {
	if (!ok) {
		throw new Error(message);
	}
}

for (const method of ['tpe', 'nsga2'] as const) {
	test(`${method} with objectives in the run loop, pruned by the front: an interrupted and resumed sweep has the trials of an uninterrupted one`, async t => {
		const def: SweepDefinition = {...definition(method, 12), pruner: {kind: 'pareto', warmupEpochs: 1, minTrials: 1}};
		const whole = await runLoop(def);
		t.is(whole.length, 12);
		t.true(whole.some(trial => trial.state === 'pruned'), JSON.stringify(whole.map(trial => trial.state)));
		t.true(whole.some(trial => trial.state === 'completed'));
		t.deepEqual(await runLoop(def, 6), whole);
	});
}
