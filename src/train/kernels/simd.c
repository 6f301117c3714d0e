/*
 * The kernels of sweeplab's SIMD training path (src/train/paths/simd.ts) and the array optimizers
 * (src/train/math/optimizers.ts), compiled to WebAssembly with 128-bit SIMD by scripts/build-kernels.sh.
 * Freestanding: no libc; the caller lays out memory from __heap_base and passes byte addresses. All matrices
 * are row-major float32. Every non-static function is exported, written on one line as `void name(params) {`:
 * build-kernels.sh reads the export list and the TypeScript signatures (exports.ts) from those lines.
 */
#include <wasm_simd128.h>

typedef float f32;
typedef v128_t f4;

static inline f4 load(const f32 *p) { return wasm_v128_load(p); }
static inline void store(f32 *p, f4 v) { wasm_v128_store(p, v); }
static inline f4 splat(f32 x) { return wasm_f32x4_splat(x); }
static inline f4 madd(f4 acc, f4 a, f4 b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }

/* c[i..i+4][j..j+8] of a . b (+ bias): the 4x8 tile of eight accumulators that does most of the work. */
static inline void tile_4x8(const f32 *a, const f32 *b, f32 *c, int i, int j, int k, int n, const f32 *bias) {
	const f32 *a0 = a + i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
	f4 c00 = splat(0), c01 = splat(0), c10 = splat(0), c11 = splat(0);
	f4 c20 = splat(0), c21 = splat(0), c30 = splat(0), c31 = splat(0);
	const f32 *bp = b + j;
	for (int p = 0; p < k; p++, bp += n) {
		f4 b0 = load(bp), b1 = load(bp + 4);
		f4 x0 = splat(a0[p]), x1 = splat(a1[p]), x2 = splat(a2[p]), x3 = splat(a3[p]);
		c00 = madd(c00, x0, b0); c01 = madd(c01, x0, b1);
		c10 = madd(c10, x1, b0); c11 = madd(c11, x1, b1);
		c20 = madd(c20, x2, b0); c21 = madd(c21, x2, b1);
		c30 = madd(c30, x3, b0); c31 = madd(c31, x3, b1);
	}
	if (bias) {
		f4 z0 = load(bias + j), z1 = load(bias + j + 4);
		c00 = wasm_f32x4_add(c00, z0); c01 = wasm_f32x4_add(c01, z1);
		c10 = wasm_f32x4_add(c10, z0); c11 = wasm_f32x4_add(c11, z1);
		c20 = wasm_f32x4_add(c20, z0); c21 = wasm_f32x4_add(c21, z1);
		c30 = wasm_f32x4_add(c30, z0); c31 = wasm_f32x4_add(c31, z1);
	}
	f32 *cp = c + i * n + j;
	store(cp, c00); store(cp + 4, c01); cp += n;
	store(cp, c10); store(cp + 4, c11); cp += n;
	store(cp, c20); store(cp + 4, c21); cp += n;
	store(cp, c30); store(cp + 4, c31);
}

static inline void tile_4x4(const f32 *a, const f32 *b, f32 *c, int i, int j, int k, int n, const f32 *bias) {
	const f32 *a0 = a + i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
	f4 c0 = splat(0), c1 = splat(0), c2 = splat(0), c3 = splat(0);
	const f32 *bp = b + j;
	for (int p = 0; p < k; p++, bp += n) {
		f4 b0 = load(bp);
		c0 = madd(c0, splat(a0[p]), b0); c1 = madd(c1, splat(a1[p]), b0);
		c2 = madd(c2, splat(a2[p]), b0); c3 = madd(c3, splat(a3[p]), b0);
	}
	if (bias) {
		f4 z = load(bias + j);
		c0 = wasm_f32x4_add(c0, z); c1 = wasm_f32x4_add(c1, z); c2 = wasm_f32x4_add(c2, z); c3 = wasm_f32x4_add(c3, z);
	}
	f32 *cp = c + i * n + j;
	store(cp, c0); store(cp + n, c1); store(cp + 2 * n, c2); store(cp + 3 * n, c3);
}

static inline void tile_4x1(const f32 *a, const f32 *b, f32 *c, int i, int j, int k, int n, const f32 *bias) {
	const f32 *a0 = a + i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
	f32 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	for (int p = 0; p < k; p++) {
		f32 bv = b[p * n + j];
		s0 += a0[p] * bv; s1 += a1[p] * bv; s2 += a2[p] * bv; s3 += a3[p] * bv;
	}
	f32 z = bias ? bias[j] : 0;
	c[i * n + j] = s0 + z; c[(i + 1) * n + j] = s1 + z; c[(i + 2) * n + j] = s2 + z; c[(i + 3) * n + j] = s3 + z;
}

/*
 * c[m x n] = a[m x k] . b[k x n] (+ bias[n] on every row when bias is not 0).
 * Column panels outside, row tiles inside: a k x 8 panel of b stays in cache while every 4-row tile of a
 * passes over it, so b (the weights, the larger operand in a wide layer) is read from memory once.
 * Leftover columns go 4 then 1 wide, leftover rows one at a time.
 */
void gemm_nn(const f32 *a, const f32 *b, f32 *c, int m, int k, int n, const f32 *bias) {
	int m4 = m & ~3;
	int j = 0;
	for (; j + 8 <= n; j += 8) {
		for (int i = 0; i < m4; i += 4) {
			tile_4x8(a, b, c, i, j, k, n, bias);
		}
	}
	for (; j + 4 <= n; j += 4) {
		for (int i = 0; i < m4; i += 4) {
			tile_4x4(a, b, c, i, j, k, n, bias);
		}
	}
	for (; j < n; j++) {
		for (int i = 0; i < m4; i += 4) {
			tile_4x1(a, b, c, i, j, k, n, bias);
		}
	}
	for (int i = m4; i < m; i++) {
		const f32 *ar = a + i * k;
		int jj = 0;
		for (; jj + 4 <= n; jj += 4) {
			f4 acc = splat(0);
			for (int p = 0; p < k; p++) {
				acc = madd(acc, splat(ar[p]), load(b + p * n + jj));
			}
			if (bias) {
				acc = wasm_f32x4_add(acc, load(bias + jj));
			}
			store(c + i * n + jj, acc);
		}
		for (; jj < n; jj++) {
			f32 s = 0;
			for (int p = 0; p < k; p++) {
				s += ar[p] * b[p * n + jj];
			}
			c[i * n + jj] = s + (bias ? bias[jj] : 0);
		}
	}
}

/*
 * c[k x n] = a^T . b for a[m x k] and b[m x n]: the weight gradient x^T . dz of a dense layer, without
 * transposing x. Tiles of 4 rows of c (4 adjacent columns of a, one load) x 8 columns.
 */
void gemm_tn(const f32 *a, const f32 *b, f32 *c, int m, int k, int n) {
	int i = 0;
	for (; i + 4 <= k; i += 4) {
		int j = 0;
		for (; j + 8 <= n; j += 8) {
			f4 c00 = splat(0), c01 = splat(0), c10 = splat(0), c11 = splat(0);
			f4 c20 = splat(0), c21 = splat(0), c30 = splat(0), c31 = splat(0);
			const f32 *ap = a + i, *bp = b + j;
			for (int p = 0; p < m; p++, ap += k, bp += n) {
				f4 av = load(ap), b0 = load(bp), b1 = load(bp + 4);
				f4 x0 = wasm_i32x4_shuffle(av, av, 0, 0, 0, 0), x1 = wasm_i32x4_shuffle(av, av, 1, 1, 1, 1);
				f4 x2 = wasm_i32x4_shuffle(av, av, 2, 2, 2, 2), x3 = wasm_i32x4_shuffle(av, av, 3, 3, 3, 3);
				c00 = madd(c00, x0, b0); c01 = madd(c01, x0, b1);
				c10 = madd(c10, x1, b0); c11 = madd(c11, x1, b1);
				c20 = madd(c20, x2, b0); c21 = madd(c21, x2, b1);
				c30 = madd(c30, x3, b0); c31 = madd(c31, x3, b1);
			}
			f32 *cp = c + i * n + j;
			store(cp, c00); store(cp + 4, c01); cp += n;
			store(cp, c10); store(cp + 4, c11); cp += n;
			store(cp, c20); store(cp + 4, c21); cp += n;
			store(cp, c30); store(cp + 4, c31);
		}
		for (; j < n; j++) {
			f32 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
			for (int p = 0; p < m; p++) {
				f32 bv = b[p * n + j];
				const f32 *ap = a + p * k + i;
				s0 += ap[0] * bv; s1 += ap[1] * bv; s2 += ap[2] * bv; s3 += ap[3] * bv;
			}
			c[i * n + j] = s0; c[(i + 1) * n + j] = s1; c[(i + 2) * n + j] = s2; c[(i + 3) * n + j] = s3;
		}
	}
	for (; i < k; i++) {
		for (int j = 0; j < n; j++) {
			f32 s = 0;
			for (int p = 0; p < m; p++) {
				s += a[p * k + i] * b[p * n + j];
			}
			c[i * n + j] = s;
		}
	}
}

/* dst[cols x rows] = src[rows x cols]^T. */
void transpose(const f32 *src, f32 *dst, int rows, int cols) {
	for (int r = 0; r < rows; r++) {
		for (int c = 0; c < cols; c++) {
			dst[c * rows + r] = src[r * cols + c];
		}
	}
}

/*
 * The optimizers' updates, in place over n floats, with tfjs 4.22's rules (math/optimizers.ts documents
 * each); plain loops that clang vectorises to 4 lanes. sqrt is the wasm instruction; no libc.
 */
void sgd(f32 *restrict p, const f32 *restrict g, int n, f32 lr) {
	for (int i = 0; i < n; i++) {
		p[i] -= lr * g[i];
	}
}

void momentum(f32 *restrict p, const f32 *restrict g, f32 *restrict acc, int n, f32 lr, f32 mom) {
	for (int i = 0; i < n; i++) {
		f32 a = mom * acc[i] + g[i];
		acc[i] = a;
		p[i] -= lr * a;
	}
}

void rmsprop(f32 *restrict p, const f32 *restrict g, f32 *restrict ms, int n, f32 lr, f32 decay, f32 eps) {
	for (int i = 0; i < n; i++) {
		f32 s = decay * ms[i] + (1 - decay) * g[i] * g[i];
		ms[i] = s;
		p[i] -= lr * g[i] / __builtin_sqrtf(s + eps);
	}
}

void adagrad(f32 *restrict p, const f32 *restrict g, f32 *restrict acc, int n, f32 lr, f32 eps) {
	for (int i = 0; i < n; i++) {
		f32 a = acc[i] + g[i] * g[i];
		acc[i] = a;
		p[i] -= lr * g[i] / __builtin_sqrtf(a + eps);
	}
}

void adam(f32 *restrict p, const f32 *restrict g, f32 *restrict m, f32 *restrict v, int n, f32 beta1, f32 beta2, f32 step, f32 root_correction2, f32 eps) {
	for (int i = 0; i < n; i++) {
		f32 mi = beta1 * m[i] + (1 - beta1) * g[i];
		f32 vi = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
		m[i] = mi;
		v[i] = vi;
		p[i] -= step * mi / (__builtin_sqrtf(vi) * root_correction2 + eps);
	}
}

void adamax(f32 *restrict p, const f32 *restrict g, f32 *restrict m, f32 *restrict u, int n, f32 beta1, f32 beta2, f32 step, f32 eps) {
	for (int i = 0; i < n; i++) {
		f32 mi = beta1 * m[i] + (1 - beta1) * g[i];
		f32 decayed = beta2 * u[i];
		f32 magnitude = g[i] < 0 ? -g[i] : g[i];
		f32 ui = decayed > magnitude ? decayed : magnitude;
		m[i] = mi;
		u[i] = ui;
		p[i] -= step * mi / (ui + eps);
	}
}

/* Decoupled weight decay (AdamW's rule, on every optimizer): p *= keep, keep = 1 - lr wd, before the optimizer's step. */
void decay_weights(f32 *restrict p, int n, f32 keep) {
	for (int i = 0; i < n; i++) {
		p[i] *= keep;
	}
}

/* L2 weight decay: g += wd p, the gradient of (wd / 2) |p|^2 added to the loss's, before the optimizer's step. */
void add_l2_gradient(f32 *restrict g, const f32 *restrict p, int n, f32 wd) {
	for (int i = 0; i < n; i++) {
		g[i] += wd * p[i];
	}
}

/*
 * Convolution by im2col, for NHWC images with 'same' padding (TensorFlow's: (k - 1) / 2 before, the rest
 * after) and stride 1. Row (b, y, x) of the patch matrix holds the k x k x c window around pixel (y, x) of
 * image b in the order (dy, dx, channel) that a [k, k, c, filters] kernel flattens to, zeros outside.
 * Within one window row the in-image pixels are contiguous in both matrices, so each is one run.
 */
void im2col(const f32 *restrict input, f32 *restrict patches, int batch, int h, int w, int c, int k) {
	int pad = (k - 1) / 2;
	int span = k * c;
	for (int b = 0; b < batch; b++) {
		const f32 *image = input + b * h * w * c;
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				f32 *out = patches + ((b * h + y) * w + x) * k * span;
				int dx0 = x - pad < 0 ? pad - x : 0;
				int dx1 = x - pad + k > w ? w - x + pad : k;
				for (int dy = 0; dy < k; dy++, out += span) {
					int sy = y + dy - pad;
					if (sy < 0 || sy >= h) {
						for (int i = 0; i < span; i++) {
							out[i] = 0;
						}
						continue;
					}
					const f32 *run = image + (sy * w + x - pad + dx0) * c;
					for (int i = 0; i < dx0 * c; i++) {
						out[i] = 0;
					}
					for (int i = 0; i < (dx1 - dx0) * c; i++) {
						out[dx0 * c + i] = run[i];
					}
					for (int i = dx1 * c; i < span; i++) {
						out[i] = 0;
					}
				}
			}
		}
	}
}

/* The transpose of im2col: every patch entry's gradient added back to the pixel it came from. */
void col2im(const f32 *restrict patches, f32 *restrict input, int batch, int h, int w, int c, int k) {
	int pad = (k - 1) / 2;
	int span = k * c;
	for (int i = 0; i < batch * h * w * c; i++) {
		input[i] = 0;
	}
	for (int b = 0; b < batch; b++) {
		f32 *image = input + b * h * w * c;
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				const f32 *in = patches + ((b * h + y) * w + x) * k * span;
				int dx0 = x - pad < 0 ? pad - x : 0;
				int dx1 = x - pad + k > w ? w - x + pad : k;
				for (int dy = 0; dy < k; dy++, in += span) {
					int sy = y + dy - pad;
					if (sy < 0 || sy >= h) {
						continue;
					}
					f32 *run = image + (sy * w + x - pad + dx0) * c;
					for (int i = 0; i < (dx1 - dx0) * c; i++) {
						run[i] += in[dx0 * c + i];
					}
				}
			}
		}
	}
}

/*
 * 2x2 max pooling with stride 2 (odd edges dropped, as 'valid' pooling does). `which` keeps, per output,
 * the offset of the input that won: the first largest in row-major window order, as tfjs picks.
 */
void maxpool(const f32 *input, f32 *output, int *which, int batch, int h, int w, int c) {
	int oh = h / 2, ow = w / 2;
	for (int b = 0; b < batch; b++) {
		for (int y = 0; y < oh; y++) {
			for (int x = 0; x < ow; x++) {
				for (int ch = 0; ch < c; ch++) {
					int best = ((b * h + 2 * y) * w + 2 * x) * c + ch;
					f32 max = input[best];
					for (int dy = 0; dy < 2; dy++) {
						for (int dx = 0; dx < 2; dx++) {
							int at = ((b * h + 2 * y + dy) * w + 2 * x + dx) * c + ch;
							if (input[at] > max) {
								max = input[at];
								best = at;
							}
						}
					}
					int out = ((b * oh + y) * ow + x) * c + ch;
					output[out] = max;
					which[out] = best;
				}
			}
		}
	}
}

/* The gradient of maxpool: each output's gradient to the input that won, zero elsewhere. */
void maxpool_backward(const f32 *doutput, const int *which, f32 *dinput, int outputs, int inputs) {
	for (int i = 0; i < inputs; i++) {
		dinput[i] = 0;
	}
	for (int i = 0; i < outputs; i++) {
		dinput[which[i]] += doutput[i];
	}
}

/*
 * Elementwise work of the piecewise-linear activations (the others need exp, and run in JS) and the bias
 * gradient. y may be z, and dz may be dy.
 */
/* Explicit lanes: y may be z (and dz dy), which keeps the compiler from vectorising the plain loops. */
void relu(const f32 *z, f32 *y, int n) {
	int i = 0;
	for (; i + 4 <= n; i += 4) {
		store(y + i, wasm_f32x4_pmax(load(z + i), splat(0)));
	}
	for (; i < n; i++) {
		y[i] = z[i] > 0 ? z[i] : 0;
	}
}

void relu_backward(const f32 *dy, const f32 *z, f32 *dz, int n) {
	int i = 0;
	for (; i + 4 <= n; i += 4) {
		store(dz + i, wasm_v128_and(load(dy + i), wasm_f32x4_gt(load(z + i), splat(0))));
	}
	for (; i < n; i++) {
		dz[i] = z[i] > 0 ? dy[i] : 0;
	}
}

void leaky_relu(const f32 *z, f32 *y, int n, f32 alpha) {
	int i = 0;
	f4 a = splat(alpha);
	for (; i + 4 <= n; i += 4) {
		f4 v = load(z + i);
		store(y + i, wasm_v128_bitselect(v, wasm_f32x4_mul(a, v), wasm_f32x4_gt(v, splat(0))));
	}
	for (; i < n; i++) {
		y[i] = z[i] > 0 ? z[i] : alpha * z[i];
	}
}

void leaky_relu_backward(const f32 *dy, const f32 *z, f32 *dz, int n, f32 alpha) {
	int i = 0;
	f4 a = splat(alpha);
	for (; i + 4 <= n; i += 4) {
		f4 g = load(dy + i);
		store(dz + i, wasm_v128_bitselect(g, wasm_f32x4_mul(a, g), wasm_f32x4_gt(load(z + i), splat(0))));
	}
	for (; i < n; i++) {
		dz[i] = z[i] > 0 ? dy[i] : alpha * dy[i];
	}
}

/* out[j] = sum over rows of m[r][j]. */
void column_sums(const f32 *restrict m, f32 *restrict out, int rows, int cols) {
	for (int j = 0; j < cols; j++) {
		out[j] = 0;
	}
	for (int r = 0; r < rows; r++) {
		const f32 *row = m + r * cols;
		for (int j = 0; j < cols; j++) {
			out[j] += row[j];
		}
	}
}

/*
 * Batch normalisation over the rows of z[rows x units] (the batch, and for a conv block its pixels too):
 * the columns' mean, biased variance and 1 / sqrt(variance + eps), accumulated in double.
 */
void batchnorm_stats(const f32 *z, int rows, int units, double *mean, double *variance, double *inv_std, f32 eps) {
	for (int j = 0; j < units; j++) {
		mean[j] = 0;
		variance[j] = 0;
	}
	for (int r = 0; r < rows; r++) {
		const f32 *row = z + r * units;
		for (int j = 0; j < units; j++) {
			mean[j] += row[j];
		}
	}
	for (int j = 0; j < units; j++) {
		mean[j] /= rows;
	}
	for (int r = 0; r < rows; r++) {
		const f32 *row = z + r * units;
		for (int j = 0; j < units; j++) {
			double d = row[j] - mean[j];
			variance[j] += d * d;
		}
	}
	for (int j = 0; j < units; j++) {
		variance[j] /= rows;
		inv_std[j] = 1 / __builtin_sqrt(variance[j] + eps);
	}
}

/* a[r][j] = z[r][j] scale[j] + shift[j]: batch norm applied, with scale = gamma inv_std and shift = beta - mean scale. */
void scale_shift(const f32 *z, f32 *a, int rows, int units, const f32 *scale, const f32 *shift) {
	for (int r = 0; r < rows; r++) {
		const f32 *in = z + r * units;
		f32 *out = a + r * units;
		for (int j = 0; j < units; j++) {
			out[j] = in[j] * scale[j] + shift[j];
		}
	}
}

/*
 * The gradient through batch norm, mean and variance included: from dL/da in d, the column sums of d and of
 * d zhat (for beta's and gamma's gradients), then dL/dz into d: gamma inv_std / n (n d - sum d - zhat sum(d zhat)).
 */
void batchnorm_backward(f32 *d, const f32 *z, int rows, int units, const f32 *gamma, const double *mean, const double *inv_std, double *sum_d, double *sum_dhat) {
	for (int j = 0; j < units; j++) {
		sum_d[j] = 0;
		sum_dhat[j] = 0;
	}
	for (int r = 0; r < rows; r++) {
		const f32 *dr = d + r * units, *zr = z + r * units;
		for (int j = 0; j < units; j++) {
			sum_d[j] += dr[j];
			sum_dhat[j] += dr[j] * (zr[j] - mean[j]) * inv_std[j];
		}
	}
	for (int r = 0; r < rows; r++) {
		f32 *dr = d + r * units;
		const f32 *zr = z + r * units;
		for (int j = 0; j < units; j++) {
			double z_hat = (zr[j] - mean[j]) * inv_std[j];
			dr[j] = (f32) (gamma[j] * inv_std[j] / rows * (rows * (double) dr[j] - sum_d[j] - z_hat * sum_dhat[j]));
		}
	}
}
