/** Arrays in a kernel arena filled from a seeded generator, and the comparison the per-kernel tests share. */
import type {ExecutionContext} from 'ava';
import {fusedKernelsAvailable, KernelArena, type KernelVariant} from '../../../src/train/kernels/load.js';

/** Both builds of simd.c: every kernel test runs on each. */
export const VARIANTS: readonly KernelVariant[] = ['plain', 'fma'];

/**
 * Whether this runtime runs the variant. Where the fused one is missing (relaxed SIMD off, or a runtime that does not
 * fuse) the test passes with a note, except under CI=true, where it fails: CI must run both.
 */
export function runsHere(t: ExecutionContext, variant: KernelVariant): boolean {
	if (variant === 'plain' || fusedKernelsAvailable()) {
		return true;
	}

	if (process.env.CI === 'true') {
		t.fail('this runtime has no relaxed SIMD with a fused multiply-add: the fma kernels are untested');
	} else {
		t.log('no relaxed SIMD with a fused multiply-add here: the fma kernels are tested in CI');
		t.pass();
	}

	return false;
}

/** A fresh arena of the variant's kernels with room for arrays of these lengths. */
export function arenaFor(lengths: number[], variant: KernelVariant = 'plain'): KernelArena {
	return new KernelArena(KernelArena.floats(lengths), variant);
}

/** Uniform values in [-1, 1) from a fixed linear congruential sequence. */
export function fillRandom(values: Float32Array, seed: number): Float32Array {
	let state = seed >>> 0;
	for (let i = 0; i < values.length; i++) {
		state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
		values[i] = (state / 2 ** 31) - 1;
	}

	return values;
}

/** Every element within `tolerance` (times the expected array's largest magnitude, at least 1) of the naive result. */
export function assertNear(t: ExecutionContext, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
	t.is(actual.length, expected.length, `${what}: length`);
	let scale = 1;
	for (let i = 0; i < expected.length; i++) {
		scale = Math.max(scale, Math.abs(expected[i]));
	}

	let worst = 0;
	let where = -1;
	for (let i = 0; i < expected.length; i++) {
		const difference = Math.abs(actual[i] - expected[i]);
		// NaN fails too.
		if (!(difference <= worst)) {
			worst = difference;
			where = i;
		}
	}

	t.true(worst <= tolerance * scale, `${what}: element ${where} is ${actual[where]}, the naive loop gives ${expected[where]}`);
}
