/**
 * Behaviour every Store implementation must have. Each test gets a fresh, empty store from `makeStore`
 * (the factory owns its temporary files); the suite closes the stores it opens.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import type {ExecutionContext, TestFn} from 'ava';
import {StoreError} from '../../src/errors.js';
import {LeaseLostError} from '../../src/store/store.js';
import type {Store, TrialRecord} from '../../src/store/store.js';
import {summariseTrial} from '../../src/report/leaderboard.js';
import {DEFAULT_TRIAL_CONFIG, FINISHED_STATES, sweepMetric} from '../../src/types.js';
import {type EpochRecord, epochStep, type StepRecord, stepEpoch, type SweepDefinition, type TrialSpec} from '../../src/types.js';

export const OWNER_A = 'host-a:101';
export const OWNER_B = 'host-b:202';
/** Long enough that no test ever sees a fresh heartbeat expire. */
export const LONG_LEASE = 3_600_000;

export function sweepDefinition(name: string, seed = 1): SweepDefinition {
	return {
		name,
		question: 'does width help?',
		method: 'grid',
		seed,
		repeats: 1,
		dataset: {name: 'fashion-mnist-mini', trainLimit: 512, validation: 0.1},
		base: {...DEFAULT_TRIAL_CONFIG, epochs: 3},
		parameters: {hidden: {kind: 'values', values: [[32], [64], [128]]}},
	};
}

export function sweepInput(name: string, definitionHash = `hash-${name}`, seed = 1) {
	return {
		definition: sweepDefinition(name, seed),
		definitionHash,
		source: `name: ${name}\nmethod: grid\nparameters:\n  hidden: [[32], [64], [128]]\n`,
		file: `sweeps/${name}.yaml`,
	};
}

/** Specs with ordinals `ordinals` (default 0..count-1), one distinct config each. */
export function trialSpecs(count: number, ordinals: number[] = Array.from({length: count}, (_, index) => index)): TrialSpec[] {
	return ordinals.map((ordinal) => ({
		ordinal,
		config: {...DEFAULT_TRIAL_CONFIG, hidden: [16 * (ordinal + 1)], epochs: 3},
		configHash: `cfg${String(ordinal).padStart(13, '0')}`,
		repeat: 0,
		seed: 1000 + ordinal,
	}));
}

export function epochRecord(epoch: number, overrides: Partial<EpochRecord> = {}): EpochRecord {
	return {epoch, loss: 1 / epoch, accuracy: 0.5 + epoch / 100, valLoss: 1.1 / epoch, valAccuracy: 0.45 + epoch / 100, seconds: 0.25, ...overrides};
}

/** A built-in trainer's epoch as the step the store records. */
export function stepRecord(epoch: number, overrides: Partial<EpochRecord> = {}): StepRecord {
	return epochStep(epochRecord(epoch, overrides));
}

/** The sweep's steps read back as built-in epochs, with their trial. */
export async function epochsOf(store: Store, sweepId: number): Promise<Array<EpochRecord & {trialId: number}>> {
	return (await store.steps(sweepId)).map(({trialId, id: _id, ...step}) => ({trialId, ...stepEpoch(step)}));
}

const leaseLost = {instanceOf: LeaseLostError};

export function storeContract(test: TestFn, makeStore: () => Promise<Store>): void {
	async function open(t: ExecutionContext): Promise<Store> {
		const store = await makeStore();
		t.teardown(async () => store.close());
		return store;
	}

	/** A store with one sweep of `count` trials. */
	async function withTrials(t: ExecutionContext, count = 3) {
		const store = await open(t);
		const sweep = await store.openSweep(sweepInput('widths'));
		await store.addTrials(sweep.id, trialSpecs(count));
		return {store, sweep};
	}

	async function claimed(store: Store, sweepId: number, owner = OWNER_A): Promise<TrialRecord> {
		const trial = await store.claimTrial(sweepId, owner, LONG_LEASE);
		if (!trial) {
			throw new Error('expected a claimable trial');
		}

		return trial;
	}

	test('openSweep creates a sweep that getSweep returns with its definition, source and file', async (t) => {
		const store = await open(t);
		const input = sweepInput('widths');
		const sweep = await store.openSweep(input);
		t.is(sweep.name, 'widths');
		t.deepEqual(sweep.definition, input.definition);
		t.is(sweep.definitionHash, input.definitionHash);
		t.is(sweep.source, input.source);
		t.is(sweep.file, input.file);
		t.false(Number.isNaN(Date.parse(sweep.createdAt)));
		t.deepEqual(await store.getSweep('widths'), sweep);
		t.is(await store.getSweep('depths'), undefined);
	});

	test('openSweep returns the existing sweep when name and definition hash match', async (t) => {
		const store = await open(t);
		const first = await store.openSweep(sweepInput('widths'));
		const again = await store.openSweep({...sweepInput('widths'), source: 'edited whitespace', file: 'elsewhere.yaml'});
		t.deepEqual(again, first);
		t.is((await store.listSweeps()).length, 1);
	});

	test('openSweep refuses a known name with a different definition hash', async (t) => {
		const store = await open(t);
		await store.openSweep(sweepInput('widths', 'aaaa'));
		const error = await t.throwsAsync(store.openSweep(sweepInput('widths', 'bbbb', 2)), {instanceOf: StoreError});
		t.regex(error!.message, /"widths"/);
		t.regex(error!.message, /rename the sweep or use another --db/);
		t.false(error instanceof LeaseLostError);
		t.is((await store.getSweep('widths'))!.definitionHash, 'aaaa');
	});

	test('addTrials inserts pending trials and counts only the new ones on a resume', async (t) => {
		const store = await open(t);
		const sweep = await store.openSweep(sweepInput('widths'));
		t.is(await store.addTrials(sweep.id, trialSpecs(3)), 3);
		t.is(await store.addTrials(sweep.id, trialSpecs(5)), 2);
		t.is(await store.addTrials(sweep.id, trialSpecs(5)), 0);
		const trials = await store.trials(sweep.id);
		t.deepEqual(
			trials.map((trial) => trial.ordinal),
			[0, 1, 2, 3, 4],
		);
		const [first] = trials;
		const [spec] = trialSpecs(1);
		t.like(first, {
			sweepId: sweep.id,
			config: spec.config,
			configHash: spec.configHash,
			repeat: 0,
			seed: 1000,
			state: 'pending',
			attempts: 0,
			owner: null,
			heartbeatAt: null,
			backend: null,
			paramCount: null,
			startedAt: null,
			finishedAt: null,
			epochsRun: 0,
			testLoss: null,
			testAccuracy: null,
			finalMetrics: {},
			trainSeconds: null,
			error: null,
			logPath: null,
		});
	});

	test('addTrials keys trials on config hash and repeat, and leaves existing trials untouched', async (t) => {
		const {store, sweep} = await withTrials(t, 2);
		const running = await claimed(store, sweep.id);
		const [spec] = trialSpecs(1);
		t.is(await store.addTrials(sweep.id, [spec, {...spec, ordinal: 7, repeat: 1, seed: 77}]), 1);
		const trials = await store.trials(sweep.id);
		t.is(trials.length, 3);
		t.like(trials.find((trial) => trial.id === running.id), {state: 'running', owner: OWNER_A, attempts: 1});
		t.like(trials.find((trial) => trial.repeat === 1), {ordinal: 7, seed: 77, state: 'pending'});
	});

	test('addTrials rejects an unknown sweep', async (t) => {
		const store = await open(t);
		await t.throwsAsync(store.addTrials(999, trialSpecs(1)), {instanceOf: StoreError, message: /999/});
	});

	test('claimTrial takes the lowest ordinal first and marks it running under the owner', async (t) => {
		const store = await open(t);
		const sweep = await store.openSweep(sweepInput('widths'));
		await store.addTrials(sweep.id, trialSpecs(3, [2, 0, 1]));
		const before = Date.now();
		const first = await claimed(store, sweep.id);
		t.like(first, {ordinal: 0, state: 'running', owner: OWNER_A, attempts: 1, epochsRun: 0, finishedAt: null});
		t.true(first.heartbeatAt! >= before - 1000);
		t.false(Number.isNaN(Date.parse(first.startedAt!)));
		t.is((await claimed(store, sweep.id, OWNER_B)).ordinal, 1);
		t.is((await claimed(store, sweep.id)).ordinal, 2);
		t.is(await store.claimTrial(sweep.id, OWNER_A, LONG_LEASE), undefined);
		t.deepEqual(
			(await store.trials(sweep.id)).map((trial) => [trial.ordinal, trial.owner]),
			[
				[0, OWNER_A],
				[1, OWNER_B],
				[2, OWNER_A],
			],
		);
	});

	test('claimTrial only hands out trials of the given sweep', async (t) => {
		const store = await open(t);
		const widths = await store.openSweep(sweepInput('widths'));
		const depths = await store.openSweep(sweepInput('depths'));
		await store.addTrials(widths.id, trialSpecs(1));
		await store.addTrials(depths.id, trialSpecs(1));
		t.is((await claimed(store, depths.id)).sweepId, depths.id);
		t.is(await store.claimTrial(depths.id, OWNER_A, LONG_LEASE), undefined);
		t.is((await claimed(store, widths.id)).sweepId, widths.id);
	});

	test('claimTrial does not take a running trial whose heartbeat is within the lease', async (t) => {
		const {store, sweep} = await withTrials(t, 1);
		await claimed(store, sweep.id);
		t.is(await store.claimTrial(sweep.id, OWNER_B, LONG_LEASE), undefined);
	});

	test('claimTrial reclaims an expired lease, deletes the earlier attempt and locks the old owner out', async (t) => {
		const {store, sweep} = await withTrials(t, 1);
		const first = await claimed(store, sweep.id);
		await store.markStarted(first.id, OWNER_A, {backend: 'cpu', trainingPath: 'fit', host: 'host-a', paramCount: 1234});
		await store.recordStep(first.id, OWNER_A, stepRecord(1));
		await store.recordStep(first.id, OWNER_A, stepRecord(2));
		await sleep(30);
		const second = await store.claimTrial(sweep.id, OWNER_B, 10);
		t.like(second, {id: first.id, owner: OWNER_B, state: 'running', attempts: 2, epochsRun: 0, backend: null, paramCount: null});
		t.deepEqual(await epochsOf(store, sweep.id), []);

		await t.throwsAsync(store.recordStep(first.id, OWNER_A, stepRecord(3)), leaseLost);
		await t.throwsAsync(store.markStarted(first.id, OWNER_A, {backend: 'cpu', trainingPath: 'fit', host: 'host-a', paramCount: 1}), leaseLost);
		await t.throwsAsync(store.finishTrial(first.id, OWNER_A, {state: 'completed', metrics: {test_accuracy: 0.9}}), leaseLost);
		const lost = await t.throwsAsync<LeaseLostError>(store.heartbeat([first.id], OWNER_A), leaseLost);
		t.deepEqual(lost!.trialIds, [first.id]);
		await store.requeueTrial(first.id, OWNER_A);

		await store.recordStep(first.id, OWNER_B, stepRecord(1));
		const [trial] = await store.trials(sweep.id);
		t.like(trial, {state: 'running', owner: OWNER_B, epochsRun: 1});
		t.deepEqual(
			(await epochsOf(store, sweep.id)).map((epoch) => epoch.epoch),
			[1],
		);
	});

	test('writes under an owner that never held the trial throw LeaseLostError and change nothing', async (t) => {
		const {store, sweep} = await withTrials(t, 2);
		const trial = await claimed(store, sweep.id);
		const [pending] = (await store.trials(sweep.id)).filter((each) => each.state === 'pending');
		for (const id of [trial.id, pending.id]) {
			await t.throwsAsync(store.recordStep(id, OWNER_B, stepRecord(1)), leaseLost);
			await t.throwsAsync(store.markStarted(id, OWNER_B, {backend: 'cpu', trainingPath: 'fit', host: 'b', paramCount: 1}), leaseLost);
			await t.throwsAsync(store.finishTrial(id, OWNER_B, {state: 'failed', error: 'boom'}), leaseLost);
		}

		await store.requeueTrial(trial.id, OWNER_B);
		const after = await store.trials(sweep.id);
		t.like(after[0], {state: 'running', owner: OWNER_A, epochsRun: 0, backend: null});
		t.like(after[1], {state: 'pending', owner: null});
		t.deepEqual(await epochsOf(store, sweep.id), []);
	});

	test('owner-scoped writes to a trial that does not exist throw StoreError', async (t) => {
		const store = await open(t);
		await t.throwsAsync(store.recordStep(4242, OWNER_A, stepRecord(1)), {instanceOf: StoreError, message: /4242/});
		await t.throwsAsync(store.finishTrial(4242, OWNER_A, {state: 'completed'}), {instanceOf: StoreError, message: /4242/});
		await t.throwsAsync(store.requeueTrial(4242, OWNER_A), {instanceOf: StoreError, message: /4242/});
	});

	test('markStarted records backend, training path, host and parameter count', async (t) => {
		const {store, sweep} = await withTrials(t, 1);
		const trial = await claimed(store, sweep.id);
		await store.markStarted(trial.id, OWNER_A, {backend: 'wasm', trainingPath: 'manual-loop', host: 'host-a', paramCount: 52_650});
		t.like((await store.trials(sweep.id))[0], {backend: 'wasm', trainingPath: 'manual-loop', host: 'host-a', paramCount: 52_650, state: 'running'});
	});

	test('recordStep stores each step once and in increasing order, bumps epochsRun; steps() come in recording order, after a cursor', async (t) => {
		const store = await open(t);
		const sweep = await store.openSweep(sweepInput('widths'));
		await store.addTrials(sweep.id, trialSpecs(2, [1, 0]));
		const early = await claimed(store, sweep.id);
		const late = await claimed(store, sweep.id);
		t.is(early.ordinal, 0);
		await store.recordStep(late.id, OWNER_A, stepRecord(1));
		await store.recordStep(early.id, OWNER_A, stepRecord(1));
		await store.recordStep(early.id, OWNER_A, stepRecord(2));
		await store.recordStep(late.id, OWNER_A, stepRecord(2));
		const duplicate = await t.throwsAsync(store.recordStep(early.id, OWNER_A, stepRecord(2, {loss: 9})), {instanceOf: StoreError});
		t.false(duplicate instanceof LeaseLostError);
		t.regex(duplicate!.message, /already has step 2/);
		await t.throwsAsync(store.recordStep(late.id, OWNER_A, stepRecord(1)), {instanceOf: StoreError, message: /increasing order/});
		await t.throwsAsync(store.recordStep(late.id, OWNER_A, {step: 2.5, metrics: {}}), {instanceOf: StoreError, message: /whole number/});

		const steps = await store.steps(sweep.id);
		t.deepEqual(
			steps.map((step) => [step.trialId, step.step]),
			[
				[late.id, 1],
				[early.id, 1],
				[early.id, 2],
				[late.id, 2],
			],
		);
		t.true(steps.every((step, index) => index === 0 || step.id > steps[index - 1].id));
		t.deepEqual(steps[1], {id: steps[1].id, trialId: early.id, ...stepRecord(1)});
		t.deepEqual((await store.steps(sweep.id, {afterId: steps[1].id})).map((step) => step.id), [steps[2].id, steps[3].id]);
		t.deepEqual(await store.steps(sweep.id, {afterId: steps[3].id}), []);
		t.deepEqual(
			(await store.trials(sweep.id)).map((trial) => trial.epochsRun),
			[2, 2],
		);
	});

	test('steps keep any metrics by name (or none), and final metrics and the log path round-trip', async (t) => {
		const {store, sweep} = await withTrials(t, 1);
		const trial = await claimed(store, sweep.id);
		const first: StepRecord = {step: 1, metrics: {'top-1/acc': 0.5, loss: Number.NaN, auc: Number.POSITIVE_INFINITY, 'f1.macro': -0.25}, seconds: 2};
		await store.recordStep(trial.id, OWNER_A, first);
		await store.recordStep(trial.id, OWNER_A, {step: 3, metrics: {}});
		await store.finishTrial(trial.id, OWNER_A, {
			state: 'completed',
			metrics: {test_accuracy: 0.8, bleu: Number.NEGATIVE_INFINITY, perplexity: Number.NaN},
			trainSeconds: 3,
			logPath: '/tmp/trial-1/trial.log',
		});
		const steps = await store.steps(sweep.id);
		t.deepEqual(steps.map(({id: _id, trialId: _trial, ...step}) => step), [first, {step: 3, metrics: {}}]);
		const [after] = await store.trials(sweep.id);
		t.like(after, {testAccuracy: 0.8, testLoss: null, logPath: '/tmp/trial-1/trial.log', epochsRun: 2});
		t.deepEqual(Object.keys(after.finalMetrics).sort(), ['bleu', 'perplexity', 'test_accuracy']);
		t.is(after.finalMetrics.bleu, Number.NEGATIVE_INFINITY);
		t.true(Number.isNaN(after.finalMetrics.perplexity));
		// A new attempt starts without the old one's steps and outcome.
		const {store: other, sweep: again} = await withTrials(t, 1);
		const retried = await claimed(other, again.id);
		await other.recordStep(retried.id, OWNER_A, stepRecord(1));
		await other.finishTrial(retried.id, OWNER_A, {state: 'interrupted', error: 'stop', metrics: {x: 1}, logPath: '/tmp/a.log'});
		const reclaimed = await claimed(other, again.id);
		t.like(reclaimed, {finalMetrics: {}, logPath: null, epochsRun: 0});
		t.deepEqual(await other.steps(again.id), []);
	});

	test('NaN and +/-Infinity metrics round-trip through epochs and outcomes', async (t) => {
		const {store, sweep} = await withTrials(t, 1);
		const trial = await claimed(store, sweep.id);
		const diverged = epochRecord(1, {loss: Number.NaN, accuracy: 0.1, valLoss: Number.POSITIVE_INFINITY, valAccuracy: Number.NaN, seconds: 0});
		const odd = epochRecord(2, {loss: Number.NEGATIVE_INFINITY, valLoss: -0.5});
		await store.recordStep(trial.id, OWNER_A, epochStep(diverged));
		await store.recordStep(trial.id, OWNER_A, epochStep(odd));
		await store.finishTrial(trial.id, OWNER_A, {state: 'diverged', metrics: {test_loss: Number.NaN, test_accuracy: Number.POSITIVE_INFINITY}, trainSeconds: 1.5, error: 'loss is NaN at epoch 1'});
		t.deepEqual(await epochsOf(store, sweep.id), [
			{trialId: trial.id, ...diverged},
			{trialId: trial.id, ...odd},
		]);
		const [after] = await store.trials(sweep.id);
		t.true(Number.isNaN(after.testLoss));
		t.is(after.testAccuracy, Number.POSITIVE_INFINITY);
		t.is(after.trainSeconds, 1.5);
	});

	test('stepSummaries keep what each finished trial\'s steps come to, as summariseTrial works it out; importSweep too', async (t) => {
		const store = await open(t);
		const nan = Number.NaN;
		const inf = Number.POSITIVE_INFINITY;
		const step = (n: number, metrics: Record<string, number>, seconds?: number): StepRecord => ({step: n, metrics, ...(seconds !== undefined && {seconds})});
		// Ties (the first step wins), NaN and infinite values and seconds, a step without the metric, a trial without any.
		const histories: Array<{state: 'completed' | 'pruned' | 'diverged'; steps: StepRecord[]}> = [
			{state: 'completed', steps: [step(1, {val_accuracy: 0.5, val_loss: 0.9}, 0.1), step(2, {val_accuracy: 0.7, val_loss: 0.61}, 0.2), step(3, {val_accuracy: 0.7, val_loss: 0.6}, nan), step(4, {val_accuracy: 0.6, val_loss: 0.7}, 0.3), step(5, {val_accuracy: 0.6}, 0.7)]},
			{state: 'diverged', steps: [step(1, {val_accuracy: nan, val_loss: -inf}, inf), step(2, {val_accuracy: inf, val_loss: 0.5}, 0.2), step(3, {val_accuracy: 0.3, val_loss: 0.5105}, 0.7), step(4, {val_loss: 0.4999}, 0.1)]},
			{state: 'pruned', steps: [step(1, {loss: 2}, 1), step(2, {loss: 1})]},
			{state: 'completed', steps: [step(1, {val_accuracy: 0.2, val_loss: 0}, 0.1), step(2, {val_accuracy: 0.2, val_loss: 0.001}, 0.1)]},
			{state: 'completed', steps: []},
		];
		const minimize = {...sweepInput('losses'), definition: {...sweepDefinition('losses'), metric: {name: 'val_loss', goal: 'minimize' as const}}};
		for (const input of [sweepInput('widths'), minimize]) {
			const sweep = await store.openSweep(input);
			const metric = sweepMetric(sweep.definition);
			await store.addTrials(sweep.id, trialSpecs(histories.length + 1));
			for (const [index, {state, steps}] of histories.entries()) {
				const trial = await claimed(store, sweep.id);
				for (const record of steps) {
					await store.recordStep(trial.id, OWNER_A, record);
				}

				// The first trial's weights tested are epoch 4's (not the best); the second names an epoch whose value is NaN.
				const metrics = index === 0 ? {test_accuracy: 0.59, test_epoch: 4} : (index === 1 ? {test_accuracy: 0.2, test_epoch: 1} : undefined);
				await store.finishTrial(trial.id, OWNER_A, {state, trainSeconds: 1, ...(metrics && {metrics})});
			}

			const running = await claimed(store, sweep.id);
			await store.recordStep(running.id, OWNER_A, stepRecord(1));
			const trials = await store.trials(sweep.id);
			const stored = await store.stepSummaries(sweep.id);
			const steps = await store.steps(sweep.id);
			const expected = trials.filter(trial => trial.state !== 'running').map(trial => summariseTrial(trial, steps.filter(record => record.trialId === trial.id), metric));
			t.is(expected.length, histories.length);
			// To the last digit: the stores add seconds one at a time in step order, as the reduce does.
			t.deepEqual(stored, expected, input.definition.name);
			t.like(stored[0], metric.goal === 'maximize' ? {bestValue: 0.7, bestStep: 2, convergedStep: 2, timedSteps: 4, secondsToBest: 0.1 + 0.2, testedValue: 0.6} : {bestValue: 0.6, bestStep: 3, convergedStep: 2, testedValue: 0.7});
			t.like(stored[1], {testedValue: null});
			t.like(stored[3], {testedValue: null});
			t.like(stored[1], metric.goal === 'maximize' ? {bestValue: 0.3, bestStep: 3, convergedStep: 2, timedSteps: 3} : {bestValue: 0.4999, bestStep: 4});
			t.like(stored[2], {bestValue: null, bestStep: null, convergedStep: null, secondsToBest: null, stepSeconds: 1, timedSteps: 1});
			t.like(stored[4], {bestValue: null, bestStep: null, secondsToBest: null, stepSeconds: 0, timedSteps: 0});

			// A copy gets them from its own steps.
			const copied = await store.importSweep({...sweep, name: `${sweep.name}-copy`}, trials, steps);
			const copies = await store.stepSummaries(copied.id);
			t.deepEqual(copies.map(({trialId: _, ...summary}) => summary), stored.map(({trialId: _, ...summary}) => summary));
		}
	});

	test('heartbeat refreshes held trials and reports the lost ones', async (t) => {
		const {store, sweep} = await withTrials(t, 3);
		const mine = await claimed(store, sweep.id);
		const theirs = await claimed(store, sweep.id, OWNER_B);
		const [pending] = (await store.trials(sweep.id)).filter((trial) => trial.state === 'pending');
		await store.heartbeat([mine.id], OWNER_A);
		await store.heartbeat([], OWNER_A);
		const error = await t.throwsAsync<LeaseLostError>(store.heartbeat([mine.id, theirs.id, pending.id], OWNER_A), leaseLost);
		t.deepEqual(error!.trialIds, [theirs.id, pending.id]);
		t.regex(error!.message, new RegExp(`${theirs.id}, ${pending.id}`));
		t.like((await store.trials(sweep.id))[1], {owner: OWNER_B, state: 'running'});
	});

	test('finishTrial records the outcome, clears the owner, and the trial is never modified again', async (t) => {
		const {store, sweep} = await withTrials(t, 1);
		const trial = await claimed(store, sweep.id);
		await store.recordStep(trial.id, OWNER_A, stepRecord(1));
		await store.finishTrial(trial.id, OWNER_A, {state: 'completed', metrics: {test_loss: 0.41, test_accuracy: 0.86}, trainSeconds: 12.5});
		const [done] = await store.trials(sweep.id);
		t.like(done, {state: 'completed', owner: null, testLoss: 0.41, testAccuracy: 0.86, trainSeconds: 12.5, error: null, epochsRun: 1, attempts: 1});
		t.false(Number.isNaN(Date.parse(done.finishedAt!)));

		await t.throwsAsync(store.recordStep(trial.id, OWNER_A, stepRecord(2)), {instanceOf: StoreError, message: /completed/});
		await t.throwsAsync(store.finishTrial(trial.id, OWNER_A, {state: 'failed', error: 'late'}), {instanceOf: StoreError, message: /completed/});
		await t.throwsAsync(store.markStarted(trial.id, OWNER_A, {backend: 'cpu', trainingPath: 'fit', host: 'a', paramCount: 1}), {instanceOf: StoreError});
		await t.throwsAsync(store.heartbeat([trial.id], OWNER_A), {instanceOf: StoreError});
		await store.requeueTrial(trial.id, OWNER_A);
		t.is(await store.claimTrial(sweep.id, OWNER_B, 0), undefined);
		t.is(await store.addTrials(sweep.id, trialSpecs(1)), 0);
		t.deepEqual((await store.trials(sweep.id))[0], done);
		t.is((await epochsOf(store, sweep.id)).length, 1);
	});

	test('every finished state is final and never claimed again', async (t) => {
		const {store, sweep} = await withTrials(t, FINISHED_STATES.length);
		for (const state of FINISHED_STATES) {
			const trial = await claimed(store, sweep.id);
			await store.finishTrial(trial.id, OWNER_A, {state: state as 'completed', error: `${state} on purpose`});
		}

		await sleep(5);
		t.is(await store.claimTrial(sweep.id, OWNER_B, 1), undefined);
		t.deepEqual(
			(await store.trials(sweep.id)).map((trial) => [trial.state, trial.error]),
			FINISHED_STATES.map((state) => [state, `${state} on purpose`]),
		);
	});

	test('an interrupted trial is claimed again with a fresh attempt', async (t) => {
		const {store, sweep} = await withTrials(t, 2);
		const trial = await claimed(store, sweep.id);
		await store.recordStep(trial.id, OWNER_A, stepRecord(1));
		await store.finishTrial(trial.id, OWNER_A, {state: 'interrupted', error: 'SIGINT'});
		t.like((await store.trials(sweep.id))[0], {state: 'interrupted', owner: null, error: 'SIGINT'});
		const again = await claimed(store, sweep.id, OWNER_B);
		t.like(again, {id: trial.id, state: 'running', owner: OWNER_B, attempts: 2, epochsRun: 0, error: null, finishedAt: null});
		t.deepEqual(await epochsOf(store, sweep.id), []);
	});

	test('requeueTrial puts a trial running under the owner back to pending', async (t) => {
		const {store, sweep} = await withTrials(t, 2);
		const trial = await claimed(store, sweep.id);
		await store.requeueTrial(trial.id, OWNER_A);
		t.like((await store.trials(sweep.id))[0], {state: 'pending', owner: null, heartbeatAt: null, attempts: 1});
		await t.throwsAsync(store.recordStep(trial.id, OWNER_A, stepRecord(1)), leaseLost);
		const again = await claimed(store, sweep.id, OWNER_B);
		t.like(again, {id: trial.id, attempts: 2});
	});

	test('listSweeps reports every sweep with its trial counts per state', async (t) => {
		const store = await open(t);
		const widths = await store.openSweep(sweepInput('widths'));
		const empty = await store.openSweep(sweepInput('empty'));
		await store.addTrials(widths.id, trialSpecs(4));
		const first = await claimed(store, widths.id);
		await store.finishTrial(first.id, OWNER_A, {state: 'completed'});
		await claimed(store, widths.id);
		const statuses = await store.listSweeps();
		t.deepEqual(
			statuses.map((status) => status.sweep.id),
			[widths.id, empty.id],
		);
		t.is(statuses[0].total, 4);
		t.deepEqual(statuses[0].counts, {pending: 2, running: 1, completed: 1, failed: 0, diverged: 0, pruned: 0, interrupted: 0, timeout: 0});
		t.is(statuses[1].total, 0);
		t.is(statuses[1].counts.pending, 0);
		t.deepEqual(statuses[0].sweep, widths);
	});

	test('trial reads one trial by id; trialSteps reads the steps of the listed trials only, by trial then step', async (t) => {
		const {store, sweep} = await withTrials(t, 3);
		const first = await claimed(store, sweep.id);
		const second = await claimed(store, sweep.id);
		for (const [trial, steps] of [[second, 2], [first, 3]] as const) {
			for (let step = 1; step <= steps; step++) {
				await store.recordStep(trial.id, OWNER_A, stepRecord(step, {valAccuracy: trial.id + step / 10}));
			}
		}

		t.deepEqual(await store.trial(first.id), (await store.trials(sweep.id)).find((trial) => trial.id === first.id));
		t.is(await store.trial(999_999), undefined);
		const steps = await store.trialSteps([second.id, first.id, 999_999]);
		t.deepEqual(
			steps.map((step) => [step.trialId, step.step]),
			[[first.id, 1], [first.id, 2], [first.id, 3], [second.id, 1], [second.id, 2]].sort((a, b) => a[0] - b[0] || a[1] - b[1]),
		);
		t.is(steps.find((step) => step.trialId === first.id && step.step === 2)!.metrics.val_accuracy, first.id + 0.2);
		t.deepEqual(await store.trialSteps([second.id]), steps.filter((step) => step.trialId === second.id));
		t.deepEqual(await store.trialSteps([]), []);
	});

	test('trialsChangedSince returns the trials claimed, recording epochs or finished since then, of every sweep', async (t) => {
		const {store, sweep} = await withTrials(t, 4);
		const other = await store.openSweep(sweepInput('other'));
		await store.addTrials(other.id, trialSpecs(1));
		const before = Date.now() - 1;
		t.deepEqual(await store.trialsChangedSince(before), [], 'pending trials carry no time');
		const running = await claimed(store, sweep.id);
		await store.recordStep(running.id, OWNER_A, stepRecord(1));
		const done = await claimed(store, sweep.id);
		await store.finishTrial(done.id, OWNER_A, {state: 'completed'});
		const elsewhere = await claimed(store, other.id, OWNER_B);
		const changed = await store.trialsChangedSince(before);
		t.deepEqual(
			changed.map((trial) => trial.id),
			[running.id, done.id, elsewhere.id].sort((a, b) => a - b),
		);
		t.like(changed.find((trial) => trial.id === running.id), {state: 'running', epochsRun: 1});
		t.like(changed.find((trial) => trial.id === done.id), {state: 'completed'});
		t.deepEqual(await store.trialsChangedSince(Date.now() + 60_000), []);
	});

	test('saveCheckpoint keeps only the newest resume checkpoint of a running trial, its bytes as they were', async (t) => {
		const {store, sweep} = await withTrials(t, 1);
		const trial = await claimed(store, sweep.id);
		t.is(await store.loadCheckpoint(trial.id, 'resume'), undefined);
		await store.recordStep(trial.id, OWNER_A, stepRecord(1));
		const first = Uint8Array.from({length: 70_000}, (_, i) => (i * 7) % 256);
		await store.saveCheckpoint(trial.id, OWNER_A, {kind: 'resume', epoch: 1, data: first});
		t.like(await store.loadCheckpoint(trial.id, 'resume'), {kind: 'resume', epoch: 1});
		t.deepEqual(Buffer.from((await store.loadCheckpoint(trial.id, 'resume'))!.data), Buffer.from(first));
		await store.recordStep(trial.id, OWNER_A, stepRecord(2));
		// A view into a larger buffer: only its own bytes are stored.
		const second = new Uint8Array(new ArrayBuffer(64), 8, 5).fill(9);
		await store.saveCheckpoint(trial.id, OWNER_A, {kind: 'resume', epoch: 2, data: second});
		const stored = (await store.loadCheckpoint(trial.id, 'resume'))!;
		t.is(stored.epoch, 2);
		t.deepEqual([...stored.data], [9, 9, 9, 9, 9]);
		t.false(Number.isNaN(Date.parse(stored.createdAt)));
		await t.throwsAsync(store.saveCheckpoint(trial.id, OWNER_A, {kind: 'resume', epoch: 3, data: second}), {instanceOf: StoreError, message: /after epoch 3 cannot be stored with 2 epochs recorded/});
		await t.throwsAsync(store.saveCheckpoint(trial.id, OWNER_B, {kind: 'resume', epoch: 2, data: second}), leaseLost);
		t.is((await store.loadCheckpoint(trial.id, 'resume'))!.epoch, 2);
	});

	test('a reclaimed trial keeps its epochs up to its resume checkpoint and continues from there; without one it starts over', async (t) => {
		const {store, sweep} = await withTrials(t, 2);
		const [withCheckpoint, without] = [await claimed(store, sweep.id), await claimed(store, sweep.id)];
		for (const trial of [withCheckpoint, without]) {
			for (const epoch of [1, 2, 3]) {
				await store.recordStep(trial.id, OWNER_A, stepRecord(epoch));
			}
		}

		await store.saveCheckpoint(withCheckpoint.id, OWNER_A, {kind: 'resume', epoch: 2, data: Uint8Array.of(1, 2)});
		await store.finishTrial(withCheckpoint.id, OWNER_A, {state: 'interrupted', error: 'stopped'});
		await store.requeueTrial(without.id, OWNER_A);
		t.is((await store.loadCheckpoint(withCheckpoint.id, 'resume'))!.epoch, 2, 'an interrupted trial keeps its checkpoint');
		const resumed = await claimed(store, sweep.id, OWNER_B);
		t.is(resumed.id, withCheckpoint.id);
		t.is(resumed.epochsRun, 2);
		const restarted = await claimed(store, sweep.id, OWNER_B);
		t.is(restarted.epochsRun, 0);
		const steps = await store.steps(sweep.id);
		t.deepEqual(steps.map(step => [step.trialId, step.step]), [[withCheckpoint.id, 1], [withCheckpoint.id, 2]]);
		await store.recordStep(resumed.id, OWNER_B, stepRecord(3));
		t.is((await store.trials(sweep.id))[0].epochsRun, 3);
	});

	test('discardCheckpoint drops the checkpoint and the epochs it kept; finishing drops the resume checkpoint and keeps the weights', async (t) => {
		const {store, sweep} = await withTrials(t, 1);
		const trial = await claimed(store, sweep.id);
		await store.recordStep(trial.id, OWNER_A, stepRecord(1));
		await store.saveCheckpoint(trial.id, OWNER_A, {kind: 'resume', epoch: 1, data: Uint8Array.of(1)});
		await store.finishTrial(trial.id, OWNER_A, {state: 'interrupted'});
		const again = await claimed(store, sweep.id);
		t.is(again.epochsRun, 1);
		await store.discardCheckpoint(again.id, OWNER_A);
		t.is(await store.loadCheckpoint(again.id, 'resume'), undefined);
		t.deepEqual(await store.steps(sweep.id), []);
		t.is((await store.trials(sweep.id))[0].epochsRun, 0);
		await t.throwsAsync(store.discardCheckpoint(again.id, OWNER_B), leaseLost);

		await store.recordStep(again.id, OWNER_A, stepRecord(1));
		await store.saveCheckpoint(again.id, OWNER_A, {kind: 'resume', epoch: 1, data: Uint8Array.of(2)});
		await store.saveCheckpoint(again.id, OWNER_A, {kind: 'weights', epoch: 1, data: Uint8Array.of(3, 4)});
		await store.finishTrial(again.id, OWNER_A, {state: 'completed', metrics: {test_accuracy: 0.5}});
		t.is(await store.loadCheckpoint(again.id, 'resume'), undefined);
		t.deepEqual([...(await store.loadCheckpoint(again.id, 'weights'))!.data], [3, 4]);
		await t.throwsAsync(store.saveCheckpoint(again.id, OWNER_A, {kind: 'weights', epoch: 1, data: Uint8Array.of(5)}), leaseLost);
		t.deepEqual([...(await store.loadCheckpoint(again.id, 'weights'))!.data], [3, 4]);
	});

	test('checkpoints lists a sweep\'s checkpoints; importSweep copies them with its trials, so a copied trial resumes and kept weights stay', async (t) => {
		const {store, sweep} = await withTrials(t, 3);
		const [interrupted, completed, plain] = [await claimed(store, sweep.id), await claimed(store, sweep.id), await claimed(store, sweep.id)];
		for (const trial of [interrupted, completed, plain]) {
			for (const epoch of [1, 2, 3]) {
				await store.recordStep(trial.id, OWNER_A, stepRecord(epoch));
			}
		}

		const resume = Uint8Array.from({length: 5000}, (_, i) => i % 251);
		await store.saveCheckpoint(interrupted.id, OWNER_A, {kind: 'resume', epoch: 2, data: resume});
		await store.finishTrial(interrupted.id, OWNER_A, {state: 'interrupted', error: 'stopped'});
		await store.saveCheckpoint(completed.id, OWNER_A, {kind: 'weights', epoch: 3, data: Uint8Array.of(7, 8, 9)});
		await store.finishTrial(completed.id, OWNER_A, {state: 'completed'});
		await store.finishTrial(plain.id, OWNER_A, {state: 'completed'});
		const listed = await store.checkpoints(sweep.id);
		t.deepEqual(listed.map(({trialId, kind, epoch, data}) => [trialId, kind, epoch, Buffer.from(data).toString('hex')]), [
			[interrupted.id, 'resume', 2, Buffer.from(resume).toString('hex')],
			[completed.id, 'weights', 3, '070809'],
		]);

		const copy = await store.importSweep({...sweep, name: 'copy'}, await store.trials(sweep.id), await store.steps(sweep.id), listed);
		const copied = await store.trials(copy.id);
		const copiedCheckpoints = await store.checkpoints(copy.id);
		t.deepEqual(copiedCheckpoints.map(({trialId, kind, epoch, data, createdAt}) => [trialId, kind, epoch, Buffer.from(data).toString('hex'), createdAt]), [
			[copied[0].id, 'resume', 2, Buffer.from(resume).toString('hex'), listed[0].createdAt],
			[copied[1].id, 'weights', 3, '070809', listed[1].createdAt],
		]);
		t.deepEqual([...(await store.loadCheckpoint(copied[1].id, 'weights'))!.data], [7, 8, 9]);
		// The copy's interrupted trial continues after its checkpoint, as the original would.
		const resumed = await claimed(store, copy.id, OWNER_B);
		t.is(resumed.id, copied[0].id);
		t.is(resumed.epochsRun, 2);
		t.is((await store.checkpoints(sweep.id)).length, 2, 'the original keeps its own');
	});

	test('after close every call rejects with StoreError', async (t) => {
		const store = await makeStore();
		await store.openSweep(sweepInput('widths'));
		await store.close();
		await store.close();
		await t.throwsAsync(store.getSweep('widths'), {instanceOf: StoreError});
		await t.throwsAsync(store.openSweep(sweepInput('other')), {instanceOf: StoreError});
	});
}
