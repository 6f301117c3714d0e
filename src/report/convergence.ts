/**
 * "Converged at", defined once for the leaderboard, the plots and the SQL views.
 *
 * A trial converged at the first epoch whose validation loss is within a tolerance of the lowest
 * validation loss the trial ever reached:
 *
 *     convergedEpoch = min { epoch : valLoss(epoch) <= minValLoss + max(2% of |minValLoss|, 0.001) }
 *
 * Only finite validation losses count (a NaN or infinite epoch never converges, nor sets the minimum);
 * a trial with none has no convergence epoch. Validation loss rather than accuracy because it moves
 * smoothly while accuracy moves in steps of one image; the relative band absorbs epoch-to-epoch noise
 * and the absolute floor keeps a minimum of (nearly) zero from demanding an exact repeat. An overfitting
 * trial whose validation loss rises after its minimum converged where it first came close to that minimum,
 * which is the answer to "how many epochs are worth training".
 *
 * The SQL views of both stores (their migrations in src/store/) spell the same rule with the same constants;
 * migrations are frozen text, so test/report/convergence.test.ts checks that both give the same epoch on awkward
 * histories.
 */

export const CONVERGENCE_RELATIVE_TOLERANCE = 0.02;
export const CONVERGENCE_ABSOLUTE_TOLERANCE = 0.001;

/** The highest validation loss that counts as converged for a trial whose minimum is `minValLoss`. */
export function convergenceThreshold(minValLoss: number): number {
	return minValLoss + Math.max(CONVERGENCE_RELATIVE_TOLERANCE * Math.abs(minValLoss), CONVERGENCE_ABSOLUTE_TOLERANCE);
}

/** The 1-based epoch number the trial converged at (see the module comment), or undefined without any finite validation loss. */
export function convergedEpoch(epochs: ReadonlyArray<{epoch: number; valLoss: number}>): number | undefined {
	const finite = epochs.filter(epoch => Number.isFinite(epoch.valLoss));
	if (finite.length === 0) {
		return undefined;
	}

	const threshold = convergenceThreshold(Math.min(...finite.map(epoch => epoch.valLoss)));
	return Math.min(...finite.filter(epoch => epoch.valLoss <= threshold).map(epoch => epoch.epoch));
}
