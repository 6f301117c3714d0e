import {createRequire} from 'node:module';
import {existsSync} from 'node:fs';
import {dirname, join} from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import {TrainingError} from '../errors.js';
import type {BackendName} from '../types.js';
import {kernelsAvailable} from './kernels/load.js';
import {registerMissingWasmKernels} from './tfjs-wasm-fixes.js';

export type Tf = typeof TF;
export type BackendChoice = BackendName | 'auto';

const require = createRequire(import.meta.url);

/**
 * Whether @tensorflow/tfjs-node is installed with its native library, decided without loading it:
 * its addon can be loaded by one thread per process only, so the main thread must not take it.
 */
export function nativeBackendInstalled(): boolean {
	try {
		const entry = require.resolve('@tensorflow/tfjs-node');
		const root = join(dirname(entry), '..');
		return existsSync(join(root, 'lib')) && existsSync(join(root, 'deps'));
	} catch {
		return false;
	}
}

/** The backend `auto` resolves to on this machine: node when installed, else wasm (cpu is a runtime fallback). */
export function resolveBackend(choice: BackendChoice): BackendName {
	if (choice !== 'auto') {
		return choice;
	}

	return nativeBackendInstalled() ? 'node' : 'wasm';
}

/**
 * The worker count to use: one per core wherever trials train on sweeplab's SIMD kernels, each on its own thread
 * whatever the backend (tfjs then only initialises the weights: paths/simd.ts). Only where WebAssembly SIMD is
 * missing do trials train on the backend's kernels, and tfjs-node's TensorFlow threads itself: one worker there.
 */
export function defaultWorkers(backend: BackendName, cores: number, simd = kernelsAvailable()): number {
	return backend === 'node' && !simd ? 1 : Math.max(1, cores);
}

let loaded: {tf: Tf; backend: BackendName} | undefined;
/** A load in flight: a second caller (a task arriving during a worker's warm start) waits for it instead of loading again. */
let pending: {choice: BackendChoice; promise: Promise<{tf: Tf; backend: BackendName}>} | undefined;

/**
 * Load tfjs with the wanted backend, once per thread. `auto` tries node, then wasm, then cpu.
 * Throws TrainingError when a forced backend cannot load (a later call tries again).
 */
export async function loadBackend(choice: BackendChoice): Promise<{tf: Tf; backend: BackendName}> {
	if (loaded && (choice === 'auto' || choice === loaded.backend)) {
		return loaded;
	}

	if (pending?.choice === choice) {
		return pending.promise;
	}

	const promise = loadInOrder(choice);
	pending = {choice, promise};
	try {
		return await promise;
	} finally {
		if (pending?.promise === promise) {
			pending = undefined;
		}
	}
}

async function loadInOrder(choice: BackendChoice): Promise<{tf: Tf; backend: BackendName}> {
	const order: BackendName[] = choice === 'auto' ? (nativeBackendInstalled() ? ['node', 'wasm', 'cpu'] : ['wasm', 'cpu']) : [choice];
	const failures: string[] = [];
	for (const backend of order) {
		try {
			loaded = {tf: await loadOne(backend), backend};
			return loaded;
		} catch (error) {
			failures.push(`${backend}: ${(error as Error).message.split('\n')[0]}`);
		}
	}

	throw new TrainingError(`cannot load the tfjs backend ${choice === 'auto' ? '(tried ' + order.join(', ') + ')' : `"${choice}"`}: ${failures.join('; ')}; try --backend wasm or --backend cpu`);
}

async function loadOne(backend: BackendName): Promise<Tf> {
	if (backend === 'node') {
		// The native package re-exports tfjs and registers the 'tensorflow' backend.
		const tf = (await import('@tensorflow/tfjs-node' as string)) as Tf;
		await tf.setBackend('tensorflow');
		await tf.ready();
		return tf;
	}

	const tf = await import('@tensorflow/tfjs');
	// Production mode: skips per-op debug checks and the console banner urging tfjs-node on the cpu backend.
	tf.env().set('PROD', true);
	if (backend === 'wasm') {
		await import('@tensorflow/tfjs-backend-wasm');
		registerMissingWasmKernels(tf);
	}

	if (!(await tf.setBackend(backend))) {
		throw new Error(`tf.setBackend('${backend}') returned false`);
	}

	await tf.ready();
	return tf;
}
