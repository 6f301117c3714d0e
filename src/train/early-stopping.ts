/**
 * Early stopping's rule as pure functions: when an epoch counts as an improvement, and which epoch's weights a
 * finished trial was tested with. The EarlyStopper of loop.ts applies them while training; reports replay them on
 * stored epochs (trials recorded before the trainer reported test_epoch).
 */
import type {EarlyStopping} from '../types.js';

/** minDelta as an amount of the monitored metric: a RelativeDelta ('1%') is that share of the best value's magnitude. */
export function absoluteDelta(minDelta: EarlyStopping['minDelta'], best: number): number {
	return typeof minDelta === 'number' ? minDelta : (Number.parseFloat(minDelta) / 100) * Math.abs(best);
}

/** `value` of the monitored metric beats `best` by more than minDelta (lower for val_loss, higher for val_accuracy). */
export function improves(settings: EarlyStopping, value: number, best: number): boolean {
	const delta = absoluteDelta(settings.minDelta, best);
	return settings.monitor === 'val_loss' ? value < best - delta : value > best + delta;
}

/**
 * The epoch whose weights a completed trial's test evaluation used: its last epoch, or with restoreBest the last
 * epoch that improved on the best before it (the first epoch always does), as the EarlyStopper saw the epochs.
 */
export function testedEpoch(settings: EarlyStopping | null, epochs: ReadonlyArray<{epoch: number; valLoss: number; valAccuracy: number}>): number | undefined {
	const last = epochs.at(-1)?.epoch;
	if (!settings?.restoreBest) {
		return last;
	}

	let best: number | undefined;
	let bestEpoch: number | undefined;
	for (const record of epochs) {
		const value = settings.monitor === 'val_loss' ? record.valLoss : record.valAccuracy;
		if (best === undefined || improves(settings, value, best)) {
			best = value;
			bestEpoch = record.epoch;
		}
	}

	return bestEpoch;
}
