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
/*
 * acc + a b. build-kernels.sh builds this file twice: plainly, a multiply then an add (two roundings), and with
 * FUSED_MADD, relaxed SIMD's multiply-add. The relaxed instruction may fuse or not as the runtime likes; kernels/load.ts
 * takes that module only where it fuses (one rounding, as IEEE fma), so each module gives the same bits everywhere.
 * clang 14's builtin is the proposal's prototype, whose opcode build-kernels.sh rewrites; its operands are a b + c.
 */
#ifdef FUSED_MADD
static inline f4 madd(f4 acc, f4 a, f4 b) { return (f4) __builtin_wasm_fma_f32x4((__f32x4) a, (__f32x4) b, (__f32x4) acc); }
#else
static inline f4 madd(f4 acc, f4 a, f4 b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }
#endif

/*
 * The matrix products: one blocked GEMM (the loop nest of Goto and van de Geijn's, as BLIS lays it out) behind three
 * exports for the three layouts training needs. A 4x8 tile of C lives in eight registers while a k-long strip of
 * A's 4 rows and B's 8 columns streams past: 4 broadcasts and 2 loads feed 8 multiplies and 8 adds. (No wider tile:
 * V8 issues all of a step's loads before its multiply-adds, so 8 accumulators, 2 rows of B and 4 broadcasts take 14
 * of the 15 vector registers it allocates; a 5x8 tile spilled and ran at 0.4-0.65x the speed.) k is cut into the fewest
 * blocks of at most KC = 512 steps, of equal length (784 = 2 x 392, not 3 x 256 + 16: every block costs each tile
 * of C a load, add and store, and a short last one little else). A block keeps a strip of B (16 KB, packed
 * contiguous) in L1 while every 4-row tile of an MC-row block of A passes over it, and that block of A (256 KB) in
 * L2 while B's panels pass. A is read in place (its rows or columns
 * with a stride), which spares the pass over the im2col patches a packed A would cost. Edges: B's packed panels are
 * zero-padded to 8 columns and A's missing rows repeat its last, and a partial tile is written through a buffer.
 */
#define MR 4
#define NR 8
#define KC 512
#define MC 128
#define NC 512

/* B's current KC x NC block as NC / 8 panels of KC x 8, contiguous. 1 MB of the instance's memory. */
static f32 packed_b[KC * NC];
/* A's current MC x KC block when A is a transposed matrix (pack_columns), as MC / 4 panels of 4 rows interleaved. 256 KB. */
static f32 packed_a[MC * KC];

/*
 * The 4x8 tile at c (row stride ldc) of A's 4 rows (row r's element p at a_r[p ca], or at a_r[cols_at[p]] when a
 * column table is given) times B's strip (row p at b + p sb, 8 wide) over kc steps: stored (+ bias) when add is 0,
 * added to c otherwise. Only rows x cols of the tile are written. Inlined with cols_at a constant 0 or not, so
 * the plain product keeps its pointer bumps and the convolutions pay one offset load per step for 4 rows.
 */
static inline __attribute__((always_inline)) void tile(int kc, const f32 *a0, const f32 *a1, const f32 *a2, const f32 *a3, int ca, const int *cols_at, const f32 *b, int sb, f32 *c, int ldc, int rows, int cols, int add, const f32 *bias) {
	f4 c00 = splat(0), c01 = splat(0), c10 = splat(0), c11 = splat(0);
	f4 c20 = splat(0), c21 = splat(0), c30 = splat(0), c31 = splat(0);
	for (int p = 0; p < kc; p++, b += sb) {
		f4 b0 = load(b), b1 = load(b + 4);
		f4 x0, x1, x2, x3;
		if (cols_at) {
			int o = cols_at[p];
			x0 = wasm_v128_load32_splat(a0 + o); x1 = wasm_v128_load32_splat(a1 + o);
			x2 = wasm_v128_load32_splat(a2 + o); x3 = wasm_v128_load32_splat(a3 + o);
		} else {
			x0 = wasm_v128_load32_splat(a0); x1 = wasm_v128_load32_splat(a1);
			x2 = wasm_v128_load32_splat(a2); x3 = wasm_v128_load32_splat(a3);
			a0 += ca; a1 += ca; a2 += ca; a3 += ca;
		}
		c00 = madd(c00, x0, b0); c01 = madd(c01, x0, b1);
		c10 = madd(c10, x1, b0); c11 = madd(c11, x1, b1);
		c20 = madd(c20, x2, b0); c21 = madd(c21, x2, b1);
		c30 = madd(c30, x3, b0); c31 = madd(c31, x3, b1);
	}
	if (rows == MR && cols == NR) {
		f4 z0 = splat(0), z1 = splat(0);
		if (add) {
			f32 *cp = c;
			c00 = wasm_f32x4_add(c00, load(cp)); c01 = wasm_f32x4_add(c01, load(cp + 4)); cp += ldc;
			c10 = wasm_f32x4_add(c10, load(cp)); c11 = wasm_f32x4_add(c11, load(cp + 4)); cp += ldc;
			c20 = wasm_f32x4_add(c20, load(cp)); c21 = wasm_f32x4_add(c21, load(cp + 4)); cp += ldc;
			c30 = wasm_f32x4_add(c30, load(cp)); c31 = wasm_f32x4_add(c31, load(cp + 4));
		} else if (bias) {
			z0 = load(bias);
			z1 = load(bias + 4);
		}
		f32 *cp = c;
		store(cp, wasm_f32x4_add(c00, z0)); store(cp + 4, wasm_f32x4_add(c01, z1)); cp += ldc;
		store(cp, wasm_f32x4_add(c10, z0)); store(cp + 4, wasm_f32x4_add(c11, z1)); cp += ldc;
		store(cp, wasm_f32x4_add(c20, z0)); store(cp + 4, wasm_f32x4_add(c21, z1)); cp += ldc;
		store(cp, wasm_f32x4_add(c30, z0)); store(cp + 4, wasm_f32x4_add(c31, z1));
		return;
	}
	f32 t[MR * NR];
	store(t, c00); store(t + 4, c01); store(t + 8, c10); store(t + 12, c11);
	store(t + 16, c20); store(t + 20, c21); store(t + 24, c30); store(t + 28, c31);
	for (int r = 0; r < rows; r++) {
		for (int j = 0; j < cols; j++) {
			c[r * ldc + j] = add ? c[r * ldc + j] + t[r * NR + j] : t[r * NR + j] + (bias ? bias[j] : 0);
		}
	}
}

/* Packs kc x nc of B (element (p, j) at b[p rb + j cb]) into packed_b's panels, zero-padding the last to 8 columns. */
static void pack_b(const f32 *b, int rb, int cb, int kc, int nc) {
	for (int jr = 0; jr < nc; jr += NR) {
		f32 *dst = packed_b + jr * kc;
		int cols = nc - jr < NR ? nc - jr : NR;
		if (cb == 1 && cols == NR) {
			for (int p = 0; p < kc; p++) {
				store(dst + p * NR, load(b + p * rb + jr));
				store(dst + p * NR + 4, load(b + p * rb + jr + 4));
			}
			continue;
		}
		for (int j = 0; j < NR; j++) {
			const f32 *src = b + (jr + j) * cb;
			for (int p = 0; p < kc; p++) {
				dst[p * NR + j] = j < cols ? src[p * rb] : 0;
			}
		}
	}
}

/*
 * Packs mc x kc of an A whose rows lie side by side (element (i, p) at a[i + p ca]: a weight gradient's x^T) into
 * packed_a as panels of 4 rows, step p's four values at 4 p (zeros for the missing rows of the last panel, whose
 * results are dropped). Read in place, each step of a tile loads from a line of its own, ca floats on, for every
 * panel of B again; packed, a tile streams its panel, and one load a step packs it.
 */
static void pack_columns(const f32 *a, int ca, int mc, int kc) {
	for (int ir = 0; ir < mc; ir += MR) {
		f32 *dst = packed_a + ir * kc;
		const f32 *src = a + ir;
		int rows = mc - ir < MR ? mc - ir : MR;
		for (int p = 0; p < kc; p++) {
			if (rows == MR) {
				store(dst + p * MR, load(src + p * ca));
				continue;
			}
			for (int r = 0; r < MR; r++) {
				dst[p * MR + r] = r < rows ? src[p * ca + r] : 0;
			}
		}
	}
}

/*
 * c[m x n] (row-major) = A . B (+ bias on every row), or += A . B when accumulate is set. A's element (i, p) is at
 * a[row(i) + col(p)], with row(i) = rows_at[i] or i ra, col(p) = cols_at[p] or p ca: the tables make a convolution's
 * input, read in place through its windows, the A of a plain product (implicit GEMM, no im2col copy). B's (p, j) is
 * at b[p rb + j cb]; it is read in place only where a block of it is too narrow a product to repay packing (at most
 * 64 rows of A) and its rows are 8-float multiples.
 */
static void gemm(int m, int n, int k, const f32 *a, const int *rows_at, int ra, const int *cols_at, int ca, const f32 *b, int rb, int cb, f32 *c, const f32 *bias, int accumulate) {
	if (k == 0) {
		for (int i = 0; !accumulate && i < m; i++) {
			for (int j = 0; j < n; j++) {
				c[i * n + j] = bias ? bias[j] : 0;
			}
		}
		return;
	}
	int pack = !(cb == 1 && n % NR == 0 && m <= 64);
	/* A transposed A is packed where its block serves more than one panel of B. */
	int pack_rows = ra == 1 && !rows_at && !cols_at && n > NR;
	/* The fewest blocks of at most KC steps, of equal length but the last. */
	int blocks = (k + KC - 1) / KC;
	int step = (k + blocks - 1) / blocks;
	for (int jc = 0; jc < n; jc += NC) {
		int nc = n - jc < NC ? n - jc : NC;
		for (int pc = 0; pc < k; pc += step) {
			int kc = k - pc < step ? k - pc : step;
			int add = accumulate || pc > 0;
			if (pack) {
				pack_b(b + pc * rb + jc * cb, rb, cb, kc, nc);
			}
			const f32 *ap = cols_at ? a : a + pc * ca;
			for (int ic = 0; ic < m; ic += MC) {
				int mc = m - ic < MC ? m - ic : MC;
				if (pack_rows) {
					pack_columns(ap + ic, ca, mc, kc);
				}
				for (int jr = 0; jr < nc; jr += NR) {
					const f32 *strip = pack ? packed_b + jr * kc : b + pc * rb + jc + jr;
					int sb = pack ? NR : rb;
					int cols = nc - jr < NR ? nc - jr : NR;
					const f32 *z = bias && !add ? bias + jc + jr : 0;
					for (int ir = 0; ir < mc; ir += MR) {
						int i = ic + ir, rows = mc - ir < MR ? mc - ir : MR;
						/* A missing row of the last tile reads row i again (its results are dropped). */
						const f32 *a0 = ap + (rows_at ? rows_at[i] : i * ra);
						const f32 *a1 = rows > 1 ? ap + (rows_at ? rows_at[i + 1] : (i + 1) * ra) : a0;
						const f32 *a2 = rows > 2 ? ap + (rows_at ? rows_at[i + 2] : (i + 2) * ra) : a0;
						const f32 *a3 = rows > 3 ? ap + (rows_at ? rows_at[i + 3] : (i + 3) * ra) : a0;
						f32 *cp = c + i * n + jc + jr;
						if (pack_rows) {
							const f32 *panel = packed_a + ir * kc;
							tile(kc, panel, panel + 1, panel + 2, panel + 3, MR, 0, strip, sb, cp, n, rows, cols, add, z);
						} else if (cols_at) {
							tile(kc, a0, a1, a2, a3, 0, cols_at + pc, strip, sb, cp, n, rows, cols, add, z);
						} else {
							tile(kc, a0, a1, a2, a3, ca, 0, strip, sb, cp, n, rows, cols, add, z);
						}
					}
				}
			}
		}
	}
}

/* c[m x n] = a[m x k] . b[k x n] (+ bias[n] on every row when bias is not 0): a layer's forward product. */
void gemm_nn(const f32 *a, const f32 *b, f32 *c, int m, int k, int n, const f32 *bias) {
	gemm(m, n, k, a, 0, k, 0, 1, b, n, 1, c, bias, 0);
}

/* c[k x n] = a^T . b for a[m x k] and b[m x n]: a weight gradient x^T . dz, without transposing x. */
void gemm_tn(const f32 *a, const f32 *b, f32 *c, int m, int k, int n) {
	gemm(k, n, m, a, 0, 1, 0, k, b, n, 1, c, 0, 0);
}

/* c[m x n] = a[m x k] . b^T for b[n x k]: an input gradient dz . W^T, without transposing W. */
void gemm_nt(const f32 *a, const f32 *b, f32 *c, int m, int k, int n) {
	gemm(m, n, k, a, 0, k, 0, 1, b, 1, k, c, 0, 0);
}

/*
 * Convolution as implicit GEMM, for NHWC images, stride 1. The caller pads the images (pad_images: 'same'
 * padding puts (k - 1) / 2 zeros before and the rest after, as TensorFlow does), and the convolution is then the
 * 'valid' one over the padded images: output pixel (b, y, x) reads the k x k x c window at padded (b, y, x), in the
 * order (dy, dx, channel) that a [k, k, c, filters] kernel flattens to. The patch matrix of im2col is never built:
 * pixels_at[i] and taps_at[p] (int tables the caller gives room for: batch h w, and k k c ints) hold each output
 * pixel's and each kernel tap's offset into the padded images, and the product reads the window through them.
 */

/* padded[b][before + y][before + x][ch] = input[b][y][x][ch], zeros around: (h + before + after) x (w + before + after). */
void pad_images(const f32 *restrict input, f32 *restrict padded, int batch, int h, int w, int c, int before, int after) {
	int ph = h + before + after, pw = w + before + after;
	for (int b = 0; b < batch; b++) {
		for (int y = 0; y < ph; y++) {
			f32 *out = padded + (b * ph + y) * pw * c;
			int sy = y - before;
			if (sy < 0 || sy >= h) {
				for (int i = 0; i < pw * c; i++) {
					out[i] = 0;
				}
				continue;
			}
			const f32 *in = input + (b * h + sy) * w * c;
			for (int i = 0; i < before * c; i++) {
				out[i] = 0;
			}
			for (int i = 0; i < w * c; i++) {
				out[before * c + i] = in[i];
			}
			for (int i = (before + w) * c; i < pw * c; i++) {
				out[i] = 0;
			}
		}
	}
}

/* The tables of the window reads over padded images of ph x pw pixels of c channels, for outputs of h x w. */
static void window_tables(int *pixels_at, int *taps_at, int batch, int ph, int pw, int c, int k) {
	int h = ph - k + 1, w = pw - k + 1;
	for (int b = 0, i = 0; b < batch; b++) {
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++, i++) {
				pixels_at[i] = ((b * ph + y) * pw + x) * c;
			}
		}
	}
	for (int dy = 0, p = 0; dy < k; dy++) {
		for (int dx = 0; dx < k; dx++) {
			for (int ch = 0; ch < c; ch++, p++) {
				taps_at[p] = (dy * pw + dx) * c + ch;
			}
		}
	}
}

/* z[batch x h x w x filters] = the convolution of the padded images (ph x pw x c) by kernel[k x k x c x filters] (+ bias). */
void conv_forward(const f32 *padded, const f32 *kernel, const f32 *bias, f32 *z, int *tables, int batch, int ph, int pw, int c, int k, int filters) {
	int positions = batch * (ph - k + 1) * (pw - k + 1);
	int *taps_at = tables + positions;
	window_tables(tables, taps_at, batch, ph, pw, c, k);
	gemm(positions, filters, k * k * c, padded, tables, 0, taps_at, 0, kernel, filters, 1, z, bias, 0);
}

/* dkernel[k x k x c x filters] = the sum over output pixels of window x dz: the filter gradient, windows read in place. */
void conv_filter_gradient(const f32 *padded, const f32 *dz, f32 *dkernel, int *tables, int batch, int ph, int pw, int c, int k, int filters) {
	int positions = batch * (ph - k + 1) * (pw - k + 1);
	int *taps_at = tables + positions;
	window_tables(tables, taps_at, batch, ph, pw, c, k);
	gemm(k * k * c, filters, positions, padded, taps_at, 0, tables, 0, dz, filters, 1, dkernel, 0, 0);
}

/*
 * The kernel of the input gradient: the gradient of a convolution with respect to its input is the convolution of
 * the output gradient, padded with k - 1 - before zeros before and k - 1 - after after, by the kernel turned
 * half a turn with its channel axes swapped: flipped[k - 1 - dy][k - 1 - dx][f][ch] = kernel[dy][dx][ch][f].
 */
void conv_flip(const f32 *restrict kernel, f32 *restrict flipped, int k, int c, int filters) {
	for (int dy = 0; dy < k; dy++) {
		for (int dx = 0; dx < k; dx++) {
			const f32 *in = kernel + (dy * k + dx) * c * filters;
			f32 *out = flipped + ((k - 1 - dy) * k + (k - 1 - dx)) * filters * c;
			for (int ch = 0; ch < c; ch++) {
				for (int f = 0; f < filters; f++) {
					out[f * c + ch] = in[ch * filters + f];
				}
			}
		}
	}
}

/*
 * Direct convolution for few input channels (a network's first layer, on 1 to 4 channels), over the padded images
 * conv_forward reads. There implicit GEMM's products are k k c steps deep (25 for one channel and 5x5), too few to
 * repay a 4x8 tile's set-up and its offset table. Here a block of 2 output pixels x up to 16 filters (8 accumulators)
 * takes a whole window: per tap, 4 loads of the kernel's row and 2 splats of the pixels for 8 multiply-adds. A
 * window's row of taps (dx, ch) lies contiguous in the padded row and in the kernel, so a tap is one step of a
 * k c loop per window row. Filters are a multiple of 4. Larger blocks were slower (measured: 3 pixels x 16 filters
 * and 3 x 12 lose to 2 x 16 on the 5x5 32-filter layer: 12 accumulators and their operands overflow V8's 16 registers).
 */
#define DIRECT_PIXELS 2
#define DIRECT_TAPS 2

/*
 * acc[j][v] = the sums (+ bias) of `pixels` output pixels, pixel j's window at p + from[j], x (`vectors` vectors) filters
 * from the kernel's and bias's column the pointers start at: per tap, `vectors` loads of the kernel's row and `pixels`
 * splats. pixels vectors is at most 8 (the accumulators), and both are constants where it is inlined.
 */
static inline __attribute__((always_inline)) void direct_sums(const f32 *p, const int *from, int pixels, int c, int row, int k, const f32 *kernel, int filters, const f32 *bias, int vectors, f4 acc[4][4]) {
	for (int j = 0; j < pixels; j++) {
		for (int v = 0; v < vectors; v++) {
			acc[j][v] = bias ? load(bias + 4 * v) : splat(0);
		}
	}
	int kc = k * c;
	for (int dy = 0; dy < k; dy++) {
		const f32 *pp = p + dy * row, *kr = kernel + dy * kc * filters;
		for (int q = 0; q < kc; q++, pp++, kr += filters) {
			/*
			 * An opaque kr: else clang's loop-strength reduction turns kr + 4 v into additions of their own, which
			 * V8 cannot fold into the loads; from one opaque pointer they become the loads' offsets. The unpooled
			 * forward kernel 46.0 -> 51.0 GFLOP/s (fused build, 32 images of 28x28, 1 -> 32 5x5, best of 4x9 rounds).
			 */
			__asm__("" : "+r"(kr));
			f4 w[4];
			for (int v = 0; v < vectors; v++) {
				w[v] = load(kr + 4 * v);
			}
			for (int j = 0; j < pixels; j++) {
				f4 x = wasm_v128_load32_splat(pp + from[j]);
				for (int v = 0; v < vectors; v++) {
					acc[j][v] = madd(acc[j][v], x, w[v]);
				}
			}
		}
	}
}

/* z's pixels x (4 vectors) filters from the window at p (bias, or 0), for `pixels` pixels along a row. */
static inline __attribute__((always_inline)) void direct_block(const f32 *p, int c, int row, int k, const f32 *kernel, int filters, const f32 *bias, f32 *z, int vectors, int pixels) {
	f4 acc[4][4];
	int from[DIRECT_PIXELS] = {0, c};
	direct_sums(p, from, pixels, c, row, k, kernel, filters, bias, vectors, acc);
	for (int j = 0; j < pixels; j++) {
		for (int v = 0; v < vectors; v++) {
			store(z + j * filters + 4 * v, acc[j][v]);
		}
	}
}

/* One output row's w pixels, for the 4 `vectors` filters from the kernel's and bias's column the pointers start at. */
static inline __attribute__((always_inline)) void direct_row(const f32 *p, int c, int row, int k, const f32 *kernel, int filters, const f32 *bias, f32 *z, int w, int vectors) {
	int x = 0;
	for (; x + DIRECT_PIXELS <= w; x += DIRECT_PIXELS) {
		direct_block(p + x * c, c, row, k, kernel, filters, bias, z + x * filters, vectors, DIRECT_PIXELS);
	}
	for (; x < w; x++) {
		direct_block(p + x * c, c, row, k, kernel, filters, bias, z + x * filters, vectors, 1);
	}
}

/*
 * 2x2 max pooling of one window, 4 channels: the largest of its values v[0..3] (row-major window order) and where it
 * is, at + offsets[j] for the first largest (a later value wins only when strictly larger, as the scalar rule does).
 * maxpool and the passes that pool as they go (direct_pool_block, pool_tile) all take a window's winner here.
 */
static inline __attribute__((always_inline)) void window_max(const f4 *v, v128_t at, const int *offsets, f4 *max, v128_t *best) {
	f4 m = v[0];
	v128_t b = at;
	for (int j = 1; j < 4; j++) {
		v128_t larger = wasm_f32x4_gt(v[j], m);
		m = wasm_v128_bitselect(v[j], m, larger);
		b = wasm_v128_bitselect(wasm_i32x4_add(at, wasm_i32x4_splat(offsets[j])), b, larger);
	}
	*max = m;
	*best = b;
}

/*
 * With 2x2 max pooling fused: the window of 2x2 output pixels whose first is at padded p, x (2 vectors) filters:
 * 4 pixels' sums (+ bias) in 8 accumulators, added in the order direct_block adds them (the same bits), per tap 2
 * loads of the kernel's row and 4 splats for 8 multiply-adds; then the window's max and winner (its offset in z,
 * `first` that of the window's first pixel) as maxpool takes them.
 */
static inline __attribute__((always_inline)) void direct_pool_block(const f32 *p, int c, int row, int k, const f32 *kernel, int filters, const f32 *bias, f32 *pooled, int *which, int first, int w, int vectors) {
	f4 acc[4][4];
	int from[4] = {0, c, row, row + c};
	direct_sums(p, from, 4, c, row, k, kernel, filters, bias, vectors, acc);
	int offsets[4] = {0, filters, w * filters, (w + 1) * filters};
	for (int v = 0; v < vectors; v++) {
		f4 values[4] = {acc[0][v], acc[1][v], acc[2][v], acc[3][v]}, max;
		v128_t best;
		window_max(values, wasm_i32x4_add(wasm_i32x4_splat(first + 4 * v), wasm_i32x4_make(0, 1, 2, 3)), offsets, &max, &best);
		store(pooled + 4 * v, max);
		wasm_v128_store(which + 4 * v, best);
	}
}

/* Every pooled output of one row of windows (output rows y and y + 1), for the 2 `vectors` filters from the column the pointers start at. */
static inline __attribute__((always_inline)) void direct_pool_row(const f32 *p, int c, int row, int k, const f32 *kernel, int filters, const f32 *bias, f32 *pooled, int *which, int first, int w, int vectors) {
	for (int x = 0; x < w / 2; x++) {
		direct_pool_block(p + 2 * x * c, c, row, k, kernel, filters, bias, pooled + x * filters, which + x * filters, first + 2 * x * filters, w, vectors);
	}
}

/*
 * z[batch x h x w x filters] = the convolution of the padded images (ph x pw x c) by kernel[k x k x c x filters] (+ bias),
 * directly; or, where pooled is not 0, z's 2x2 max pooling (pooled and which as maxpool writes them) in its place, z
 * itself never written.
 */
void conv_direct_forward(const f32 *padded, const f32 *kernel, const f32 *bias, f32 *z, f32 *pooled, int *which, int batch, int ph, int pw, int c, int k, int filters) {
	int h = ph - k + 1, w = pw - k + 1;
	for (int b = 0; pooled && b < batch; b++) {
		for (int y = 0; y < h / 2; y++) {
			const f32 *p = padded + (b * ph + 2 * y) * pw * c;
			int out = (b * (h / 2) + y) * (w / 2) * filters, first = (b * h + 2 * y) * w * filters;
			for (int f = 0; f < filters; f += 8) {
				const f32 *kf = kernel + f, *bf = bias ? bias + f : 0;
				if (filters - f == 4) {
					direct_pool_row(p, c, pw * c, k, kf, filters, bf, pooled + out + f, which + out + f, first + f, w, 1);
				} else {
					direct_pool_row(p, c, pw * c, k, kf, filters, bf, pooled + out + f, which + out + f, first + f, w, 2);
				}
			}
		}
	}
	for (int b = 0; !pooled && b < batch; b++) {
		for (int y = 0; y < h; y++) {
			const f32 *p = padded + (b * ph + y) * pw * c;
			f32 *out = z + (b * h + y) * w * filters;
			for (int f = 0; f < filters; f += 16) {
				const f32 *kf = kernel + f, *bf = bias ? bias + f : 0;
				switch ((filters - f) / 4) {
				case 1: direct_row(p, c, pw * c, k, kf, filters, bf, out + f, w, 1); break;
				case 2: direct_row(p, c, pw * c, k, kf, filters, bf, out + f, w, 2); break;
				case 3: direct_row(p, c, pw * c, k, kf, filters, bf, out + f, w, 3); break;
				default: direct_row(p, c, pw * c, k, kf, filters, bf, out + f, w, 4); break;
				}
			}
		}
	}
}

/*
 * dkernel += the taps [first, first + taps) x (4 vectors) filters' sums over one output row of w pixels: dz's row
 * (w x filters, from the column the pointer starts at) times the padded input's window rows. 2 taps x 16 filters
 * a block: per pixel, 4 loads of dz and 2 splats for 8 multiply-adds, the block's sums in registers along the row.
 */
static inline __attribute__((always_inline)) void direct_gradient_block(const f32 *p, int c, int row, int k, const f32 *dz, int filters, f32 *dkernel, int w, int first, int taps, int vectors) {
	f4 acc[DIRECT_TAPS][4];
	int at[DIRECT_TAPS];
	for (int t = 0; t < taps; t++) {
		int tap = first + t;
		at[t] = tap / (k * c) * row + tap % (k * c);
		for (int v = 0; v < vectors; v++) {
			acc[t][v] = load(dkernel + tap * filters + 4 * v);
		}
	}
	for (int x = 0; x < w; x++, p += c, dz += filters) {
		f4 d[4];
		for (int v = 0; v < vectors; v++) {
			d[v] = load(dz + 4 * v);
		}
		for (int t = 0; t < taps; t++) {
			f4 s = wasm_v128_load32_splat(p + at[t]);
			for (int v = 0; v < vectors; v++) {
				acc[t][v] = madd(acc[t][v], s, d[v]);
			}
		}
	}
	for (int t = 0; t < taps; t++) {
		for (int v = 0; v < vectors; v++) {
			store(dkernel + (first + t) * filters + 4 * v, acc[t][v]);
		}
	}
}

/* Every tap's sums over one output row, for the 4 `vectors` filters from the column dz and dkernel start at. */
static inline __attribute__((always_inline)) void direct_gradient_row(const f32 *p, int c, int row, int k, const f32 *dz, int filters, f32 *dkernel, int w, int vectors) {
	int taps = k * k * c, t = 0;
	for (; t + DIRECT_TAPS <= taps; t += DIRECT_TAPS) {
		direct_gradient_block(p, c, row, k, dz, filters, dkernel, w, t, DIRECT_TAPS, vectors);
	}
	for (; t < taps; t++) {
		direct_gradient_block(p, c, row, k, dz, filters, dkernel, w, t, 1, vectors);
	}
}

/*
 * With the pooling fused (conv_direct_forward's pooled): row y of the output gradient (w x filters, into `row`) from
 * the pooled gradient and the pool's winners, as maxpool_backward spreads them (zeros where a pixel did not win, and
 * in the row and column the pool dropped).
 */
static void unpool_row(const f32 *dpooled, const int *which, f32 *row, int b, int y, int h, int w, int filters) {
	int oh = h / 2, ow = w / 2, py = y / 2;
	for (int x = 0; x < w; x++) {
		int px = x / 2, out = ((b * oh + py) * ow + px) * filters;
		v128_t at = wasm_i32x4_add(wasm_i32x4_splat(((b * h + y) * w + x) * filters), wasm_i32x4_make(0, 1, 2, 3));
		for (int q = 0; q < filters; q += 4) {
			f4 d = splat(0);
			if (py < oh && px < ow) {
				v128_t here = wasm_i32x4_eq(wasm_v128_load(which + out + q), wasm_i32x4_add(at, wasm_i32x4_splat(q)));
				d = wasm_v128_and(load(dpooled + out + q), here);
			}
			store(row + x * filters + q, d);
		}
	}
}

/*
 * dkernel[k x k x c x filters] = the filter gradient of conv_direct_forward's convolution, one output row at a time (dz's
 * row stays in L1). With which not 0, the pooling was fused: dz is the pooled gradient, and each row of the output
 * gradient is spread from it (unpool_row) into `row` (w x filters floats), so the full map's gradient is never written.
 */
void conv_direct_filter_gradient(const f32 *padded, const f32 *dz, const int *which, f32 *row, f32 *dkernel, int batch, int ph, int pw, int c, int k, int filters) {
	int h = ph - k + 1, w = pw - k + 1;
	for (int i = 0; i < k * k * c * filters; i++) {
		dkernel[i] = 0;
	}
	for (int b = 0; b < batch; b++) {
		for (int y = 0; y < h; y++) {
			const f32 *p = padded + (b * ph + y) * pw * c;
			const f32 *d = dz + (b * h + y) * w * filters;
			if (which) {
				unpool_row(dz, which, row, b, y, h, w, filters);
				d = row;
			}
			for (int f = 0; f < filters; f += 16) {
				switch ((filters - f) / 4) {
				case 1: direct_gradient_row(p, c, pw * c, k, d + f, filters, dkernel + f, w, 1); break;
				case 2: direct_gradient_row(p, c, pw * c, k, d + f, filters, dkernel + f, w, 2); break;
				case 3: direct_gradient_row(p, c, pw * c, k, d + f, filters, dkernel + f, w, 3); break;
				default: direct_gradient_row(p, c, pw * c, k, d + f, filters, dkernel + f, w, 4); break;
				}
			}
		}
	}
}

/*
 * Winograd convolution (issue 17), the other way to run the stride-1 'same' convolutions above: F(m x m, r x r)
 * computes an m x m tile of outputs from an n x n tile of inputs, n = m + r - 1, with n n multiplies per channel
 * pair where the windows take m m r r. Per tile and channel the input tile d becomes V = B^T d B, per channel pair
 * the kernel g becomes U = G g G^T, and Y = A^T (sum over channels of U . V) A. The sum over channels is, for each
 * of the n n points, one product [tiles x c] . [c x filters] on the blocked GEMM above. The backward passes are the
 * same maps transposed (exact by the chain rule): dM = A dY A^T per tile, dU = V^T . dM and dV = dM . U^T per point,
 * then dg = G^T dU G and d_input += B dV B^T, summed over the overlapping tiles. The transform matrices (BT n x n,
 * AT m x n, G n x r, row-major, one after the other) come from the caller (kernels/conv.ts builds them from the
 * interpolation points). Images are NHWC and unpadded: tiles past an edge read zeros and write nothing there.
 * Channels and filters are multiples of 4 (the transforms run 4 channels to a lane), n at most 8. A pass runs
 * `chunk` images at a time so that the tiles' V and M stay in cache between the transforms and the products; the
 * caller's `work` holds n n (chunk tiles (c + filters) + 2 WINO_SKEW) + 2 n n c filters + (3 n n + n) max(c, filters, 64)
 * floats (wino_work_of lays them out).
 */
#define WINO_MAX 8
#define WINO_BLOCK 64
/*
 * Floats between consecutive point blocks of V, M and dM beyond the block itself. A block of 48 tiles x 64 filters is
 * 12 KB, a multiple of 4 KB, so without a gap a tile's 64 points (which the transforms read or write one after another)
 * all fall in the same L1 set, and 8 ways hold 8 of them: each load went to L2. One cache line more per block spreads
 * them over 64 sets. Measured (fused build, batch 32, 14x14 32 -> 64, best of 3x9 rounds, 2026-12-02 02:40 UTC): the
 * forward pass 5.66 -> 4.59 ms.
 */
#define WINO_SKEW 16

/*
 * The nonzero entries of each row of an o x a matrix whose element (i, u) is at l[i li + u lu]: the transforms skip
 * zeros. Two symmetries of the points +p and -p halve work where they hold:
 * - Rows that agree up to the sign of some entries (row j = row i with the entries in `odd` negated) cost one row's
 *   multiplies: e = the row's sum over the other entries, o over those, then row i = e + o and row j = e - o.
 *   partner[i] is j for the first of a pair, -2 for the second, -1 alone. (B^T's and G's rows, A's.)
 * - Columns that agree up to sign in every row (column u' = column u, or its negation, row by row) turn each line x
 *   into y first: y[u] = x[u] + x[u'], y[u'] = x[u] - x[u'], the other points as they are; then a row reads one of the
 *   two where it read both (its entries `at` index y). (A^T's columns, and B's and G^T's.) A matrix has one kind or the other.
 */
typedef struct {
	int rows;
	int partner[WINO_MAX];
	int count[WINO_MAX];
	int at[WINO_MAX][WINO_MAX];
	f32 value[WINO_MAX][WINO_MAX];
	/* For the first row of a pair: its entries the partner shares with a flipped sign. */
	int odd_count[WINO_MAX];
	int odd_at[WINO_MAX][WINO_MAX];
	f32 odd_value[WINO_MAX][WINO_MAX];
	/* paired[u] is u' for the first column of a pair, -2 for the second, -1 alone; pairs counts them. */
	int pairs;
	int paired[WINO_MAX];
} sparse_rows;

/* Whether column j of the o x a matrix is column i or its negation in every row, and not all zeros. */
static int columns_pair(const f32 *l, int o, int li, int lu, int i, int j) {
	int nonzero = 0;
	for (int r = 0; r < o; r++) {
		f32 x = l[r * li + i * lu], y = l[r * li + j * lu];
		if (y != x && y != -x) {
			return 0;
		}
		nonzero |= x != 0;
	}
	return nonzero;
}

static void sparse_of(sparse_rows *s, const f32 *l, int o, int a, int li, int lu) {
	s->rows = o;
	s->pairs = 0;
	for (int u = 0; u < a; u++) {
		s->paired[u] = -1;
	}
	for (int u = 0; u < a; u++) {
		for (int j = u + 1; j < a && s->paired[u] == -1; j++) {
			if (s->paired[j] == -1 && columns_pair(l, o, li, lu, u, j)) {
				s->paired[u] = j;
				s->paired[j] = -2;
				s->pairs++;
			}
		}
	}
	for (int i = 0; i < o; i++) {
		s->partner[i] = -1;
		s->count[i] = 0;
		s->odd_count[i] = 0;
	}
	for (int i = 0; i < o && !s->pairs; i++) {
		if (s->partner[i] != -1) {
			continue;
		}
		for (int j = i + 1; j < o && s->partner[i] == -1; j++) {
			int same = 1, flipped = 0;
			for (int u = 0; u < a; u++) {
				f32 x = l[i * li + u * lu], y = l[j * li + u * lu];
				if (y == -x && x != 0) {
					flipped++;
				} else if (y != x) {
					same = 0;
				}
			}
			if (same && flipped > 0 && s->partner[j] == -1) {
				s->partner[i] = j;
				s->partner[j] = -2;
			}
		}
	}
	for (int i = 0; i < o; i++) {
		int j = s->partner[i];
		for (int u = 0; u < a; u++) {
			f32 v = l[i * li + u * lu];
			if (v == 0 || s->paired[u] == -2) {
				continue;
			}
			int pair = s->paired[u];
			if (j >= 0 && l[j * li + u * lu] == -v) {
				s->odd_at[i][s->odd_count[i]] = u;
				s->odd_value[i][s->odd_count[i]] = v;
				s->odd_count[i]++;
			} else {
				/* Of a column pair, the sum (at u) where the row's two entries agree, else the difference (at u'). */
				s->at[i][s->count[i]] = pair >= 0 && l[i * li + pair * lu] != v ? pair : u;
				s->value[i][s->count[i]] = v;
				s->count[i]++;
			}
		}
	}
}

/* y = the line x (a points of ch channels, point u at x + u stride) with its column pairs turned into sums and differences (sparse_rows). */
static void pair_columns(const sparse_rows *l, int a, const f32 *x, int stride, f32 *y, int ch) {
	for (int u = 0; u < a; u++) {
		int j = l->paired[u];
		if (j == -2) {
			continue;
		}
		const f32 *first = x + u * stride;
		if (j == -1) {
			for (int q = 0; q < ch; q += 4) {
				store(y + u * ch + q, load(first + q));
			}
			continue;
		}
		const f32 *second = x + j * stride;
		for (int q = 0; q < ch; q += 4) {
			f4 p = load(first + q), m = load(second + q);
			store(y + u * ch + q, wasm_f32x4_add(p, m));
			store(y + j * ch + q, wasm_f32x4_sub(p, m));
		}
	}
}

/*
 * out[q] = sum over e < count of value[e] in[at[e] stride + q], for q < ch (a multiple of 4): one row of L applied to a
 * line of points. 16 channels at a time (four chains of multiply-adds in flight, each coefficient splat once), then 4.
 */
static inline void combine(int count, const int *at, const f32 *value, const f32 *in, int stride, f32 *out, int ch) {
	int q = 0;
	for (; q + 16 <= ch; q += 16) {
		f4 a0 = splat(0), a1 = splat(0), a2 = splat(0), a3 = splat(0);
		for (int e = 0; e < count; e++) {
			const f32 *x = in + at[e] * stride + q;
			f4 l = splat(value[e]);
			a0 = madd(a0, l, load(x));
			a1 = madd(a1, l, load(x + 4));
			a2 = madd(a2, l, load(x + 8));
			a3 = madd(a3, l, load(x + 12));
		}
		store(out + q, a0);
		store(out + q + 4, a1);
		store(out + q + 8, a2);
		store(out + q + 12, a3);
	}
	for (; q < ch; q += 4) {
		f4 acc = splat(0);
		for (int e = 0; e < count; e++) {
			acc = madd(acc, splat(value[e]), load(in + at[e] * stride + q));
		}
		store(out + q, acc);
	}
}

/* A pair of rows (sparse_rows): first[q] = e + o and second[q] = e - o, e over the shared entries, o over the odd ones. 8 channels at a time, then 4. */
static inline void combine_pair(const sparse_rows *l, int i, const f32 *in, int stride, f32 *first, f32 *second, int ch) {
	int count = l->count[i], odd = l->odd_count[i];
	const int *at = l->at[i], *odd_at = l->odd_at[i];
	const f32 *value = l->value[i], *odd_value = l->odd_value[i];
	int q = 0;
	for (; q + 8 <= ch; q += 8) {
		f4 e0 = splat(0), e1 = splat(0), o0 = splat(0), o1 = splat(0);
		for (int e = 0; e < count; e++) {
			const f32 *x = in + at[e] * stride + q;
			f4 c = splat(value[e]);
			e0 = madd(e0, c, load(x));
			e1 = madd(e1, c, load(x + 4));
		}
		for (int e = 0; e < odd; e++) {
			const f32 *x = in + odd_at[e] * stride + q;
			f4 c = splat(odd_value[e]);
			o0 = madd(o0, c, load(x));
			o1 = madd(o1, c, load(x + 4));
		}
		store(first + q, wasm_f32x4_add(e0, o0));
		store(first + q + 4, wasm_f32x4_add(e1, o1));
		store(second + q, wasm_f32x4_sub(e0, o0));
		store(second + q + 4, wasm_f32x4_sub(e1, o1));
	}
	for (; q < ch; q += 4) {
		f4 e0 = splat(0), o0 = splat(0);
		for (int e = 0; e < count; e++) {
			e0 = madd(e0, splat(value[e]), load(in + at[e] * stride + q));
		}
		for (int e = 0; e < odd; e++) {
			o0 = madd(o0, splat(odd_value[e]), load(in + odd_at[e] * stride + q));
		}
		store(first + q, wasm_f32x4_add(e0, o0));
		store(second + q, wasm_f32x4_sub(e0, o0));
	}
}

/* out + j stride_out = row j of L applied to the line in (a points, point u at in + u stride), for every row j; ch a multiple of 4. */
static inline void apply_rows(const sparse_rows *l, const f32 *in, int stride, f32 *out, int out_stride, int ch) {
	for (int j = 0; j < l->rows; j++) {
		int partner = l->partner[j];
		if (partner >= 0) {
			combine_pair(l, j, in, stride, out + j * out_stride, out + partner * out_stride, ch);
		} else if (partner == -1) {
			combine(l->count[j], l->at[j], l->value[j], in, stride, out + j * out_stride, ch);
		}
	}
}

/*
 * y = L x L^T for an a x a tile x of ch-channel points and o x a L: y(i, j)[q] = sum over u, v of L(i, u) x(u, v)[q] L(j, v),
 * point (u, v) of x at x + u xr + v xs, (i, j) of y at y + i yr + j ys; ch a multiple of 4; tmp holds (o + 1) a ch floats.
 */
static void transform(const sparse_rows *l, int a, const f32 *x, int xr, int xs, f32 *y, int yr, int ys, int ch, f32 *tmp) {
	int o = l->rows;
	f32 *line = tmp + o * a * ch;
	for (int v = 0; v < a; v++) {
		const f32 *in = x + v * xs;
		int stride = xr;
		if (l->pairs) {
			pair_columns(l, a, in, stride, line, ch);
			in = line;
			stride = ch;
		}
		apply_rows(l, in, stride, tmp + v * ch, a * ch, ch);
	}
	for (int i = 0; i < o; i++) {
		const f32 *in = tmp + i * a * ch;
		if (l->pairs) {
			pair_columns(l, a, in, ch, line, ch);
			in = line;
		}
		apply_rows(l, in, ch, y + i * yr, ys, ch);
	}
}

/* tile(u, v) = image(y0 + u, x0 + v) for u, v < a (an h x w image of ch channels), zeros outside the image. */
static void gather_tile(const f32 *image, int h, int w, int ch, int y0, int x0, int a, f32 *tile) {
	for (int u = 0; u < a; u++) {
		for (int v = 0; v < a; v++) {
			int y = y0 + u, x = x0 + v;
			f32 *out = tile + (u * a + v) * ch;
			const f32 *in = image + (y * w + x) * ch;
			int inside = y >= 0 && y < h && x >= 0 && x < w;
			for (int q = 0; q < ch; q += 4) {
				store(out + q, inside ? load(in + q) : splat(0));
			}
		}
	}
}

/*
 * image(y0 + u, x0 + v) = tile(u, v) (+ bias), or += with add, for the tile's points inside the image: tc channels a
 * point in the tile, from the channel the image pointer starts at in the image's ch.
 */
static void scatter_tile(const f32 *tile, int a, int tc, f32 *image, int h, int w, int ch, int y0, int x0, const f32 *bias, int add) {
	for (int u = 0; u < a; u++) {
		int y = y0 + u;
		if (y < 0 || y >= h) {
			continue;
		}
		for (int v = 0; v < a; v++) {
			int x = x0 + v;
			if (x < 0 || x >= w) {
				continue;
			}
			const f32 *in = tile + (u * a + v) * tc;
			f32 *out = image + (y * w + x) * ch;
			for (int q = 0; q < tc; q += 4) {
				f4 value = load(in + q);
				if (add) {
					value = wasm_f32x4_add(value, load(out + q));
				} else if (bias) {
					value = wasm_f32x4_add(value, load(bias + q));
				}
				store(out + q, value);
			}
		}
	}
}

/*
 * With 2x2 max pooling fused into the forward pass: the pooled outputs of an output tile (a x a, a even, at even y0
 * and x0; an image of h x w x ch), each window's four values + bias, and the winners' offsets in z (base: that of
 * the tile's first channel), exactly as maxpool over z gives them (the first largest in row-major window order). z is
 * never written. tc channels as scatter_tile's.
 */
static void pool_tile(const f32 *tile, int a, int tc, f32 *pooled, int *which, int h, int w, int ch, int y0, int x0, const f32 *bias, int base) {
	int oh = h / 2, ow = w / 2;
	int from[4] = {0, tc, a * tc, (a + 1) * tc}, offsets[4] = {0, ch, w * ch, (w + 1) * ch};
	for (int wy = 0; wy < a / 2 && y0 / 2 + wy < oh; wy++) {
		int py = y0 / 2 + wy;
		for (int wx = 0; wx < a / 2 && x0 / 2 + wx < ow; wx++) {
			int px = x0 / 2 + wx;
			const f32 *in = tile + (2 * wy * a + 2 * wx) * tc;
			int first = base + (2 * py * w + 2 * px) * ch, out = (py * ow + px) * ch;
			for (int q = 0; q < tc; q += 4) {
				f4 values[4], max;
				for (int t = 0; t < 4; t++) {
					values[t] = bias ? wasm_f32x4_add(load(in + from[t] + q), load(bias + q)) : load(in + from[t] + q);
				}
				v128_t best;
				window_max(values, wasm_i32x4_add(wasm_i32x4_splat(first + q), wasm_i32x4_make(0, 1, 2, 3)), offsets, &max, &best);
				store(pooled + out + q, max);
				wasm_v128_store(which + out + q, best);
			}
		}
	}
}

/*
 * Where a backward pass reads an image's output gradient dY (h x w x ch): d itself, or with the pooling fused (which
 * not 0), the pooled gradient d (h/2 x w/2 x ch) and the pool's winners, spread as maxpool_backward would spread it:
 * a pixel gets its window's gradient where it won (which holds z offsets from base, the image's first), else 0, as do
 * the rows and columns the pool dropped.
 */
typedef struct {
	const f32 *d;
	const int *which;
	int h, w, ch, base;
} dy_image;

/* dY at (y, x), channels q to q + 3, for y, x >= 0: zeros past the image. */
static inline __attribute__((always_inline)) f4 dy_at(const dy_image *g, int y, int x, int q) {
	if (y >= g->h || x >= g->w) {
		return splat(0);
	}
	if (!g->which) {
		return load(g->d + (y * g->w + x) * g->ch + q);
	}
	int ow = g->w / 2, py = y / 2, px = x / 2;
	if (py >= g->h / 2 || px >= ow) {
		return splat(0);
	}
	int o = (py * ow + px) * g->ch + q;
	v128_t here = wasm_i32x4_add(wasm_i32x4_splat(g->base + (y * g->w + x) * g->ch + q), wasm_i32x4_make(0, 1, 2, 3));
	return wasm_v128_and(load(g->d + o), wasm_i32x4_eq(wasm_v128_load(g->which + o), here));
}

/* tile(u, v) = dY(y0 + u, x0 + v) for u, v < a. */
static void gather_dy(const dy_image *g, int y0, int x0, int a, f32 *tile) {
	for (int u = 0; u < a; u++) {
		for (int v = 0; v < a; v++) {
			for (int q = 0; q < g->ch; q += 4) {
				store(tile + (u * a + v) * g->ch + q, dy_at(g, y0 + u, x0 + v, q));
			}
		}
	}
}

/*
 * The input transform of F(4x4, 5x5), the benchmark CNN's, written out: B^T at the points 0, +-1, +-2, +-1/2 and
 * infinity, as kernels/conv.ts winogradMatrices(4, 5) builds it (wino_shape_of takes this path only when the caller's
 * matrix is this one). A line's 8 points stay in registers and the coefficients are constants, where the general
 * transform reads each point again from memory for every row and each coefficient from the table: measured 2.5x faster
 * on 48 tiles of 32 channels held in L1 (0.048 against 0.121 ms, plain build, best of 15 rounds, 2026-12-02 00:38 UTC).
 * In a whole pass the gain is far smaller (the scattered writes of V to its 64 point blocks bound it): with the output
 * and input-gradient transforms below also written out, a batch-32 forward pass 6.70 -> 6.62 ms and backward pass
 * 10.76 -> 9.97 ms (best of 15 alternating rounds, plain build, 2026-12-02 00:41 UTC).
 */
/*
 * Between the lines of a written-out transform's first pass. Fully unrolled, a transform's 64 loads have no order
 * among themselves, and clang issues them all first with their 64 addresses; V8 then keeps those addresses and the
 * loaded points on its stack (its 16 vector registers hold a line, not a tile) and reloads each. An empty asm that
 * clobbers memory keeps each line's loads after the previous line's stores: measured (fused build, batch 32, 14x14
 * 32 -> 64, pooled, best of 5x9 rounds, 2026-12-02 03:20 UTC) the forward pass 3.90 -> 3.51 ms; the plain build, whose
 * loads clang keeps in order already, compiles to the same module.
 */
static inline __attribute__((always_inline)) void line_done(void) { __asm__ volatile("" ::: "memory"); }

static const f32 BT_F4_5[64] = {
	4, 0, -21, 0, 21, 0, -4, 0,
	0, -4, -4, 17, 17, -4, -4, 0,
	0, 4, -4, -17, 17, 4, -4, 0,
	0, 2, 1, -10, -5, 8, 4, 0,
	0, -2, 1, 10, -5, -8, 4, 0,
	0, 64, 128, -80, -160, 16, 32, 0,
	0, -64, 128, 80, -160, -16, 32, 0,
	0, -4, 0, 21, 0, -21, 0, 4,
};

/* r = B^T x for one line of 8 points (4 lanes each), the pairs of rows for +-p as e + o and e - o. */
static inline __attribute__((always_inline)) void bt_f4_5(const f4 *x, f4 *r) {
	r[0] = madd(wasm_f32x4_mul(wasm_f32x4_sub(x[4], x[2]), splat(21)), wasm_f32x4_sub(x[0], x[6]), splat(4));
	r[7] = madd(wasm_f32x4_mul(wasm_f32x4_sub(x[3], x[5]), splat(21)), wasm_f32x4_sub(x[7], x[1]), splat(4));
	f4 e = madd(wasm_f32x4_mul(x[4], splat(17)), wasm_f32x4_add(x[2], x[6]), splat(-4));
	f4 o = madd(wasm_f32x4_mul(x[3], splat(17)), wasm_f32x4_add(x[1], x[5]), splat(-4));
	r[1] = wasm_f32x4_add(e, o);
	r[2] = wasm_f32x4_sub(e, o);
	e = madd(madd(x[2], x[4], splat(-5)), x[6], splat(4));
	o = madd(madd(wasm_f32x4_mul(x[1], splat(2)), x[3], splat(-10)), x[5], splat(8));
	r[3] = wasm_f32x4_add(e, o);
	r[4] = wasm_f32x4_sub(e, o);
	e = madd(madd(wasm_f32x4_mul(x[2], splat(128)), x[4], splat(-160)), x[6], splat(32));
	o = madd(madd(wasm_f32x4_mul(x[1], splat(64)), x[3], splat(-80)), x[5], splat(16));
	r[5] = wasm_f32x4_add(e, o);
	r[6] = wasm_f32x4_sub(e, o);
}

/*
 * transform(&bt, 8, ...) for F(4x4, 5x5): y = B^T x B for the 8x8 tile at (y0, x0) of an h x w image of ch channels,
 * 4 channels at a time, read in place with zeros past the image's edges (where gathering the tile first cost 0.2 ms of
 * a batch-32 pass: 12 of the 14x14 map's 16 tiles cross an edge).
 */
static inline __attribute__((always_inline)) void input_transform_f4_5_at(const f32 *image, int h, int w, int y0, int x0, f32 *y, int yr, int ys, int ch, int edge) {
	int u0 = y0 < 0 ? -y0 : 0, u1 = h - y0 < 8 ? h - y0 : 8, v0 = x0 < 0 ? -x0 : 0, v1 = w - x0 < 8 ? w - x0 : 8;
	for (int q = 0; q < ch; q += 4) {
		f4 t[64], line[8], r[8];
		for (int v = 0; v < 8; v++) {
			for (int u = 0; u < 8; u++) {
				line[u] = !edge || (u >= u0 && u < u1 && v >= v0 && v < v1) ? load(image + ((y0 + u) * w + x0 + v) * ch + q) : splat(0);
			}
			bt_f4_5(line, r);
			for (int i = 0; i < 8; i++) {
				t[i * 8 + v] = r[i];
			}
			line_done();
		}
		for (int i = 0; i < 8; i++) {
			bt_f4_5(t + i * 8, r);
			for (int j = 0; j < 8; j++) {
				store(y + i * yr + j * ys + q, r[j]);
			}
		}
	}
}

static void input_transform_f4_5(const f32 *image, int h, int w, int y0, int x0, f32 *y, int yr, int ys, int ch) {
	if (y0 < 0 || x0 < 0 || y0 + 8 > h || x0 + 8 > w) {
		input_transform_f4_5_at(image, h, w, y0, x0, y, yr, ys, ch, 1);
	} else {
		input_transform_f4_5_at(image, h, w, y0, x0, y, yr, ys, ch, 0);
	}
}

/* A^T of F(4x4, 5x5) (the output transform), as winogradMatrices(4, 5) builds it. */
static const f32 AT_F4_5[32] = {
	1, 1, 1, 1, 1, 1, 1, 0,
	0, 1, -1, 2, -2, 0.5f, -0.5f, 0,
	0, 1, 1, 4, 4, 0.25f, 0.25f, 0,
	0, 1, -1, 8, -8, 0.125f, -0.125f, 1,
};

/* r = A^T x for a line of 8 points: the +-p points' sums and differences once, then the 4 rows. */
static inline __attribute__((always_inline)) void at_f4_5(const f4 *x, f4 *r) {
	f4 s1 = wasm_f32x4_add(x[1], x[2]), d1 = wasm_f32x4_sub(x[1], x[2]);
	f4 s2 = wasm_f32x4_add(x[3], x[4]), d2 = wasm_f32x4_sub(x[3], x[4]);
	f4 s3 = wasm_f32x4_add(x[5], x[6]), d3 = wasm_f32x4_sub(x[5], x[6]);
	r[0] = wasm_f32x4_add(wasm_f32x4_add(x[0], s1), wasm_f32x4_add(s2, s3));
	r[1] = madd(madd(d1, d2, splat(2)), d3, splat(0.5f));
	r[2] = madd(madd(s1, s2, splat(4)), s3, splat(0.25f));
	r[3] = madd(madd(wasm_f32x4_add(d1, x[7]), d2, splat(8)), d3, splat(0.125f));
}

/* transform(&at, 8, ...) for F(4x4, 5x5): the 4x4 outputs y = A^T x A of an 8x8 tile, 4 channels at a time. */
static void output_transform_f4_5(const f32 *x, int xr, int xs, f32 *y, int yr, int ys, int ch) {
	for (int q = 0; q < ch; q += 4) {
		f4 t[32], line[8], r[4];
		for (int v = 0; v < 8; v++) {
			for (int u = 0; u < 8; u++) {
				line[u] = load(x + u * xr + v * xs + q);
			}
			at_f4_5(line, r);
			for (int i = 0; i < 4; i++) {
				t[i * 8 + v] = r[i];
			}
			line_done();
		}
		for (int i = 0; i < 4; i++) {
			at_f4_5(t + i * 8, r);
			for (int j = 0; j < 4; j++) {
				store(y + i * yr + j * ys + q, r[j]);
			}
		}
	}
}

/* r = A x for a line of 4 points (A = the transpose of AT_F4_5): the output gradient's transform, 4 points to 8. */
static inline __attribute__((always_inline)) void a_f4_5(const f4 *x, f4 *r) {
	f4 e1 = wasm_f32x4_add(x[0], x[2]), o1 = wasm_f32x4_add(x[1], x[3]);
	f4 e2 = madd(x[0], x[2], splat(4)), o2 = madd(wasm_f32x4_mul(x[1], splat(2)), x[3], splat(8));
	f4 e3 = madd(x[0], x[2], splat(0.25f)), o3 = madd(wasm_f32x4_mul(x[1], splat(0.5f)), x[3], splat(0.125f));
	r[0] = x[0];
	r[1] = wasm_f32x4_add(e1, o1);
	r[2] = wasm_f32x4_sub(e1, o1);
	r[3] = wasm_f32x4_add(e2, o2);
	r[4] = wasm_f32x4_sub(e2, o2);
	r[5] = wasm_f32x4_add(e3, o3);
	r[6] = wasm_f32x4_sub(e3, o3);
	r[7] = x[3];
}

/*
 * transform(&a, 4, ...) for F(4x4, 5x5): the 8x8 points dM = A dY A^T of a 4x4 tile of the output gradient (4
 * channels, d[u 4 + v]), stored at y + i yr + j ys. The caller loads the tile straight from dz, zeros past its edges.
 */
static inline __attribute__((always_inline)) void output_gradient_f4_5(const f4 *d, f32 *y, int yr, int ys) {
	f4 t[32], line[4], r[8];
	for (int v = 0; v < 4; v++) {
		for (int u = 0; u < 4; u++) {
			line[u] = d[u * 4 + v];
		}
		a_f4_5(line, r);
		for (int i = 0; i < 8; i++) {
			t[i * 4 + v] = r[i];
		}
		line_done();
	}
	for (int i = 0; i < 8; i++) {
		a_f4_5(t + i * 4, r);
		for (int j = 0; j < 8; j++) {
			store(y + i * yr + j * ys, r[j]);
		}
	}
}

/* output_gradient_f4_5 for every 4 channels of the tile of dY at (y0, x0). */
static void output_gradient_tile_f4_5(const dy_image *g, int y0, int x0, f32 *y, int yr, int ys) {
	for (int q = 0; q < g->ch; q += 4) {
		f4 d[16];
		for (int u = 0; u < 4; u++) {
			for (int v = 0; v < 4; v++) {
				d[u * 4 + v] = dy_at(g, y0 + u, x0 + v, q);
			}
		}
		output_gradient_f4_5(d, y + q, yr, ys);
	}
}

/* r = B x (B = the transpose of BT_F4_5) for a line of 8 points: the input gradient's transform. */
static inline __attribute__((always_inline)) void b_f4_5(const f4 *x, f4 *r) {
	f4 s1 = wasm_f32x4_add(x[1], x[2]), d1 = wasm_f32x4_sub(x[1], x[2]);
	f4 s2 = wasm_f32x4_add(x[3], x[4]), d2 = wasm_f32x4_sub(x[3], x[4]);
	f4 s3 = wasm_f32x4_add(x[5], x[6]), d3 = wasm_f32x4_sub(x[5], x[6]);
	r[0] = wasm_f32x4_mul(x[0], splat(4));
	r[1] = madd(madd(madd(wasm_f32x4_mul(d1, splat(-4)), d2, splat(2)), d3, splat(64)), x[7], splat(-4));
	r[2] = madd(madd(madd(wasm_f32x4_mul(x[0], splat(-21)), s1, splat(-4)), s3, splat(128)), s2, splat(1));
	r[3] = madd(madd(madd(wasm_f32x4_mul(d1, splat(17)), d2, splat(-10)), d3, splat(-80)), x[7], splat(21));
	r[4] = madd(madd(madd(wasm_f32x4_mul(x[0], splat(21)), s1, splat(17)), s2, splat(-5)), s3, splat(-160));
	r[5] = madd(madd(madd(wasm_f32x4_mul(d1, splat(-4)), d2, splat(8)), d3, splat(16)), x[7], splat(-21));
	r[6] = madd(madd(madd(wasm_f32x4_mul(x[0], splat(-4)), s1, splat(-4)), s2, splat(4)), s3, splat(32));
	r[7] = wasm_f32x4_mul(x[7], splat(4));
}

/* transform(&b, 8, ...) for F(4x4, 5x5): y = B x B^T of an 8x8 tile, 4 channels at a time. */
static void gradient_transform_f4_5(const f32 *x, int xr, int xs, f32 *y, int yr, int ys, int ch) {
	for (int q = 0; q < ch; q += 4) {
		f4 t[64], line[8], r[8];
		for (int v = 0; v < 8; v++) {
			for (int u = 0; u < 8; u++) {
				line[u] = load(x + u * xr + v * xs + q);
			}
			b_f4_5(line, r);
			for (int i = 0; i < 8; i++) {
				t[i * 8 + v] = r[i];
			}
			line_done();
		}
		for (int i = 0; i < 8; i++) {
			b_f4_5(t + i * 8, r);
			for (int j = 0; j < 8; j++) {
				store(y + i * yr + j * ys + q, r[j]);
			}
		}
	}
}

/* A pass's tile geometry and the transforms' nonzeros, from the caller's shape and matrices. */
typedef struct {
	int h, w, c, filters, m, r, n, points, pad, rows, cols, tiles;
	/* Whether B^T and A^T are F(4x4, 5x5)'s, which the *_transform_f4_5 functions compute with their constants. */
	int bt_f4_5, at_f4_5;
	sparse_rows bt, at, b, a, g, gt;
} wino_shape;

static void wino_shape_of(wino_shape *s, const f32 *transforms, int h, int w, int c, int filters, int m, int r) {
	int n = m + r - 1;
	const f32 *bt = transforms, *at = bt + n * n, *g = at + m * n;
	s->h = h; s->w = w; s->c = c; s->filters = filters; s->m = m; s->r = r; s->n = n;
	s->points = n * n;
	s->pad = (r - 1) / 2;
	s->rows = (h + m - 1) / m;
	s->cols = (w + m - 1) / m;
	s->tiles = s->rows * s->cols;
	s->bt_f4_5 = n == 8;
	for (int i = 0; i < n * n && s->bt_f4_5; i++) {
		s->bt_f4_5 = bt[i] == BT_F4_5[i];
	}
	s->at_f4_5 = n == 8 && m == 4;
	for (int i = 0; i < m * n && s->at_f4_5; i++) {
		s->at_f4_5 = at[i] == AT_F4_5[i];
	}
	sparse_of(&s->bt, bt, n, n, n, 1);
	sparse_of(&s->b, bt, n, n, 1, n);
	sparse_of(&s->at, at, m, n, n, 1);
	sparse_of(&s->a, at, n, m, 1, n);
	sparse_of(&s->g, g, n, r, r, 1);
	sparse_of(&s->gt, g, r, n, 1, r);
}

/* v(point)[t][ch] = (B^T d B)(point) for the input tile d of each of `images` images' tiles t, from image `first` on. */
static void input_tiles(const wino_shape *s, const f32 *input, int first, int images, f32 *v, int vs, f32 *tile, f32 *tmp) {
	int c = s->c, n = s->n;
	for (int b = 0, t = 0; b < images; b++) {
		const f32 *image = input + (first + b) * s->h * s->w * c;
		for (int i = 0; i < s->rows; i++) {
			for (int j = 0; j < s->cols; j++, t++) {
				int y0 = i * s->m - s->pad, x0 = j * s->m - s->pad;
				if (s->bt_f4_5) {
					input_transform_f4_5(image, s->h, s->w, y0, x0, v + t * c, n * vs, vs, c);
					continue;
				}
				const f32 *x = image + (y0 * s->w + x0) * c;
				int xr = s->w * c;
				if (y0 < 0 || x0 < 0 || y0 + n > s->h || x0 + n > s->w) {
					gather_tile(image, s->h, s->w, c, y0, x0, n, tile);
					x = tile;
					xr = n * c;
				}
				transform(&s->bt, n, x, xr, c, v + t * c, n * vs, vs, c, tmp);
			}
		}
	}
}

/* u(point)[c][filter] = (G g G^T)(point) for the kernel g[r][r][c][filters]: the kernel in the transformed domain. */
void winograd_kernel(const f32 *kernel, f32 *u, f32 *work, const f32 *transforms, int c, int filters, int m, int r) {
	wino_shape s;
	wino_shape_of(&s, transforms, r, r, c, filters, m, r);
	int cf = c * filters;
	for (int q = 0; q < cf; q += WINO_BLOCK) {
		int ch = cf - q < WINO_BLOCK ? cf - q : WINO_BLOCK;
		transform(&s.g, r, kernel + q, r * cf, cf, u + q, s.n * cf, cf, ch, work);
	}
}

/*
 * A pass's scratch, from the caller's work: V (each point's block of a chunk's tiles x c, blocks WINO_SKEW floats
 * apart), M or dM (tiles x filters a point, likewise), the backward pass's dU and U transposed (n n c filters each),
 * then room for a tile, the general transform's lines and an output tile.
 */
typedef struct {
	f32 *v, *m, *du, *ut, *tile, *tmp, *y;
} wino_work;

static void wino_work_of(wino_work *o, const wino_shape *s, f32 *work, int chunk) {
	int points = s->points, cf = s->c * s->filters, wide = s->c > s->filters ? s->c : s->filters;
	wide = wide > WINO_BLOCK ? wide : WINO_BLOCK;
	o->v = work;
	o->m = o->v + points * (chunk * s->tiles * s->c + WINO_SKEW);
	o->du = o->m + points * (chunk * s->tiles * s->filters + WINO_SKEW);
	o->ut = o->du + points * cf;
	o->tile = o->ut + points * cf;
	o->tmp = o->tile + points * wide;
	o->y = o->tmp + (points + s->n) * wide;
}

/*
 * A point's product on the 4x8 tile, everything read in place: c (rows x cols, rows ldc apart) = a . b, or += with add,
 * over k steps, a's element (i, p) at a[i ra + p ca], b's row p at b + p rb. The operands are a few KB (in L1) and the
 * products 32 to 64 steps deep, too short to repay packing; a transposed a (ra 1) reads its 4 rows from one line.
 * The forward pass's m (count x fc) = v (count x c) . u's fc columns (rows filters apart). The pass takes the filters WINO_FILTERS at a time (a block of M, 64
 * points of count x 16, 200 KB, stays in L2 from the products to the output transform, where all 64 filters' 790 KB
 * went out to L3): measured (fused build, batch 32, 14x14 32 -> 64, best of 5x9 rounds, 2026-12-02 02:40 UTC)
 * 4.44 ms forward through gemm and the whole M, 4.14 through this and the whole M, 3.94 with blocks of 16 filters.
 */
#define WINO_FILTERS 16

static void wino_product(int rows, int cols, int k, const f32 *a, int ra, int ca, const f32 *b, int rb, f32 *c, int ldc, int add) {
	for (int jr = 0; jr < cols; jr += NR) {
		int nc = cols - jr < NR ? cols - jr : NR;
		for (int ir = 0; ir < rows; ir += MR) {
			int mr = rows - ir < MR ? rows - ir : MR;
			const f32 *a0 = a + ir * ra;
			tile(k, a0, mr > 1 ? a0 + ra : a0, mr > 2 ? a0 + 2 * ra : a0, mr > 3 ? a0 + 3 * ra : a0, ca, 0, b + jr, rb, c + ir * ldc + jr, ldc, mr, nc, add, 0);
		}
	}
}

/*
 * z[batch x h x w x filters] = the 'same' convolution of input[batch x h x w x c] by the kernel that winograd_kernel
 * turned into u (+ bias); or, where pooled is not 0, z's 2x2 max pooling (pooled and which as maxpool writes them) in
 * its place, z itself never written (m even).
 */
void winograd_forward(const f32 *input, const f32 *u, const f32 *bias, f32 *z, f32 *pooled, int *which, f32 *work, const f32 *transforms, int batch, int h, int w, int c, int filters, int m, int r, int chunk) {
	wino_shape s;
	wino_shape_of(&s, transforms, h, w, c, filters, m, r);
	wino_work o;
	wino_work_of(&o, &s, work, chunk);
	int points = s.points, n = s.n, fc = filters % WINO_FILTERS ? filters : WINO_FILTERS;
	for (int first = 0; first < batch; first += chunk) {
		int images = batch - first < chunk ? batch - first : chunk, count = images * s.tiles;
		int vs = count * c + WINO_SKEW, ms = count * fc + WINO_SKEW;
		input_tiles(&s, input, first, images, o.v, vs, o.tile, o.tmp);
		for (int f = 0; f < filters; f += fc) {
			for (int p = 0; p < points; p++) {
				wino_product(count, fc, c, o.v + p * vs, c, 1, u + p * c * filters + f, filters, o.m + p * ms, fc, 0);
			}
			const f32 *bf = bias ? bias + f : 0;
			for (int b = 0, t = 0; b < images; b++) {
				int base = (first + b) * h * w * filters + f, pooled_base = (first + b) * (h / 2) * (w / 2) * filters + f;
				for (int i = 0; i < s.rows; i++) {
					for (int j = 0; j < s.cols; j++, t++) {
						if (s.at_f4_5) {
							output_transform_f4_5(o.m + t * fc, n * ms, ms, o.y, m * fc, fc, fc);
						} else {
							transform(&s.at, n, o.m + t * fc, n * ms, ms, o.y, m * fc, fc, fc, o.tmp);
						}
						if (pooled) {
							pool_tile(o.y, m, fc, pooled + pooled_base, which + pooled_base, h, w, filters, i * m, j * m, bf, base);
						} else {
							scatter_tile(o.y, m, fc, z + base, h, w, filters, i * m, j * m, bf, 0);
						}
					}
				}
			}
		}
	}
}

/*
 * From the output gradient dz: dkernel (the filter gradient) and, unless dinput is 0, dinput (the input gradient),
 * for the convolution winograd_forward ran with u. With which not 0, the pooling was fused: dz is the gradient of
 * the pooled output and which its winners, as winograd_forward wrote them. work as winograd_forward's.
 */
void winograd_backward(const f32 *input, const f32 *dz, const int *which, const f32 *u, f32 *dkernel, f32 *dinput, f32 *work, const f32 *transforms, int batch, int h, int w, int c, int filters, int m, int r, int chunk) {
	wino_shape s;
	wino_shape_of(&s, transforms, h, w, c, filters, m, r);
	wino_work o;
	wino_work_of(&o, &s, work, chunk);
	int points = s.points, n = s.n, cf = c * filters;
	if (dinput) {
		for (int i = 0; i < batch * h * w * c; i++) {
			dinput[i] = 0;
		}
		/* U transposed per point (filters x c), so that dV = dM . U^T reads it in place rather than packing it for every chunk. */
		for (int p = 0; p < points; p++) {
			for (int ch = 0; ch < c; ch++) {
				for (int f = 0; f < filters; f++) {
					o.ut[p * cf + f * c + ch] = u[p * cf + ch * filters + f];
				}
			}
		}
	}
	for (int first = 0; first < batch; first += chunk) {
		int images = batch - first < chunk ? batch - first : chunk, count = images * s.tiles;
		int vs = count * c + WINO_SKEW, ms = count * filters + WINO_SKEW;
		input_tiles(&s, input, first, images, o.v, vs, o.tile, o.tmp);
		for (int b = 0, t = 0; b < images; b++) {
			int base = (first + b) * h * w * filters, pooled_base = (first + b) * (h / 2) * (w / 2) * filters;
			dy_image g = {which ? dz + pooled_base : dz + base, which ? which + pooled_base : 0, h, w, filters, base};
			for (int i = 0; i < s.rows; i++) {
				for (int j = 0; j < s.cols; j++, t++) {
					if (s.at_f4_5) {
						output_gradient_tile_f4_5(&g, i * m, j * m, o.m + t * filters, n * ms, ms);
						continue;
					}
					gather_dy(&g, i * m, j * m, m, o.tile);
					transform(&s.a, m, o.tile, m * filters, filters, o.m + t * filters, n * ms, ms, filters, o.tmp);
				}
			}
		}
		for (int p = 0; p < points; p++) {
			f32 *vp = o.v + p * vs, *dmp = o.m + p * ms;
			wino_product(c, filters, count, vp, 1, c, dmp, filters, o.du + p * cf, filters, first > 0);
			if (dinput) {
				/* V(point) is spent: its room takes dV(point). */
				wino_product(count, c, filters, dmp, filters, 1, o.ut + p * cf, c, vp, c, 0);
			}
		}
		if (!dinput) {
			continue;
		}
		for (int b = 0, t = 0; b < images; b++) {
			f32 *image = dinput + (first + b) * h * w * c;
			for (int i = 0; i < s.rows; i++) {
				for (int j = 0; j < s.cols; j++, t++) {
					if (s.bt_f4_5) {
						gradient_transform_f4_5(o.v + t * c, n * vs, vs, o.y, n * c, c, c);
					} else {
						transform(&s.b, n, o.v + t * c, n * vs, vs, o.y, n * c, c, c, o.tmp);
					}
					scatter_tile(o.y, n, c, image, h, w, c, i * m - s.pad, j * m - s.pad, 0, 1);
				}
			}
		}
	}
	for (int q = 0; q < cf; q += WINO_BLOCK) {
		int ch = cf - q < WINO_BLOCK ? cf - q : WINO_BLOCK;
		transform(&s.gt, n, o.du + q, n * cf, cf, dkernel + q, r * cf, cf, ch, o.tmp);
	}
}

/*
 * A training batch gathered from the images kept as bytes in the arena (the dataset's pixels; x = byte / 255):
 * out's row i (pixels floats) is image rows[i]. The batch's rows lie at random in a 47 MB array (Fashion-MNIST's
 * 60,000 images), so a row's lines come from memory, each row on a page of its own. Reading a quarter of the float
 * copy's bytes; one load from every row first, so that the batch's page walks (whose tables the training step has
 * evicted from the caches) run side by side, not one per row; and touching every line of the row GATHER_AHEAD rows
 * on (an index of `known` ones) before converting this one, so that several rows' misses are in flight at once. An
 * epoch's batches take ~19 ms this way, 55-71 ms by the loop's copy of float rows (`npm run bench:epoch` prints both).
 * The floats are the dataset's own, float(byte / 255), bit for bit (bytes_to_floats).
 */
#define GATHER_AHEAD 4
typedef unsigned char u8;
static volatile int gather_touched;

static inline void bytes_to_floats(const u8 *src, f32 *dst) {
	/* A byte b as a float: the bits of 2^23 + b, less 2^23 (exact, and no conversion instruction, which clang turns
	 * into four scalar ones for unsigned lanes). Then b / 255 as b 0x1.0101p-8 + b 0x1.0101p-32, 1/255's leading 32
	 * bits in two parts: the first product is exact (8 and 9 significant bits), and the sum rounds once, to the float
	 * nearest b / 255 for every byte (a test checks all 256). Half the instructions of a double-precision multiply. */
	const f4 magic = wasm_i32x4_splat(0x4b000000), two23 = splat(8388608.0f);
	const f4 high = splat(0x1.0101p-8f), low = splat(0x1.0101p-32f);
	f4 bytes = wasm_v128_load(src);
	f4 halves[2] = {wasm_u16x8_extend_low_u8x16(bytes), wasm_u16x8_extend_high_u8x16(bytes)};
	for (int h = 0; h < 2; h++) {
		f4 words[2] = {wasm_u32x4_extend_low_u16x8(halves[h]), wasm_u32x4_extend_high_u16x8(halves[h])};
		for (int w = 0; w < 2; w++) {
			f4 value = wasm_f32x4_sub(wasm_v128_or(words[w], magic), two23);
			store(dst + (8 * h) + (4 * w), wasm_f32x4_add(wasm_f32x4_mul(value, high), wasm_f32x4_mul(value, low)));
		}
	}
}

void gather_bytes(const u8 *images, const int *rows, int count, int known, int pixels, f32 *out) {
	int touched = 0;
	int whole = pixels & ~15;
	for (int i = 0; i < count; i++) {
		touched += images[rows[i] * pixels];
	}
	for (int i = 0; i < count; i++) {
		if (i + GATHER_AHEAD < known) {
			const u8 *next = images + rows[i + GATHER_AHEAD] * pixels;
			for (int j = 0; j < pixels; j += 64) {
				touched += next[j];
			}
			touched += next[pixels - 1];
		}
		const u8 *src = images + rows[i] * pixels;
		f32 *dst = out + i * pixels;
		for (int j = 0; j < whole; j += 16) {
			bytes_to_floats(src + j, dst + j);
		}
		for (int j = whole; j < pixels; j++) {
			f32 value = src[j];
			dst[j] = (value * 0x1.0101p-8f) + (value * 0x1.0101p-32f);
		}
	}
	gather_touched = touched;
}

/*
 * Softmax cross-entropy, the SIMD path's usual loss (math/losses.ts lossOf computes the others in JS), in double
 * precision: `rows` rows of `classes` logits against integer labels, with label smoothing s (targets q_c = (1 - s)
 * [c = label] + s / classes, tfjs' and Keras' rule). A row's loss is max + log(total) - sum_c q_c logit_c, with total =
 * sum_c e^(logit_c - max). There is no log here: sums[0] gets the rows' max - sum_c q_c logit_c, sums[1] and sums[2]
 * the product of their totals as a mantissa in [1, 2) and a power of two (the loss is sums[0] + log sums[1] + sums[2]
 * ln 2), sums[3] the rows whose first largest logit is the label's (as tf.argMax picks). With dlogits (not 0): the
 * gradient of the batch's mean loss, (p - q) / rows. A NaN or infinite logit makes sums[0] NaN or infinite. In JS
 * the loss was ~10 ms of the seed MLP's epoch (1,280 exponentials a step at batch 128); `npm run bench:profile` times
 * this kernel at about half that.
 */
static const double EXP2_STEPS[64] = {
	0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,
	0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0, 0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,
	0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
	0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,
	0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0, 0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,
	0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
	0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,
	0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0, 0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,
	0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
	0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,
	0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0, 0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,
	0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
	0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,
	0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0, 0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,
	0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
	0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0,
};

/* e^x for x <= 0 (a logit less the row's largest) or NaN, as math/exp.ts computes it: 2^(k/64) e^r. */
static inline double exp_nonpositive(double x) {
	if (!(x >= -708.0)) {
		return x != x ? x : 0.0;
	}
	/* k = round(64 x / ln 2) by adding 1.5 2^52: the sum's low bits are k (two's complement). With a rounding
	 * instruction and a float-to-int conversion, which V8 checks for a trap, the kernel alone took ~1.4 times as long. */
	union { double d; unsigned long long u; } shifted = {.d = (x * (64 / 0.693147180559945309417232121458)) + 0x1.8p52};
	double k = shifted.d - 0x1.8p52;
	int steps = (int) (unsigned) shifted.u;
	double r = (x - (k * (6.93147180369123816490e-01 / 64))) - (k * (1.90821492927058770002e-10 / 64));
	double p = 1 + (r * (1 + (r * (0.5 + (r * ((1.0 / 6) + (r * ((1.0 / 24) + (r * (1.0 / 120))))))))));
	union { double d; unsigned long long u; } power = {.u = (unsigned long long) ((steps >> 6) + 1023) << 52};
	return p * EXP2_STEPS[steps & 63] * power.d;
}

void softmax_cross_entropy(const f32 *logits, const int *labels, int rows, int classes, f32 smoothing, f32 *dlogits, double *sums) {
	double off_target = (double) smoothing / classes;
	double on_target = 1 - (double) smoothing + off_target;
	double per_row = 1.0 / rows;
	double part = 0, product = 1;
	int power = 0, correct = 0;
	double e[classes];
	for (int r = 0; r < rows; r++) {
		const f32 *row = logits + r * classes;
		int label = labels[r];
		double max = row[0];
		int argmax = 0;
		for (int c = 1; c < classes; c++) {
			if (row[c] > max) {
				max = row[c];
				argmax = c;
			}
		}
		correct += argmax == label;
		double total = 0;
		for (int c = 0; c < classes; c++) {
			e[c] = exp_nonpositive(row[c] - max);
			total += e[c];
		}
		if (smoothing == 0) {
			part += max - row[label];
		} else {
			for (int c = 0; c < classes; c++) {
				part += (c == label ? on_target : off_target) * (max - row[c]);
			}
		}
		/* total is in [1, classes], or NaN from a NaN or infinite logit, which the loss must carry (the product's bits would not). */
		if (total != total) {
			part = total;
		}
		union { double d; unsigned long long u; } bits = {.d = product * total};
		power += (int) ((bits.u >> 52) & 0x7ff) - 1023;
		bits.u = (bits.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
		product = bits.d;
		if (dlogits) {
			/* One divide a row, then multiplies. */
			f32 *d = dlogits + r * classes;
			double share = 1 / total;
			for (int c = 0; c < classes; c++) {
				d[c] = (f32) (((e[c] * share) - (c == label ? on_target : off_target)) * per_row);
			}
		}
	}
	sums[0] = part;
	sums[1] = product;
	sums[2] = power;
	sums[3] = correct;
}

/*
 * The machine's limit for this instruction mix, with no memory in the way: 12 independent chains of x = x s + t
 * on 4 lanes (a multiply and an add each, as every product above), enough in flight to cover both operations'
 * latency on two pipes each. `iterations` rounds of 96 flops; out[0..4] holds s, out[4..8] t, and gets the sum back.
 */
void peak_madd(f32 *out, int iterations) {
	f4 s = load(out), t = load(out + 4);
	f4 x0 = t, x1 = t, x2 = t, x3 = t, x4 = t, x5 = t, x6 = t, x7 = t, x8 = t, x9 = t, x10 = t, x11 = t;
	for (int i = 0; i < iterations; i++) {
		x0 = madd(t, x0, s); x1 = madd(t, x1, s); x2 = madd(t, x2, s); x3 = madd(t, x3, s);
		x4 = madd(t, x4, s); x5 = madd(t, x5, s); x6 = madd(t, x6, s); x7 = madd(t, x7, s);
		x8 = madd(t, x8, s); x9 = madd(t, x9, s); x10 = madd(t, x10, s); x11 = madd(t, x11, s);
	}
	f4 sum = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(x0, x1), wasm_f32x4_add(x2, x3)), wasm_f32x4_add(wasm_f32x4_add(x4, x5), wasm_f32x4_add(x6, x7)));
	store(out, wasm_f32x4_add(sum, wasm_f32x4_add(wasm_f32x4_add(x8, x9), wasm_f32x4_add(x10, x11))));
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
 * 2x2 max pooling with stride 2 (odd edges dropped, as 'valid' pooling does). `which` keeps, per output,
 * the offset of the input that won: the first largest in row-major window order, as tfjs picks. Four channels
 * at a time: a lane takes a later input only when it is strictly larger, as the scalar rule does.
 */
void maxpool(const f32 *input, f32 *output, int *which, int batch, int h, int w, int c) {
	int oh = h / 2, ow = w / 2;
	int c4 = c & ~3;
	for (int b = 0; b < batch; b++) {
		for (int y = 0; y < oh; y++) {
			for (int x = 0; x < ow; x++) {
				int first = ((b * h + 2 * y) * w + 2 * x) * c;
				int offsets[4] = {0, c, w * c, (w + 1) * c};
				int out = ((b * oh + y) * ow + x) * c;
				for (int ch = 0; ch < c4; ch += 4) {
					f4 values[4], max;
					for (int t = 0; t < 4; t++) {
						values[t] = load(input + first + offsets[t] + ch);
					}
					v128_t best;
					window_max(values, wasm_i32x4_add(wasm_i32x4_splat(first + ch), wasm_i32x4_make(0, 1, 2, 3)), offsets, &max, &best);
					store(output + out + ch, max);
					wasm_v128_store(which + out + ch, best);
				}
				for (int ch = c4; ch < c; ch++) {
					int at = first + ch;
					f32 max = input[at];
					for (int t = 1; t < 4; t++) {
						if (input[first + offsets[t] + ch] > max) {
							max = input[first + offsets[t] + ch];
							at = first + offsets[t] + ch;
						}
					}
					output[out + ch] = max;
					which[out + ch] = at;
				}
			}
		}
	}
}

/*
 * The gradient of maxpool: each output's gradient to the input that won, zero elsewhere. Window by window, four
 * channels at a time, each input written once (no zeroing pass first); only the rows and columns pooling dropped
 * are zeroed on their own.
 */
void maxpool_backward(const f32 *doutput, const int *which, f32 *dinput, int batch, int h, int w, int c) {
	int oh = h / 2, ow = w / 2;
	int c4 = c & ~3;
	for (int b = 0; b < batch; b++) {
		f32 *image = dinput + b * h * w * c;
		for (int y = 0; y < oh; y++) {
			for (int x = 0; x < ow; x++) {
				int first = ((b * h + 2 * y) * w + 2 * x) * c;
				int offsets[4] = {0, c, w * c, (w + 1) * c};
				int out = ((b * oh + y) * ow + x) * c;
				for (int ch = 0; ch < c4; ch += 4) {
					f4 d = load(doutput + out + ch);
					v128_t winner = wasm_v128_load(which + out + ch);
					v128_t at = wasm_i32x4_add(wasm_i32x4_splat(first + ch), wasm_i32x4_make(0, 1, 2, 3));
					for (int t = 0; t < 4; t++) {
						v128_t here = wasm_i32x4_eq(wasm_i32x4_add(at, wasm_i32x4_splat(offsets[t])), winner);
						store(dinput + first + offsets[t] + ch, wasm_v128_and(d, here));
					}
				}
				for (int ch = c4; ch < c; ch++) {
					for (int t = 0; t < 4; t++) {
						int i = first + offsets[t] + ch;
						dinput[i] = i == which[out + ch] ? doutput[out + ch] : 0;
					}
				}
			}
			if (w % 2) {
				for (int dy = 0; dy < 2; dy++) {
					for (int ch = 0; ch < c; ch++) {
						image[((2 * y + dy) * w + w - 1) * c + ch] = 0;
					}
				}
			}
		}
		if (h % 2) {
			for (int i = (h - 1) * w * c; i < h * w * c; i++) {
				image[i] = 0;
			}
		}
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
