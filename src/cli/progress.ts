import type {RunEvent} from '../run/loop.js';
import type {TrialRecord} from '../store/store.js';
import {describeConfig, expectedSteps} from '../sweep/describe.js';
import {DEFAULT_METRIC, isUnfinished, type MetricSpec, type ParameterSpec} from '../types.js';
import {metricValue, percent as formatPercent} from '../report/format.js';
import {formatSeconds, type Io} from './common.js';

/**
 * Renders a run: one line per finished trial on stdout, and on a terminal a live status line on stderr
 * (trials done/total, running, current best value of the sweep's metric, ETA). The ETA is the epochs (steps) still to
 * train times the mean measured seconds per epoch, divided by the workers.
 */
export class ProgressPrinter {
	private readonly io: Io;
	private readonly keys: string[];
	private readonly parameters?: Record<string, ParameterSpec>;
	private readonly metric: MetricSpec;
	private readonly workers: number;
	private readonly total: number;
	private done: number;
	private readonly remainingEpochs = new Map<number, number>();
	private epochSeconds = 0;
	private epochsSeen = 0;
	private best: {value: number; ordinal: number} | undefined;
	private readonly running = new Set<number>();
	private lineShown = false;
	private unsampledEpochs = 0;
	private readonly epochsPerUnsampled: number;

	/**
	 * `planned`: trials a tpe sweep will still suggest beyond those stored, each expected to train
	 * `epochs` epochs (counted in the total and the ETA).
	 */
	constructor(io: Io, options: {keys: string[]; parameters?: Record<string, ParameterSpec>; metric?: MetricSpec; workers: number; trials: TrialRecord[]; planned?: {trials: number; epochs: number}}) {
		this.io = io;
		this.keys = options.keys;
		this.parameters = options.parameters;
		this.metric = options.metric ?? DEFAULT_METRIC;
		this.workers = options.workers;
		const planned = options.planned?.trials ?? 0;
		this.total = options.trials.length + planned;
		const unfinished = options.trials.filter(trial => isUnfinished(trial.state));
		this.done = options.trials.length - unfinished.length;
		for (const trial of unfinished) {
			this.remainingEpochs.set(trial.id, expectedSteps(trial.config));
		}

		this.unsampledEpochs = planned * (options.planned?.epochs ?? 0);
		this.epochsPerUnsampled = options.planned?.epochs ?? 0;
	}

	handle(event: RunEvent): void {
		switch (event.type) {
			case 'trial-start': {
				if (!this.remainingEpochs.has(event.trial.id)) {
					// A trial the sampler suggested during this run.
					this.unsampledEpochs = Math.max(0, this.unsampledEpochs - this.epochsPerUnsampled);
				}

				this.running.add(event.trial.id);
				// A trial resumed from a checkpoint has only the steps after it left.
				this.remainingEpochs.set(event.trial.id, expectedSteps(event.trial.config) - event.trial.epochsRun);
				break;
			}

			case 'step': {
				const {record} = event;
				if (record.seconds !== undefined && Number.isFinite(record.seconds)) {
					this.epochSeconds += record.seconds;
					this.epochsSeen++;
				}

				this.remainingEpochs.set(event.trial.id, Math.max(0, expectedSteps(event.trial.config) - record.step));
				const value = record.metrics[this.metric.name];
				const better = this.metric.goal === 'minimize' ? value < (this.best?.value ?? 0) : value > (this.best?.value ?? 0);
				if (value !== undefined && Number.isFinite(value) && (!this.best || better)) {
					this.best = {value, ordinal: event.trial.ordinal};
				}

				break;
			}

			case 'trial-end': {
				this.running.delete(event.trial.id);
				if (event.outcome.state !== 'interrupted') {
					this.done++;
					this.remainingEpochs.delete(event.trial.id);
				}

				this.print(this.trialLine(event));
				break;
			}

			case 'requeued': {
				this.print(`  trial #${event.trial.ordinal} requeued: ${event.reason}`);
				break;
			}

			case 'retry': {
				this.running.delete(event.trial.id);
				this.print(`  trial #${event.trial.ordinal} failed on attempt ${event.trial.attempts}, retrying: ${event.error}`);
				break;
			}

			case 'trial-built': {
				if (event.resumedFrom !== undefined) {
					this.print(`  trial #${event.trial.ordinal} resumed from its checkpoint after epoch ${event.resumedFrom}`);
				}

				break;
			}

			case 'resumed': {
				this.print(`  trial #${event.trial.ordinal} resumed from its checkpoint after step ${event.step}`);
				break;
			}

			case 'warning': {
				this.print(`  trial #${event.trial.ordinal}: ${event.message}`);
				break;
			}
		}

		this.drawStatus();
	}

	/** Clear the live line before the caller prints something else. */
	finish(): void {
		this.clearStatus();
	}

	private trialLine(event: Extract<RunEvent, {type: 'trial-end'}>): string {
		const {trial, outcome} = event;
		const label = describeConfig(trial.config, this.keys, this.parameters);
		const repeat = trial.repeat > 0 ? ` (repeat ${trial.repeat})` : '';
		const head = `  [${this.done}/${this.total}] #${trial.ordinal} ${label}${repeat}`;
		if (outcome.state === 'completed') {
			const test = outcome.metrics?.test_accuracy === undefined ? '' : `  test ${formatPercent(outcome.metrics.test_accuracy)}`;
			return `${head}${test}  ${event.epochsRun} ep in ${formatSeconds(outcome.trainSeconds ?? Number.NaN)}${event.backend ? ` (${[event.backend, event.trainingPath].filter(Boolean).join(', ')})` : ''}${outcome.stopReason ? ` · ${outcome.stopReason.split(':')[0]}` : ''}`;
		}

		const why = outcome.error ?? outcome.stopReason;
		return `${head}  ${outcome.state.toUpperCase()}${why ? `: ${why}` : ''}`;
	}

	private print(line: string): void {
		this.clearStatus();
		this.io.stdout.write(line + '\n');
	}

	private drawStatus(): void {
		if (!this.io.stderr.isTTY) {
			return;
		}

		const name = this.metric.name === 'val_accuracy' ? 'val' : this.metric.name;
		const best = this.best ? `best ${name} ${metricValue(this.metric, this.best.value)} (#${this.best.ordinal})` : `best ${name} -`;
		const line = `  ${this.done}/${this.total} done · ${this.running.size} running · ${best} · ETA ${formatSeconds(this.eta())}`;
		this.io.stderr.write(`\r${line.slice(0, (this.io.stderr.columns ?? 100) - 1)}\u001B[K`);
		this.lineShown = true;
	}

	private clearStatus(): void {
		if (this.lineShown) {
			this.io.stderr.write('\r\u001B[K');
			this.lineShown = false;
		}
	}

	private eta(): number {
		if (this.epochsSeen === 0) {
			return Number.NaN;
		}

		let epochs = this.unsampledEpochs;
		for (const remaining of this.remainingEpochs.values()) {
			epochs += remaining;
		}

		return (epochs * this.epochSeconds) / this.epochsSeen / this.workers;
	}
}
