import {Piscina} from 'piscina';
import type {TrainTask, TrainTaskResult} from './worker.js';

export type TrainPool = Piscina<TrainTask, TrainTaskResult>;

/**
 * A fixed-size pool of warm training threads: all threads start at once and never idle out, so
 * tfjs loads once per thread for the whole sweep. Each thread gets a V8 heap limit, so a runaway
 * trial fails that trial (the pool replaces the thread) instead of taking the process down.
 */
export function createTrainPool(workers: number, options: {maxHeapMb?: number} = {}): TrainPool {
	return new Piscina<TrainTask, TrainTaskResult>({
		filename: new URL('worker.js', import.meta.url).href,
		name: 'train',
		minThreads: workers,
		maxThreads: workers,
		idleTimeout: 2_147_483_647,
		resourceLimits: {maxOldGenerationSizeMb: options.maxHeapMb ?? 4096},
	});
}
