/**
 * Learning-rate schedules (a config's `lrSchedule`), the same on every training path: the epoch loop asks
 * for the rate before each batch and hands the trainer any change (Trainer.setLearningRate).
 * - cosine: per step, as Keras' CosineDecay with warm-up and Hugging Face's cosine schedule: a linear warm-up
 *   over the first round(warmupEpochs x steps per epoch) steps, reaching the configured rate on the last
 *   warm-up step (step s of the warm-up trains at rate (s + 1) / warm-up steps, so no step is spent at 0), then
 *   rate 0.5 (1 + cos(pi t)) with t going from 0 at the first step after the warm-up to 1 after the config's
 *   last epoch. The config's `epochs` sets the horizon: early stopping or a pruner ends a trial on the way.
 * - step: per epoch, as PyTorch's StepLR: rate gamma^floor((epoch - 1) / stepEpochs).
 * - plateau: per epoch, as Keras' ReduceLROnPlateau on val_loss with PyTorch's relative threshold: an epoch
 *   improves when its validation loss is below best (1 - 1e-4); after `patience` epochs without improvement the
 *   rate becomes max(rate factor, minLr) and the count starts again. A loss that is not finite never improves.
 */
import type {LrSchedule} from '../../types.js';

/** PyTorch ReduceLROnPlateau's default threshold, relative so that losses of any scale are treated alike. */
export const PLATEAU_THRESHOLD = 1e-4;

export class LearningRateSchedule {
	private plateauRate: number;
	private best = Number.POSITIVE_INFINITY;
	private waited = 0;

	/**
	 * @param stepsPerEpoch batches per epoch (the last one may be short).
	 * @param epochs the config's epochs: the cosine schedule's horizon.
	 */
	constructor(private readonly spec: LrSchedule, private readonly baseRate: number, private readonly epochs: number, private readonly stepsPerEpoch: number) {
		this.plateauRate = baseRate;
	}

	/** The rate of batch `step` (0-based) of epoch `epoch` (1-based). */
	rateAt(epoch: number, step: number): number {
		const {spec, baseRate} = this;
		switch (spec.kind) {
			case 'cosine': {
				const global = ((epoch - 1) * this.stepsPerEpoch) + step;
				const warmup = Math.round(spec.warmupEpochs * this.stepsPerEpoch);
				if (global < warmup) {
					return baseRate * (global + 1) / warmup;
				}

				const decaySteps = (this.epochs * this.stepsPerEpoch) - warmup;
				return baseRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (global - warmup) / decaySteps)));
			}

			case 'step': {
				return baseRate * (spec.gamma ** Math.floor((epoch - 1) / spec.stepEpochs));
			}

			case 'plateau': {
				return this.plateauRate;
			}
		}
	}

	/**
	 * What a resumed trial needs to continue the schedule (a checkpoint's): the plateau's current rate, best
	 * validation loss and epochs waited. cosine and step are functions of the epoch and step alone.
	 */
	state(): {rate: number; best: number; waited: number} {
		return {rate: this.plateauRate, best: this.best, waited: this.waited};
	}

	restore(state: {rate: number; best: number; waited: number}): void {
		({rate: this.plateauRate, best: this.best, waited: this.waited} = state);
	}

	/** After an epoch's validation: the plateau schedule counts it; the others ignore it. */
	endEpoch(validationLoss: number): void {
		const {spec} = this;
		if (spec.kind !== 'plateau') {
			return;
		}

		if (Number.isFinite(validationLoss) && validationLoss < this.best * (1 - PLATEAU_THRESHOLD)) {
			this.best = validationLoss;
			this.waited = 0;
			return;
		}

		this.waited++;
		if (this.waited >= spec.patience) {
			this.plateauRate = Math.max(this.plateauRate * spec.factor, spec.minLr);
			this.waited = 0;
		}
	}
}
