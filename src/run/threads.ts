/**
 * The runner of trials in the pool's threads: the built-in trainer or a module objective, each one task on the
 * pool with a transferred MessagePort that carries its steps to the sink and the sink's verdicts back.
 */
import {MessageChannel} from 'node:worker_threads';
import type {SplitData} from '../data/load.js';
import {errorLine} from '../errors.js';
import type {BackendChoice} from '../train/backend.js';
import type {ModelShape} from '../train/model.js';
import type {ControlMessage, TrialMessage} from '../train/objective.js';
import type {TrainPool} from '../train/pool.js';
import type {TaskResult, TrialTask} from '../train/thread.js';
import type {RunnerResult, TrialRunner} from './runner.js';

export type ThreadWork =
	/** The built-in trainer on the sweep's dataset. */
	| {kind: 'builtin'; data: SplitData; shape: ModelShape; backend: BackendChoice}
	/** A module objective (a file URL), with the sweep's dataset when it names one. */
	| {kind: 'module'; url: string; data?: SplitData};

/**
 * A runner on `pool`. A stop (interrupt, lost lease, timeout) asks the thread to stop after its current step;
 * past a timeout, when the task has not returned after a grace period (a step can be long), the task is aborted,
 * which terminates its thread.
 */
export function threadRunner(pool: TrainPool, work: ThreadWork): TrialRunner {
	return async (trial, sink, control) => {
		const {port1, port2} = new MessageChannel();
		const portClosed = new Promise<void>(resolve => {
			port1.once('close', resolve);
		});
		const send = (message: ControlMessage) => {
			port1.postMessage(message);
		};

		// The thread's messages are handled in order: each step's verdict goes back before the next step is read.
		let queue: Promise<void> = Promise.resolve();
		port1.on('message', (message: TrialMessage) => {
			queue = queue.then(async () => {
				if (message.type === 'started') {
					// Without its `type`, which would otherwise ride along into the run loop's events.
					const {type: _type, ...info} = message;
					sink.started(info);
				} else if (message.type === 'checkpoint') {
					sink.checkpoint(message.epoch, message.bytes);
				} else if (message.type === 'warning') {
					sink.warning(message.message);
				} else if (message.type === 'resumed') {
					sink.resumed(message.epoch);
				} else if (message.type === 'final') {
					await sink.final(message.metrics);
				} else {
					const reason = await sink.step(message.report);
					const value = message.report.metrics[control.metric.name];
					send({type: 'verdict', prune: reason, diverged: value !== undefined && !Number.isFinite(value)});
				}
			});
		});
		const onStop = () => {
			send({type: 'stop', reason: String(control.signal.reason)});
		};

		control.signal.addEventListener('abort', onStop, {once: true});
		const hardStop = new AbortController();
		let timedOut = false;
		const timers = control.timeoutMs === undefined ? [] : [
			setTimeout(() => {
				timedOut = true;
				send({type: 'stop', reason: `exceeded timeoutMinutes: ${control.timeoutMs! / 60_000}`});
			}, control.timeoutMs),
			setTimeout(() => {
				hardStop.abort();
			}, (control.timeoutMs * 1.1) + 30_000),
		];
		const task: TrialTask = {
			...work,
			trialId: trial.id,
			params: trial.config,
			seed: trial.seed,
			port: port2,
			metric: control.metric.name,
			awaitVerdict: control.pruned,
			...(work.kind === 'builtin' ? control.checkpoints : {resume: control.checkpoints?.resume, checkpoint: control.checkpoints?.checkpoint}),
		};
		let result: RunnerResult;
		try {
			const done: TaskResult = await pool.run(task, {transferList: [port2], signal: hardStop.signal});
			result = {...done, state: timedOut && done.state === 'interrupted' ? 'timeout' : done.state, ...(work.kind === 'builtin' && {shape: work.shape})};
		} catch (error) {
			result = hardStop.signal.aborted
				? {state: 'timeout', error: `exceeded timeoutMinutes: ${control.timeoutMs! / 60_000} (worker stopped mid-step)`}
				: {state: timedOut ? 'timeout' : 'failed', error: errorLine(error)};
		} finally {
			control.signal.removeEventListener('abort', onStop);
			for (const timer of timers) {
				clearTimeout(timer);
			}
		}

		// The task's result and the port's messages travel on different channels: drain the port first.
		await Promise.race([portClosed, new Promise(resolve => {
			setTimeout(resolve, 5000).unref();
		})]);
		port1.close();
		await queue;
		return result;
	};
}
