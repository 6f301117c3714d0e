/**
 * Store.rankConfigs on both stores: the database's ranking (sql/<dialect>/queries/) against the in-memory rule of
 * src/report/ranking.ts over random sweeps (ties, either direction, equal means, duplicate points on the front,
 * configs without a value), and its selections (every config, some, the charts', a page filtered and sorted).
 */
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {leaderboard} from '../../src/report/leaderboard.js';
import {rankQuery, tradeoff, tradeoffOf} from '../../src/report/ranking.js';
import {openPostgresStore} from '../../src/store/postgres.js';
import {openSqliteStore} from '../../src/store/sqlite.js';
import type {RankedConfig, Spread, Store, StoredStep, TrialRecord} from '../../src/store/store.js';
import {DEFAULT_TRIAL_CONFIG, type MetricSpec, type TrialState} from '../../src/types.js';
import {createRng} from '../../src/util/random.js';
import {sweepInput} from './contract.js';
import {findTestPostgres, requirePostgres, schemas} from './pg.js';

const found = await findTestPostgres();

type Open = (t: ExecutionContext) => Store;
const dialects: Array<[string, Open]> = [[
	'sqlite',
	t => {
		const dir = mkdtempSync(join(tmpdir(), 'sweeplab-ranking-'));
		const store = openSqliteStore(join(dir, 'sweeps.db'));
		t.teardown(async () => {
			await store.close();
			rmSync(dir, {recursive: true, force: true});
		});
		return store;
	},
]];

if (requirePostgres(test, found, 'ranking on PostgreSQL')) {
	const names = schemas(found.url);
	test.after.always(async () => names.dropAll());
	dialects.push(['postgres', t => {
		const store = openPostgresStore(found.url, {schema: names.name()});
		t.teardown(async () => store.close());
		return store;
	}]);
}

const METRICS: MetricSpec[] = [{name: 'val_accuracy', goal: 'maximize'}, {name: 'val_loss', goal: 'minimize'}, {name: 'score', goal: 'minimize'}];

/**
 * A random sweep: `configs` configs of 1-3 repeats in random states. Values and times come from coarse grids, so
 * that equal means, ties and duplicate points on the front are common; some completed trials have no finite value
 * or time.
 */
function randomSweep(seed: number, configs: number, metric: MetricSpec): {trials: TrialRecord[]; steps: StoredStep[]} {
	const rng = createRng(seed);
	const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)];
	const trials: TrialRecord[] = [];
	const steps: StoredStep[] = [];
	for (let c = 0; c < configs; c++) {
		const repeats = 1 + Math.floor(rng.next() * 3);
		const base = pick([0.25, 0.5, 0.625, 0.75, 0.8125]);
		for (let repeat = 0; repeat < repeats; repeat++) {
			const id = trials.length + 1;
			const state: TrialState = pick(['completed', 'completed', 'completed', 'completed', 'pruned', 'failed', 'running', 'pending']);
			const run = state === 'pending' || state === 'failed' ? 0 : 1 + Math.floor(rng.next() * 3);
			for (let step = 1; step <= run; step++) {
				const value = rng.next() < 0.05 ? Number.NaN : base + pick([-0.125, 0, 0, 0.0625]);
				steps.push({id: steps.length + 1, trialId: id, step, metrics: {[metric.name]: value, val_loss: 1 - base}, seconds: pick([1, 1.5, 2])});
			}

			const completed = state === 'completed';
			trials.push({
				id,
				sweepId: 1,
				ordinal: trials.length,
				config: {...DEFAULT_TRIAL_CONFIG, hidden: [8 * (c + 1)], epochs: 3},
				configHash: `c${String(c).padStart(4, '0')}`,
				repeat,
				seed: id,
				state,
				attempts: 1,
				owner: state === 'running' ? 'host:1' : null,
				heartbeatAt: state === 'running' ? Date.now() : null,
				backend: pick(['cpu', 'wasm']),
				trainingPath: 'lean',
				host: 'box',
				cores: 2,
				paramCount: repeat === 0 && rng.next() < 0.3 ? null : 100 * (c + 1),
				startedAt: new Date(1_700_000_000_000 + id * 1000).toISOString(),
				finishedAt: state === 'running' || state === 'pending' ? null : new Date(1_700_000_000_000 + id * 2000).toISOString(),
				epochsRun: run,
				testLoss: completed ? 0.5 : null,
				testAccuracy: completed ? pick([0.5, 0.75]) : null,
				finalMetrics: completed ? {test_accuracy: 0.5, test_loss: 0.5, test_epoch: run} : {},
				trainSeconds: completed || state === 'pruned' ? (rng.next() < 0.05 ? null : pick([4, 6, 6, 8, 10])) : null,
				error: null,
				stopReason: null,
				logPath: null,
			});
		}
	}

	return {trials, steps};
}

async function stored(t: ExecutionContext, open: Open, name: string, metric: MetricSpec, data: {trials: TrialRecord[]; steps: StoredStep[]}) {
	const store = open(t);
	const input = sweepInput(name);
	const definition = {...input.definition, method: 'random' as const, trials: 100, metric};
	const sweep = await store.openSweep({...input, definition});
	const copy = await store.importSweep(sweep, data.trials.map(trial => ({...trial, sweepId: sweep.id})), data.steps);
	return {store, sweepId: copy.id};
}

function sameSpread(t: ExecutionContext, actual: Spread, expected: Spread, what: string): void {
	t.is(actual.n, expected.n, what);
	for (const key of ['mean', 'std'] as const) {
		if (Number.isNaN(expected[key])) {
			t.true(Number.isNaN(actual[key]), `${what}.${key}: ${actual[key]}`);
		} else {
			t.true(Math.abs(actual[key] - expected[key]) <= 1e-12 * Math.max(1, Math.abs(expected[key])), `${what}.${key}: ${actual[key]} != ${expected[key]}`);
		}
	}
}

const hash = (row?: {configHash: string}) => row?.configHash;

for (const [dialect, open] of dialects) {
	test(`${dialect}: the database ranks random sweeps as report/ranking.ts does: order, ranks, ties, Pareto flags, spreads, the configs named`, async t => {
		for (let seed = 1; seed <= 6; seed++) {
			const metric = METRICS[seed % METRICS.length];
			const data = randomSweep(seed, 30 + seed * 5, metric);
			// eslint-disable-next-line no-await-in-loop
			const {store, sweepId} = await stored(t, open, `random-${seed}`, metric, data);
			const margin = seed % 2 === 0 ? 0.005 : 0.2;
			const expected = tradeoff(leaderboard(data.trials, data.steps, metric), {metric, margin});
			// eslint-disable-next-line no-await-in-loop
			const page = await store.rankConfigs(sweepId, rankQuery(metric, {kind: 'all'}, margin));
			const actual = tradeoffOf(page.configs, metric, margin);
			t.is(page.total, expected.rows.length);
			t.deepEqual(actual.rows.map(row => row.configHash), expected.rows.map(row => row.configHash), `seed ${seed}: order`);
			t.deepEqual(actual.rows.map(row => [row.rank, row.tied, row.pareto]), expected.rows.map(row => [row.rank, row.tied, row.pareto]), `seed ${seed}: ranks, ties, front`);
			t.true(expected.rows.some(row => row.tied), `seed ${seed}: the sweep has ties`);
			t.true(expected.rows.some(row => row.rank === null), `seed ${seed}: and configs without a value`);
			for (const [index, row] of actual.rows.entries()) {
				const want = expected.rows[index];
				t.deepEqual([row.trials, row.completed, row.states, row.paramCount, row.backends, row.config], [want.trials, want.completed, want.states, want.paramCount, want.backends, want.config], `${row.configHash}`);
				for (const key of ['value', 'testAccuracy', 'testedEpoch', 'testedValue', 'bestEpoch', 'convergedEpoch', 'epochsRun', 'secondsToBest', 'trainSeconds', 'secondsPerEpoch'] as const) {
					sameSpread(t, row[key], want[key], `${row.configHash}.${key}`);
				}
			}

			t.deepEqual([hash(actual.mostAccurate), hash(actual.fastestWithinMargin), hash(actual.knee), actual.fastestTies.map(hash)], [hash(expected.mostAccurate), hash(expected.fastestWithinMargin), hash(expected.knee), expected.fastestTies.map(hash)], `seed ${seed}: the configs named`);
			t.is(page.ranked, expected.rows.filter(row => row.rank !== null).length);
		}
	});

	test(`${dialect}: ties share the rank of their group's first config, by either direction; equal means tie; equal points share the front`, async t => {
		for (const metric of [{name: 'val_accuracy', goal: 'maximize'}, {name: 'err', goal: 'minimize'}] as MetricSpec[]) {
			const sign = metric.goal === 'maximize' ? 1 : -1;
			// Means (one repeat each, no spread): a, b equal; c below; d equal to c but slower; e has no value.
			const values = [0.5, 0.5, 0.25, 0.25, Number.NaN].map(value => 0.5 + sign * (value - 0.5));
			const times = [10, 10, 5, 6, 1];
			const trials: TrialRecord[] = [];
			const steps: StoredStep[] = [];
			for (const [index, value] of values.entries()) {
				const {trials: [trial]} = randomSweep(1, 1, metric);
				trials.push({...trial, id: index + 1, ordinal: index, repeat: 0, configHash: `h${index}`, config: {...trial.config, hidden: [index + 1]}, state: 'completed', trainSeconds: times[index], finalMetrics: {test_epoch: 1}, epochsRun: 1});
				steps.push({id: index + 1, trialId: index + 1, step: 1, metrics: {[metric.name]: value}, seconds: 1});
			}

			// eslint-disable-next-line no-await-in-loop
			const {store, sweepId} = await stored(t, open, `ties-${metric.goal}`, metric, {trials, steps});
			// eslint-disable-next-line no-await-in-loop
			const {configs} = await store.rankConfigs(sweepId, rankQuery(metric, {kind: 'all'}));
			t.deepEqual(configs.map(({row}) => [row.configHash, row.rank, row.tied, row.pareto]), [
				['h0', 1, true, true],
				['h1', 1, true, true],
				['h2', 3, true, true],
				['h3', 3, true, false],
				['h4', null, false, false],
			], metric.goal);
			t.deepEqual(configs.map(config => config.position), [1, 2, 3, 4, 5]);
		}
	});

	test(`${dialect}: selections: some configs, the charts' (the best, the front, a sample), pages within and past the end, sorted and filtered`, async t => {
		const metric: MetricSpec = {name: 'val_accuracy', goal: 'maximize'};
		const data = randomSweep(42, 80, metric);
		const {store, sweepId} = await stored(t, open, 'pages', metric, data);
		const all = (await store.rankConfigs(sweepId, rankQuery(metric, {kind: 'all'}))).configs;
		const byHash = new Map(all.map(config => [config.row.configHash, config]));
		const same = (configs: readonly RankedConfig[]) => configs.map(config => config.row.configHash);

		const some = await store.rankConfigs(sweepId, rankQuery(metric, {kind: 'configs', hashes: ['c0003', 'c0001', 'nope']}));
		t.deepEqual(some.configs.map(config => config.row), ['c0003', 'c0001'].map(hash => byHash.get(hash)!.row).sort((a, b) => byHash.get(a.configHash)!.position - byHash.get(b.configHash)!.position));

		const chart = await store.rankConfigs(sweepId, rankQuery(metric, {kind: 'chart', top: 5, sample: 10}));
		const shown = new Set(same(chart.configs));
		t.true(all.filter(config => config.position <= 5 || config.row.pareto || config.fastest).every(config => shown.has(config.row.configHash)));
		t.true(chart.configs.length < all.length);
		t.is(chart.total, all.length);
		t.deepEqual(chart.configs.map(config => config.row), chart.configs.map(config => byHash.get(config.row.configHash)!.row));

		const page = (select: {sort?: string; descending?: boolean; state?: TrialState; params?: Record<string, string[]>; offset?: number; limit?: number}) =>
			store.rankConfigs(sweepId, rankQuery(metric, {kind: 'page', sort: 'rank', descending: false, params: {}, offset: 0, limit: 10, ...select}));
		t.deepEqual(same((await page({offset: 10, limit: 7})).configs), same(all.slice(10, 17)));
		const past = await page({offset: all.length + 5});
		t.deepEqual([past.total, past.configs.length], [all.length, 0], 'a page past the end is empty and still counts');
		const none = await page({state: 'timeout'});
		t.deepEqual([none.total, none.configs.length], [0, 0]);
		const last = await page({offset: all.length - 3});
		t.deepEqual(same(last.configs), same(all.slice(-3)));
		t.is(last.total, all.length);

		const slowest = await page({sort: 'trainSeconds', descending: true, limit: all.length});
		const seconds = slowest.configs.map(config => config.row.trainSeconds.mean);
		const timed = seconds.filter(value => !Number.isNaN(value));
		t.deepEqual(timed, [...timed].sort((a, b) => b - a));
		t.true(seconds.slice(timed.length).every(value => Number.isNaN(value)), 'configs without a time last, whichever the direction');
		const byTest = await page({sort: 'testAccuracy', limit: all.length});
		t.deepEqual(same(byTest.configs), same([...all].sort((a, b) => (a.row.testAccuracy.n === 0 ? 1 : 0) - (b.row.testAccuracy.n === 0 ? 1 : 0) || a.row.testAccuracy.mean - b.row.testAccuracy.mean || a.position - b.position).filter(config => config.row.testAccuracy.n > 0).concat(all.filter(config => config.row.testAccuracy.n === 0))));

		const pruned = await page({state: 'pruned', limit: all.length});
		t.deepEqual(same(pruned.configs), same(all.filter(config => (config.row.states.pruned ?? 0) > 0)));
		t.is(pruned.total, pruned.configs.length);
		const values = await store.configValues(sweepId, 'hidden', 1000);
		t.is(values.length, 80);
		const wanted = values.filter(text => ['[8]', '[16]', '[24]'].includes(text.replaceAll(' ', '')));
		t.is(wanted.length, 3);
		const filtered = await page({params: {hidden: wanted}, sort: 'param:hidden', descending: true});
		t.deepEqual(same(filtered.configs).sort(), ['c0000', 'c0001', 'c0002']);
		t.deepEqual(same(filtered.configs), ['c0002', 'c0001', 'c0000'], 'hidden [24], [16], [8]: the largest first');
		t.is((await store.configValues(sweepId, 'hidden', 5)).length, 5);
		t.deepEqual(await store.configValues(sweepId, 'no-such-key', 5), []);

		const means = await store.configMeans(sweepId, rankQuery(metric, {kind: 'all'}), ['hidden']);
		t.deepEqual(means, all.filter(config => config.row.rank !== null).map(config => ({config: {hidden: config.row.config.hidden}, value: config.row.value.mean})));
	});
}
