/**
 * Data augmentation of training batches (a config's `augment`), before standardisation: each image is shifted
 * by (dy, dx) drawn uniformly from -translate..translate (pixels that come in are 0, the background of
 * Fashion-MNIST; Keras' RandomTranslation with fill_mode constant), then mirrored left-right with probability
 * 1/2 when `flip` is on (RandomFlip horizontal). The draws come from a generator seeded per trial and epoch,
 * taken in batch order, so a trial augments the same way on every run; validation and test images are never
 * augmented (the epoch loop calls this on training batches only).
 */
import type {Augment} from '../types.js';
import type {Rng} from '../util/random.js';

export class Augmenter {
	private readonly scratch: Float32Array;

	/** @param imageShape [height, width, channels], channels last. */
	constructor(private readonly settings: Augment, private readonly imageShape: [number, number, number]) {
		this.scratch = new Float32Array(imageShape[0] * imageShape[1] * imageShape[2]);
	}

	/** Augments the first `rows` images of `x` in place, with draws from `rng` (three per image: dy, dx, flip). */
	apply(x: Float32Array, rows: number, rng: Rng): void {
		const [height, width, channels] = this.imageShape;
		const dim = height * width * channels;
		const {translate, flip} = this.settings;
		for (let r = 0; r < rows; r++) {
			// Always three draws, so one image's settings never shift the next image's.
			const dy = rng.int(-translate, translate);
			const dx = rng.int(-translate, translate);
			const mirror = rng.next() < 0.5 && flip;
			if (dy === 0 && dx === 0 && !mirror) {
				continue;
			}

			const image = x.subarray(r * dim, (r + 1) * dim);
			const source = this.scratch;
			source.set(image);
			for (let y = 0; y < height; y++) {
				const sy = y - dy;
				for (let col = 0; col < width; col++) {
					// Output pixel (y, col) shows the shifted image's (y, c), mirrored: c = width - 1 - col.
					const c = mirror ? width - 1 - col : col;
					const sx = c - dx;
					const out = ((y * width) + col) * channels;
					const inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
					const from = ((sy * width) + sx) * channels;
					for (let k = 0; k < channels; k++) {
						image[out + k] = inside ? source[from + k] : 0;
					}
				}
			}
		}
	}
}
