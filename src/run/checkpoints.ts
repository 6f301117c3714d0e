/**
 * The run loop's side of checkpoints (docs/checkpoints.md): which checkpoint a claimed trial resumes from, the
 * policy its thread checkpoints by, and writing what the thread sends, in message order, without letting a
 * failed checkpoint write take the trial down.
 */
import {StoreError} from '../errors.js';
import {LeaseLostError, type Store, type TrialRecord} from '../store/store.js';
import {encodeWeights} from '../train/checkpoint.js';
import type {ModelShape} from '../train/model.js';
import {builtinConfig, type CheckpointPolicy, DEFAULT_CHECKPOINT_POLICY, type SweepDefinition} from '../types.js';

/**
 * Fault injection for the reliability tests, off unless SWEEPLAB_FAILPOINT is set: `checkpoint-full:<epoch>` makes
 * storing the checkpoint after that epoch fail as a full disk does.
 */
function injectCheckpointFault(epoch: number): void {
	const [action, value] = (process.env.SWEEPLAB_FAILPOINT ?? '').split(':');
	if (action === 'checkpoint-full' && Number(value) === epoch) {
		throw new StoreError(`disk is full (injected: SWEEPLAB_FAILPOINT=${action}:${value})`);
	}
}

/** What the thread needs to resume and to checkpoint a claimed trial. */
export interface CheckpointTask {
	resume?: Uint8Array;
	checkpoint?: CheckpointPolicy;
	keepWeights?: boolean;
}

/** The checkpoint policy of a sweep: its `checkpoint:` key, none with `checkpoint: false`, else the default. */
export function checkpointPolicy(definition: SweepDefinition): CheckpointPolicy | undefined {
	return definition.checkpoint === false ? undefined : definition.checkpoint ?? DEFAULT_CHECKPOINT_POLICY;
}

/** A claimed trial's task fields: its resume checkpoint (the claim kept its epochs up to it) and the sweep's policy. */
export async function checkpointTask(store: Store, trial: TrialRecord, definition: SweepDefinition): Promise<CheckpointTask> {
	const resume = trial.epochsRun > 0 ? await store.loadCheckpoint(trial.id, 'resume') : undefined;
	const policy = checkpointPolicy(definition);
	return {
		...(resume && {resume: resume.data}),
		...(policy && {checkpoint: policy}),
		...(definition.keepBestWeights && {keepWeights: true}),
	};
}

/**
 * Writes one trial's checkpoints. Each write is queued behind the trial's epochs (`enqueue`, the trial's
 * ordered write chain), so a checkpoint is never stored before the epoch it follows. A write that fails for any
 * reason but a lost lease (a full disk, a database that refuses the size) turns checkpoints off for the rest of
 * this attempt with one warning: the trial trains on, only without the ability to resume mid-way.
 */
export class CheckpointWriter {
	private failed = false;

	constructor(
		private readonly store: Store,
		private readonly trial: TrialRecord,
		private readonly owner: string,
		private readonly enqueue: (write: () => Promise<void>) => void,
		private readonly warn: (message: string) => void,
	) {}

	/**
	 * The thread has built the trainer: when it did not resume from the checkpoint it was given (it warned why),
	 * drop that checkpoint and the epochs kept with it; the trial trains from epoch 1.
	 */
	started(given: CheckpointTask, resumedFrom: number | undefined): 'resumed' | 'discarded' | 'fresh' {
		if (!given.resume) {
			return 'fresh';
		}

		if (resumedFrom === undefined) {
			this.enqueue(async () => this.store.discardCheckpoint(this.trial.id, this.owner));
			return 'discarded';
		}

		return 'resumed';
	}

	/** The thread's checkpoint after `epoch`. */
	checkpoint(epoch: number, bytes: Uint8Array): void {
		this.enqueue(async () => this.write({kind: 'resume', epoch, data: bytes}));
	}

	/** Before the trial is finished: its final weights, for export (keepBestWeights). */
	async keepWeights(weights: Float32Array[], info: {trainingPath: string; epoch: number; shape: ModelShape}): Promise<void> {
		const data = encodeWeights(weights, {...info, config: builtinConfig(this.trial.config), seed: this.trial.seed});
		await this.write({kind: 'weights', epoch: info.epoch, data});
	}

	private async write(checkpoint: {kind: 'resume' | 'weights'; epoch: number; data: Uint8Array}): Promise<void> {
		if (this.failed) {
			return;
		}

		try {
			injectCheckpointFault(checkpoint.epoch);
			await this.store.saveCheckpoint(this.trial.id, this.owner, checkpoint);
		} catch (error) {
			if (error instanceof LeaseLostError) {
				throw error;
			}

			this.failed = true;
			this.warn(`checkpoints off for this attempt: storing the ${checkpoint.kind} checkpoint after epoch ${checkpoint.epoch} failed (${error instanceof Error ? error.message : String(error)})`);
		}
	}
}
