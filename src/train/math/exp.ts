/**
 * e^x in double precision, within 2 units in the last place of Math.exp, for the softmax of the losses computed in
 * JS (losses.ts lossOf). V8's Math.exp is a call into its fdlibm port; this one is a few multiplies and adds that V8
 * inlines where it is hot. kernels/simd.c's softmax_cross_entropy computes e^x the same way.
 *
 * e^x = 2^(k/64) e^r: k = round(64 x / ln 2) and r = x - k ln2/64 (|r| <= ln2/128; ln2/64 split in two so that k times
 * the high part is exact), e^r by its Taylor polynomial to degree 5 (the next term is below 2^-57), 2^(j/64) and
 * 2^((k - j)/64) from tables. Where the result is not a normal number, or nearly overflows, and for NaN, Math.exp
 * answers.
 */
const STEPS = 64;
const FRACTIONS = Float64Array.from({length: STEPS}, (_, j) => 2 ** (j / STEPS));
/** 2^e for the exponents e of the range below, from -BIAS. */
const BIAS = 1023;
const POWERS = Float64Array.from({length: 2 * BIAS}, (_, i) => 2 ** (i - BIAS));
const STEPS_PER_LN2 = STEPS / Math.LN2;
/** fdlibm's split of ln 2: the high part's low 32 bits are zero, so k times it is exact for |k| < 2^21. */
const LN2_HIGH = 6.931_471_803_691_238_164_9e-1 / STEPS;
const LN2_LOW = 1.908_214_929_270_587_700_02e-10 / STEPS;
/** e^x is a normal number, and 2^((k - j)/64) one of POWERS, for x in [LOWEST, HIGHEST]. */
const LOWEST = -708;
const HIGHEST = 709;

export function exp(x: number): number {
	if (!(x >= LOWEST && x <= HIGHEST)) {
		return Math.exp(x);
	}

	const k = Math.round(x * STEPS_PER_LN2);
	const r = (x - (k * LN2_HIGH)) - (k * LN2_LOW);
	const p = 1 + (r * (1 + (r * (0.5 + (r * ((1 / 6) + (r * ((1 / 24) + (r * (1 / 120))))))))));
	const j = k & (STEPS - 1);
	return p * FRACTIONS[j] * POWERS[((k - j) / STEPS) + BIAS];
}
