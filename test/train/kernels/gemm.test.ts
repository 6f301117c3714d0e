import test from 'ava';
import {at} from '../../../src/train/kernels/load.js';
import {arenaFor, assertNear, fillRandom, runsHere, VARIANTS} from './helpers.js';

/** c[i][j] = sum_p a(i, p) b(p, j) (+ bias[j]) in double, with the elements read through accessors. */
function naive(m: number, k: number, n: number, a: (i: number, p: number) => number, b: (p: number, j: number) => number, bias?: Float32Array): Float64Array {
	const c = new Float64Array(m * n);
	for (let i = 0; i < m; i++) {
		for (let j = 0; j < n; j++) {
			let sum = bias ? bias[j] : 0;
			for (let p = 0; p < k; p++) {
				sum += a(i, p) * b(p, j);
			}

			c[(i * n) + j] = sum;
		}
	}

	return c;
}

/**
 * Shapes (m, k, n) that reach every edge of the blocked GEMM: rows past the 4-row tiles and the 128-row blocks,
 * columns past the 8-wide panels and the 512-column blocks, depths cut into 2 and 3 blocks of at most 512 steps
 * (784 = 2 x 392, 1100 = 367 + 367 + 366, 1025 = 342 + 342 + 341) and just one (512), the unpacked-B case (at most
 * 64 rows, columns a multiple of 8) and its neighbours, single rows, columns and steps. gemm_tn (whose depth is m)
 * packs its transposed A where n > 8: in whole and partial 4-row panels, and over two depth blocks at m 600.
 */
const shapes: Array<[number, number, number]> = [
	[1, 1, 1], [1, 9, 8], [3, 5, 7], [4, 8, 8], [5, 3, 9], [7, 17, 15], [13, 31, 16], [64, 40, 64], [65, 40, 64],
	[64, 33, 63], [32, 784, 64], [130, 257, 24], [129, 600, 11], [6, 70, 530], [9, 513, 1], [2, 1, 1030],
	[128, 784, 64], [5, 1100, 9], [7, 1025, 16], [3, 512, 8], [600, 21, 16],
];

for (const [variant, [m, k, n]] of VARIANTS.flatMap(variant => shapes.map(shape => [variant, shape] as const))) {
	test(`${variant}: gemm_nn, gemm_tn and gemm_nt equal the naive product at m ${m}, k ${k}, n ${n}`, t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const arena = arenaFor([m * k, k * n, n, m * n, m * n, k * n, m * k], variant);
		const a = fillRandom(arena.allocate(m * k), m + k);
		const b = fillRandom(arena.allocate(k * n), k + n);
		const bias = fillRandom(arena.allocate(n), n);
		const c = arena.allocate(m * n).fill(Number.NaN);
		const {kernels} = arena;
		kernels.gemm_nn(at(a), at(b), at(c), m, k, n, at(bias));
		assertNear(t, c, naive(m, k, n, (i, p) => a[(i * k) + p], (p, j) => b[(p * n) + j], bias), 1e-5, 'gemm_nn with bias');
		c.fill(Number.NaN);
		kernels.gemm_nn(at(a), at(b), at(c), m, k, n, 0);
		assertNear(t, c, naive(m, k, n, (i, p) => a[(i * k) + p], (p, j) => b[(p * n) + j]), 1e-5, 'gemm_nn');

		// gemm_tn: c[k x n] = a^T . d for d [m x n].
		const d = fillRandom(arena.allocate(m * n), 3 * m);
		const weights = arena.allocate(k * n).fill(Number.NaN);
		kernels.gemm_tn(at(a), at(d), at(weights), m, k, n);
		assertNear(t, weights, naive(k, m, n, (i, p) => a[(p * k) + i], (p, j) => d[(p * n) + j]), 1e-5, 'gemm_tn');

		// gemm_nt: c[m x k] = d . b^T for b [k x n] (a layer's input gradient dz . W^T).
		const input = arena.allocate(m * k).fill(Number.NaN);
		kernels.gemm_nt(at(d), at(b), at(input), m, n, k);
		assertNear(t, input, naive(m, n, k, (i, p) => d[(i * n) + p], (p, j) => b[(j * n) + p]), 1e-5, 'gemm_nt');
	});
}

/*
 * -1 + (1 + 2^-23)(1 - 2^-23): the product is 1 - 2^-46, which float32 rounds to 1, so multiply-then-add gives 0 and
 * a fused multiply-add -2^-46. The products accumulate in order, so the row [1, 1 + 2^-23] times the column
 * [-1, 1 - 2^-23] is that sum, through every layout and with the tile in and out of its full-width path.
 */
for (const variant of VARIANTS) {
	test(`${variant}: the products ${variant === 'fma' ? 'fuse' : 'round'} each multiply ${variant === 'fma' ? 'with its add' : 'before the add'}`, t => {
		if (!runsHere(t, variant)) {
			return;
		}

		const expected = variant === 'fma' ? -(2 ** -46) : 0;
		for (const n of [1, 8]) {
			const arena = arenaFor([2, 2 * n, 2 * n, 4 * n], variant);
			const a = arena.allocate(2);
			a.set([1, 1 + (2 ** -23)]);
			const b = arena.allocate(2 * n);
			const bt = arena.allocate(2 * n);
			for (let j = 0; j < n; j++) {
				b[j] = -1;
				b[n + j] = 1 - (2 ** -23);
				bt[2 * j] = -1;
				bt[(2 * j) + 1] = 1 - (2 ** -23);
			}

			const c = arena.allocate(4 * n);
			const {kernels} = arena;
			kernels.gemm_nn(at(a), at(b), at(c), 1, 2, n, 0);
			kernels.gemm_tn(at(a), at(b), at(c.subarray(n)), 2, 1, n);
			kernels.gemm_nt(at(a), at(bt), at(c.subarray(2 * n)), 1, 2, n);
			t.deepEqual([...c.subarray(0, n)], Array.from({length: n}, () => expected), `gemm_nn, n ${n}`);
			t.deepEqual([...c.subarray(n, 2 * n)], Array.from({length: n}, () => expected), `gemm_tn, n ${n}`);
			t.deepEqual([...c.subarray(2 * n, 3 * n)], Array.from({length: n}, () => expected), `gemm_nt, n ${n}`);
		}
	});
}
