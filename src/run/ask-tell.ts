/**
 * Ask and tell (Optuna's names): another scheduler, a notebook or a shell loop runs the trials, and sweeplab
 * hands them out and records their results. `ask` claims the next trial as `run` would (the next grid point or
 * random draw, or a tpe suggestion), under a lease whose owner marks it as asked; `tell` records a step and answers
 * whether to stop (the pruner's verdict, or the metric diverged), or records how the trial ended. A trial asked and
 * not told within a lease is claimed again by the next ask, run or worker, as any orphaned trial is.
 */
import {StoreError} from '../errors.js';
import {decidePrune} from '../pruners/pruner.js';
import {suggestNextTrial} from '../samplers/next.js';
import {type Store, type SweepRecord, type TrialRecord} from '../store/store.js';
import {isSuggestedMethod, type StepRecord, sweepMetric, sweepObjectives, type TrialOutcome} from '../types.js';
import {SweepHistory} from './history.js';
import {hostName} from './loop.js';

/** The owner of a trial handed out by ask; tell writes under it. Not `host:pid`, which a local run would take for a dead process. */
export const askOwner = (): string => `ask@${hostName()}`;

const isAsked = (trial: TrialRecord) => trial.state === 'running' && (trial.owner?.startsWith('ask@') ?? false);

/**
 * Claim the sweep's next trial for the caller; for a tpe sweep with nothing claimable, the sampler's next
 * suggestion. Undefined when every trial is finished or held by someone else.
 */
export async function askTrial(store: Store, sweep: SweepRecord, leaseMs: number): Promise<TrialRecord | undefined> {
	const owner = askOwner();
	for (;;) {
		const trial = await store.claimTrial(sweep.id, owner, leaseMs);
		if (trial || !isSuggestedMethod(sweep.definition.method)) {
			return trial;
		}

		const history = new SweepHistory(store, sweep.id);
		await history.refresh();
		const spec = suggestNextTrial(sweep.definition, history);
		if (!spec || (await store.addTrials(sweep.id, [spec])) === 0) {
			return undefined;
		}
	}
}

export type TellAnswer =
	| {state: 'running'}
	| {state: 'pruned' | 'diverged'; reason: string};

/** @throws StoreError unless the trial is one of the sweep's and was handed out by ask and is still running. */
async function askedTrial(store: Store, sweep: SweepRecord, trialId: number): Promise<TrialRecord> {
	const trial = (await store.trials(sweep.id)).find(candidate => candidate.id === trialId);
	if (!trial) {
		throw new StoreError(`sweep '${sweep.name}' has no trial ${trialId}; ask for one with sweeplab ask ${sweep.name}`);
	}

	if (!isAsked(trial)) {
		const why = trial.state === 'running' ? `running under ${trial.owner ?? '?'} (a run or worker took it over)` : `${trial.state}`;
		throw new StoreError(`trial ${trialId} of sweep '${sweep.name}' is not an asked trial still running: it is ${why}; ask for another`);
	}

	return trial;
}

/**
 * Record one step of an asked trial and answer whether to go on. A pruned or diverged trial is finished here and
 * then, so the caller only has to stop. `seconds` defaults to the time since the trial's last sign of life.
 */
export async function tellStep(store: Store, sweep: SweepRecord, trialId: number, step: StepRecord, now = Date.now()): Promise<TellAnswer> {
	const trial = await askedTrial(store, sweep, trialId);
	const seconds = step.seconds ?? (trial.heartbeatAt === null ? undefined : Math.max(0, (now - trial.heartbeatAt) / 1000));
	await store.recordStep(trial.id, trial.owner!, {...step, ...(seconds !== undefined && {seconds})});
	const metric = sweepMetric(sweep.definition);
	const value = step.metrics[metric.name];
	let answer: TellAnswer = {state: 'running'};
	if (value !== undefined && !Number.isFinite(value)) {
		answer = {state: 'diverged', reason: `${metric.name} became ${value} at step ${step.step}`};
	} else if (sweep.definition.pruner) {
		const history = new SweepHistory(store, sweep.id);
		await history.refresh();
		const decision = decidePrune(sweep.definition.pruner, history.prunerTrial(trial), history.peers(trial.id), metric, sweepObjectives(sweep.definition));
		if (decision.prune) {
			answer = {state: 'pruned', reason: decision.reason};
		}
	}

	if (answer.state !== 'running') {
		await finish(store, sweep, trial, {state: answer.state, ...(answer.state === 'pruned' ? {stopReason: answer.reason} : {error: answer.reason})});
	}

	return answer;
}

/**
 * How an asked trial ended: completed, failed or pruned, with final metrics. Telling `pruned` of a trial a
 * step already pruned is accepted (the caller stopped as told).
 */
export async function tellOutcome(store: Store, sweep: SweepRecord, trialId: number, outcome: Pick<TrialOutcome, 'state' | 'metrics' | 'error'>): Promise<void> {
	const current = (await store.trials(sweep.id)).find(candidate => candidate.id === trialId);
	if (current && current.state === outcome.state && (outcome.state === 'pruned' || outcome.state === 'diverged')) {
		return;
	}

	await finish(store, sweep, await askedTrial(store, sweep, trialId), outcome);
}

async function finish(store: Store, sweep: SweepRecord, trial: TrialRecord, outcome: Omit<TrialOutcome, 'trainSeconds'>): Promise<void> {
	const steps = (await store.steps(sweep.id)).filter(step => step.trialId === trial.id);
	const trainSeconds = steps.reduce((sum, step) => sum + (step.seconds ?? 0), 0);
	await store.finishTrial(trial.id, trial.owner!, {...outcome, trainSeconds});
}
