/**
 * The complementary error function to double precision: the rational approximations of Sun's fdlibm s_erf.c
 * (FreeBSD msun; the same constants as Optuna's samplers/_tpe/_erf.py). TPE's log densities and bin masses are
 * differences of tail probabilities, so an approximation good to 1e-7 loses most of its digits on narrow bins.
 */

const ERX = 8.45062911510467529297e-1;
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const QQ = [3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6];
const PA = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.16637559486879084300e-3];
const QA = [1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2];
const RA = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592];
const SA = [1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2];
const RB = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2];
const SB = [3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1];

/** c0 + s (c1 + s (c2 + ...)). */
function poly(coefficients: readonly number[], s: number): number {
	let result = 0;
	for (let i = coefficients.length - 1; i >= 0; i--) {
		result = coefficients[i] + s * result;
	}
	return result;
}

/** 1 + s (c0 + s (c1 + ...)). */
function poly1(coefficients: readonly number[], s: number): number {
	return 1 + s * poly(coefficients, s);
}

const words = new DataView(new ArrayBuffer(8));

/** x with the low 32 bits of its mantissa cleared (fdlibm's SET_LOW_WORD(z, 0)): z * z is then exact. */
function truncateLowWord(x: number): number {
	words.setFloat64(0, x);
	words.setUint32(4, 0);
	return words.getFloat64(0);
}

export function erfc(x: number): number {
	if (Number.isNaN(x)) {
		return Number.NaN;
	}
	const a = Math.abs(x);
	if (a < 0.84375) {
		if (a < 2 ** -56) {
			return 1 - x;
		}
		const z = x * x;
		const y = poly(PP, z) / poly1(QQ, z);
		return x < 0.25 ? 1 - (x + x * y) : 0.5 - (x - 0.5 + x * y);
	}
	if (a < 1.25) {
		const s = a - 1;
		const ratio = poly(PA, s) / poly1(QA, s);
		return x >= 0 ? 1 - ERX - ratio : 1 + ERX + ratio;
	}
	if (a < 28) {
		if (x < -6) {
			return 2;
		}
		const s = 1 / (a * a);
		const ratio = a < 1 / 0.35 ? poly(RA, s) / poly1(SA, s) : poly(RB, s) / poly1(SB, s);
		const z = truncateLowWord(a);
		const r = Math.exp(-z * z - 0.5625) * Math.exp((z - a) * (z + a) + ratio);
		return x > 0 ? r / a : 2 - r / a;
	}
	return x > 0 ? 0 : 2;
}
