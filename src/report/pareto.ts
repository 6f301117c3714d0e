/**
 * The accuracy/time trade-off: which configs are worth considering at all (the Pareto front over
 * validation accuracy up and training seconds down) and where the front bends (the knee).
 */

export interface TradeoffPoint {
	/** Higher is better. */
	accuracy: number;
	/** Lower is better. */
	seconds: number;
}

const usable = (point: TradeoffPoint): boolean => Number.isFinite(point.accuracy) && Number.isFinite(point.seconds);

/** `a` is at least as accurate and at least as fast as `b`, and strictly better on one of the two. */
export function dominates(a: TradeoffPoint, b: TradeoffPoint): boolean {
	return a.accuracy >= b.accuracy && a.seconds <= b.seconds && (a.accuracy > b.accuracy || a.seconds < b.seconds);
}

/**
 * For each point, whether no other point dominates it. Points with a non-finite accuracy or time are never
 * on the front and never dominate; identical points do not dominate each other, so duplicates share the front.
 */
export function paretoFront(points: readonly TradeoffPoint[]): boolean[] {
	// Fastest first, the most accurate first among equal times: a point is dominated exactly when a faster one is at
	// least as accurate, or one as fast is more accurate (the first of its time group). n log n, for sweeps of 50,000 configs.
	const order = points.flatMap((point, index) => (usable(point) ? [index] : [])).sort((a, b) => points[a].seconds - points[b].seconds || points[b].accuracy - points[a].accuracy);
	const front = points.map(() => false);
	let fasterBest = Number.NEGATIVE_INFINITY;
	for (let start = 0; start < order.length;) {
		const {seconds} = points[order[start]];
		let end = start;
		while (end < order.length && points[order[end]].seconds === seconds) {
			end++;
		}

		const groupBest = points[order[start]].accuracy;
		for (let i = start; i < end; i++) {
			const {accuracy} = points[order[i]];
			front[order[i]] = accuracy === groupBest && accuracy > fasterBest;
		}

		fasterBest = Math.max(fasterBest, groupBest);
		start = end;
	}

	return front;
}

/**
 * Index of the knee of the front: with accuracy and time each scaled to [0, 1] over the front, the front
 * point that lies farthest above the straight line from the fastest to the most accurate front point,
 * i.e. the one that buys the most accuracy per second compared with trading linearly. Undefined when the
 * front has fewer than three distinct points or no point lies above that line (nothing bends).
 */
export function kneeIndex(points: readonly TradeoffPoint[], front: readonly boolean[] = paretoFront(points)): number | undefined {
	const members = points.flatMap((point, index) => (front[index] ? [{point, index}] : []));
	const distinct = new Set(members.map(({point}) => `${point.accuracy}:${point.seconds}`));
	if (distinct.size < 3) {
		return undefined;
	}

	const accuracies = members.map(({point}) => point.accuracy);
	const seconds = members.map(({point}) => point.seconds);
	const [minAccuracy, maxAccuracy] = [Math.min(...accuracies), Math.max(...accuracies)];
	const [minSeconds, maxSeconds] = [Math.min(...seconds), Math.max(...seconds)];
	let best: {index: number; height: number} | undefined;
	for (const {point, index} of members) {
		// On a front, accuracy rises with time, so the chord runs from (0, 0) to (1, 1) and the height above it is y - x.
		const height = (point.accuracy - minAccuracy) / (maxAccuracy - minAccuracy) - (point.seconds - minSeconds) / (maxSeconds - minSeconds);
		if (height > 1e-12 && (!best || height > best.height)) {
			best = {index, height};
		}
	}

	return best?.index;
}
