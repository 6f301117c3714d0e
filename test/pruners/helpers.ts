import type {PrunerPeer, PrunerTrial} from '../../src/pruners/pruner.js';
import {epochStep, type StepRecord} from '../../src/types.js';

/** Epochs 1..n with these validation accuracies; every epoch takes `seconds`. */
export function history(accuracies: number[], seconds = 10): StepRecord[] {
	return accuracies.map((valAccuracy, i) => epochStep({epoch: i + 1, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy, seconds}));
}

let nextId = 100;
/** Another trial of the sweep; its ordinal (which hyperband's bracket follows from) is its id unless given. */
export function peer(accuracies: number[], state = 'completed', seconds = 10, ordinal?: number): PrunerPeer {
	const id = nextId++;
	return {id, ordinal: ordinal ?? id, state, steps: history(accuracies, seconds)};
}

/** The trial being judged. */
export function trial(accuracies: number[], seconds = 10, ordinal = 0): PrunerTrial {
	return {id: 1, ordinal, steps: history(accuracies, seconds)};
}
