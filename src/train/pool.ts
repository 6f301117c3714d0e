import {Piscina} from 'piscina';
import type {BackendChoice} from './backend.js';
import type {TaskResult, TrialTask, WorkerData} from './thread.js';

export type TrainPool = Piscina<TrialTask, TaskResult>;

/**
 * A fixed-size pool of warm threads that run trials: all threads start at once and never idle out, so
 * tfjs (and a module objective) loads once per thread for the whole sweep. With `backend`, each thread starts
 * loading it as soon as it starts, so a caller that creates the pool before decoding the dataset overlaps the
 * two. Each thread gets a V8 heap limit, so a runaway trial fails that trial (the pool replaces the thread)
 * instead of taking the process down.
 */
export function createTrainPool(workers: number, options: {maxHeapMb?: number; backend?: BackendChoice} = {}): TrainPool {
	return new Piscina<TrialTask, TaskResult>({
		workerData: {warmBackend: options.backend} satisfies WorkerData,
		filename: new URL('./thread.js', import.meta.url).href,
		name: 'runTrial',
		minThreads: workers,
		maxThreads: workers,
		idleTimeout: 2_147_483_647,
		resourceLimits: {maxOldGenerationSizeMb: options.maxHeapMb ?? 4096},
	});
}
