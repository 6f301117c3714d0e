/**
 * Pareto-front arithmetic shared by the multi-objective samplers and the reports: non-dominated sorting,
 * exact hypervolume and each point's exclusive share of it, greedy hypervolume subset selection and NSGA-II's
 * crowding distance. Every objective is MINIMISED here: callers negate the ones to maximise.
 * Pure functions over arrays of value vectors (rows), all rows of one call the same length.
 */

/** Every value a finite number: NaN or an infinity cannot be placed on a front. */
function finiteRow(row: readonly number[]): boolean {
	return row.every((value) => Number.isFinite(value));
}

/** a dominates b: no worse in every objective and better in at least one. Equal rows do not dominate each other. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
	let better = false;
	for (let k = 0; k < a.length; k++) {
		if (a[k] > b[k]) {
			return false;
		}
		if (a[k] < b[k]) {
			better = true;
		}
	}
	return better;
}

/**
 * The non-domination rank of each row (0 = the Pareto front, 1 = the front once rank 0 is removed, ...), as Deb's
 * fast non-dominated sort defines it; equal rows share a rank. Rows with a NaN or an infinite value all get the rank
 * after the last rank of the finite rows, as Optuna never ranks a failed trial ahead of a finished one.
 *
 * Rows are placed in lexicographic order, so every row that can dominate a row comes before it; a row's rank is then
 * the first rank none of whose rows dominates it (a row dominated by a rank-r row is dominated by a row of every rank
 * below r too). Usually far fewer comparisons than Deb's all-pairs count.
 */
export function nondominatedRanks(values: readonly number[][]): number[] {
	const finite = values.map((row) => finiteRow(row));
	if (values.length > 0 && values[0].length === 2) {
		return ranksTwoObjectives(values, finite);
	}
	const order = values.flatMap((_, i) => (finite[i] ? [i] : [])).sort((a, b) => lexicographic(values[a], values[b]));
	const ranks = new Array<number>(values.length);
	const fronts: number[][] = [];
	for (const i of order) {
		let rank = 0;
		while (rank < fronts.length && fronts[rank].some((j) => dominates(values[j], values[i]))) {
			rank++;
		}
		(fronts[rank] ??= []).push(i);
		ranks[i] = rank;
	}
	for (let i = 0; i < values.length; i++) {
		if (!finite[i]) {
			ranks[i] = fronts.length;
		}
	}
	return ranks;
}

function lexicographic(a: readonly number[], b: readonly number[]): number {
	for (let k = 0; k < a.length; k++) {
		if (a[k] !== b[k]) {
			return a[k] - b[k];
		}
	}
	return 0;
}

/**
 * Two objectives in O(n log n + n x ranks): in order of the first objective (ties: the second), a point's rank is the
 * first rank none of whose points dominates it. Of a rank's points placed so far, only the last can dominate a later
 * point (it has the lowest second value; ties in it are broken by the first), so each rank keeps just that one.
 */
function ranksTwoObjectives(values: readonly number[][], finite: readonly boolean[]): number[] {
	const order = values.flatMap((_, i) => (finite[i] ? [i] : [])).sort((a, b) => values[a][0] - values[b][0] || values[a][1] - values[b][1]);
	const ranks = new Array<number>(values.length);
	const lastX: number[] = [];
	const lastY: number[] = [];
	for (const i of order) {
		const [x, y] = values[i];
		let rank = 0;
		// Every earlier point has x' <= x, so the rank's last point dominates unless it is equal or has a larger y.
		while (rank < lastY.length && (lastY[rank] < y || (lastY[rank] === y && lastX[rank] < x))) {
			rank++;
		}
		ranks[i] = rank;
		lastX[rank] = x;
		lastY[rank] = y;
	}
	for (let i = 0; i < values.length; i++) {
		if (!finite[i]) {
			ranks[i] = lastY.length;
		}
	}
	return ranks;
}

/** Indices of the rows on the Pareto front (rank 0 of nondominatedRanks, finite rows only), in input order. */
export function paretoFront(values: readonly number[][]): number[] {
	const ranks = nondominatedRanks(values);
	return ranks.flatMap((rank, i) => (rank === 0 && finiteRow(values[i]) ? [i] : []));
}

/**
 * The volume dominated by the points and bounded by the reference point (all objectives minimised), exact for
 * any number of objectives: a sweep in two dimensions, slicing along the last objective above that (O(n^2 log n) for
 * three). A point that does not strictly dominate the reference in every objective, or has a non-finite value,
 * adds nothing.
 * @throws RangeError when a point's length differs from the reference's.
 */
export function hypervolume(points: readonly number[][], reference: readonly number[]): number {
	for (const point of points) {
		if (point.length !== reference.length) {
			throw new RangeError(`hypervolume: a point has ${point.length} values, the reference ${reference.length}`);
		}
	}
	const inside = points.filter((point) => finiteRow(point) && point.every((value, k) => value < reference[k]));
	return inside.length === 0 ? 0 : volume(inside, reference, reference.length);
}

/** Hypervolume of points (all inside the reference box) over their first d coordinates. */
function volume(points: readonly number[][], reference: readonly number[], d: number): number {
	if (d === 1) {
		let best = reference[0];
		for (const point of points) {
			best = Math.min(best, point[0]);
		}
		return reference[0] - best;
	}
	if (d === 2) {
		return area(points, reference);
	}
	// Slices between consecutive values of the last coordinate: in each, the points at or below it, one dimension fewer.
	const axis = d - 1;
	const sorted = [...points].sort((a, b) => a[axis] - b[axis]);
	let total = 0;
	for (let i = 0; i < sorted.length; i++) {
		const top = i + 1 < sorted.length ? sorted[i + 1][axis] : reference[axis];
		const height = top - sorted[i][axis];
		if (height > 0) {
			total += height * volume(sorted.slice(0, i + 1), reference, axis);
		}
	}
	return total;
}

/** Two objectives: sorted by the first, each point adds the strip below the lowest second value seen so far. */
function area(points: readonly number[][], reference: readonly number[]): number {
	const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
	let lowest = reference[1];
	let total = 0;
	for (const point of sorted) {
		if (point[1] < lowest) {
			total += (reference[0] - point[0]) * (lowest - point[1]);
			lowest = point[1];
		}
	}
	return total;
}

/**
 * The hypervolume of the first 1, 2, ..., n points (a sweep's hypervolume over trials), each step adding the new
 * point's exclusive share against the front so far: its box less the part the front already covers. Equal to
 * hypervolume() of each prefix up to rounding, in far less time for long histories in three or more objectives.
 */
export function hypervolumeHistory(points: readonly number[][], reference: readonly number[]): number[] {
	let front: number[][] = [];
	let total = 0;
	return points.map((point) => {
		if (point.length !== reference.length) {
			throw new RangeError(`hypervolumeHistory: a point has ${point.length} values, the reference ${reference.length}`);
		}
		const counts = finiteRow(point) && point.every((value, k) => value < reference[k]) && !front.some((q) => q.every((value, k) => value <= point[k]));
		if (counts) {
			// Every point of the front clipped to the new point's box: the part of the box already covered.
			const covered = front.map((q) => q.map((value, k) => Math.max(value, point[k])));
			total += boxVolume(point, reference) - hypervolume(covered, reference);
			front = [...front.filter((q) => !point.every((value, k) => value <= q[k])), [...point]];
		}
		return total;
	});
}

/**
 * Each point's exclusive contribution: hypervolume(points) less the hypervolume without that point (Optuna's
 * definition in MOTPE's weights). 0 for a point weakly dominated by another (or equal to one), for a point outside
 * the reference box, and for a non-finite one.
 */
export function hypervolumeContributions(points: readonly number[][], reference: readonly number[]): number[] {
	const total = hypervolume(points, reference);
	return points.map((point, i) => {
		// Removing a point that another one (even an equal one) weakly dominates loses nothing; skip the recomputation.
		if (!finiteRow(point) || points.some((other, j) => j !== i && finiteRow(other) && other.every((value, k) => value <= point[k]))) {
			return 0;
		}
		return Math.max(0, total - hypervolume(points.filter((_, j) => j !== i), reference));
	});
}

/**
 * Optuna's greedy hypervolume subset selection (_solve_hssp, a 1 - 1/e approximation): `size` indices into
 * `points`, in the order picked, each time the point adding the most hypervolume to those already picked (the
 * first of equal gains). Contributions are updated lazily as Optuna does, so that the same points pick the same
 * subset. All points must be finite and inside the reference box.
 */
export function greedyHypervolumeSubset(points: readonly number[][], size: number, reference: readonly number[]): number[] {
	const contributions = points.map((point) => boxVolume(point, reference));
	const selected: number[] = [];
	const selectedPoints: number[][] = [];
	let selectedVolume = 0;
	while (selected.length < Math.min(size, points.length)) {
		let pick = -1;
		for (let j = 0; j < contributions.length; j++) {
			if (contributions[j] !== -1 && (pick === -1 || contributions[j] > contributions[pick])) {
				pick = j;
			}
		}
		const chosen = points[pick];
		contributions[pick] = -1;
		for (let j = 0; j < points.length; j++) {
			if (contributions[j] === -1) {
				continue;
			}
			const corner = points[j].map((value, k) => Math.max(value, chosen[k]));
			contributions[j] -= hypervolume([...selectedPoints, corner], reference) - selectedVolume;
		}
		selected.push(pick);
		selectedPoints.push([...chosen]);
		selectedVolume = hypervolume(selectedPoints, reference);
	}
	return selected;
}

function boxVolume(point: readonly number[], reference: readonly number[]): number {
	let product = 1;
	for (let k = 0; k < point.length; k++) {
		product *= Math.abs(reference[k] - point[k]);
	}
	return product;
}

/**
 * Optuna's reference point for a set of loss vectors (MOTPE's HSSP and weights): each objective's worst value
 * pushed 10% further out (max(1.1 w, 0.9 w), so also for negative values), and 1e-12 where that is 0.
 */
export function nadirReference(values: readonly number[][]): number[] {
	const worst = values[0].map((_, k) => Math.max(...values.map((row) => row[k])));
	return worst.map((w) => {
		const r = Math.max(1.1 * w, 0.9 * w);
		return r === 0 ? 1e-12 : r;
	});
}

/**
 * NSGA-II's crowding distance as Optuna 3.1 defines it: per objective, the gap between each row's two neighbours
 * in sorted order divided by the spread of the finite values, summed over objectives; the rows at either end have
 * an infinite neighbour, so an infinite distance; an objective where every row is equal adds nothing; inf - inf counts 0.
 */
export function crowdingDistances(values: readonly number[][]): number[] {
	const n = values.length;
	const distances = new Array<number>(n).fill(0);
	if (n === 0) {
		return distances;
	}
	// One order, re-sorted (stably) per objective as Optuna sorts its population list in place: equal values keep the
	// previous objective's order, which decides their neighbours.
	const order = values.map((_, i) => i);
	for (let k = 0; k < values[0].length; k++) {
		order.sort((a, b) => values[a][k] - values[b][k]);
		if (values[order[0]][k] === values[order[n - 1]][k]) {
			continue;
		}
		const vs = [Number.NEGATIVE_INFINITY, ...order.map((i) => values[i][k]), Number.POSITIVE_INFINITY];
		const vMin = vs.find((x) => x !== Number.NEGATIVE_INFINITY)!;
		const vMax = [...vs].reverse().find((x) => x !== Number.POSITIVE_INFINITY)!;
		let width = vMax - vMin;
		if (!(width > 0)) {
			width = 1;
		}
		for (let j = 0; j < n; j++) {
			const gap = vs[j] === vs[j + 2] ? 0 : vs[j + 2] - vs[j];
			distances[order[j]] += gap / width;
		}
	}
	return distances;
}
