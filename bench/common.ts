/** Helpers shared by the benchmarks: each measurement runs in a fresh child process for clean timings and peaks. */
import {fork, spawn, spawnSync} from 'node:child_process';
import {once} from 'node:events';
import {writeFileSync} from 'node:fs';
import {availableParallelism} from 'node:os';
import {fileURLToPath} from 'node:url';
import type {TrialConfig} from '../src/types.js';

/**
 * The networks the epoch benchmarks train (the rest of the config is DEFAULT_TRIAL_CONFIG: relu, Adam 1e-3,
 * sparse cross-entropy). cnn5 is the small CNN of the public Fashion-MNIST benchmarks (under 100K parameters):
 * two 5x5 'same' convolutions of 32 and 64 filters, each followed by 2x2 max pooling, then the 3136 pooled
 * features straight to the 10 logits (83,466 parameters); about 10.5 M multiply-adds forward per image.
 */
export const BENCH_MODELS = {
	mlp: {title: 'seed MLP 784-64-64-10', config: {model: 'mlp', hidden: [64, 64]}},
	cnn: {title: 'study CNN (conv 8-16 3x3, 2x2 max pool, 64-64)', config: {model: 'cnn', conv: [8, 16], kernelSize: 3, hidden: [64, 64]}},
	cnn5: {title: 'CNN conv 32-64 5x5, 2x2 max pool, dense 10', config: {model: 'cnn', conv: [32, 64], kernelSize: 5, hidden: []}},
} satisfies Record<string, {title: string; config: Partial<TrialConfig>}>;
export type BenchModel = keyof typeof BENCH_MODELS;

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The q-quantile by linear interpolation between the order statistics (numpy's default). */
export function quantile(values: number[], q: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	const position = (sorted.length - 1) * q;
	const low = Math.floor(position);
	const high = Math.ceil(position);
	return sorted[low] + ((sorted[high] - sorted[low]) * (position - low));
}

/**
 * Runs `python script requestFile` once, with the request written to `requestFile`, and resolves with the `result`
 * of the one JSON document it prints; rejects with its stderr when it exits non-zero.
 */
export async function askPython<T>(python: string, script: string, requestFile: string, request: unknown): Promise<T> {
	writeFileSync(requestFile, JSON.stringify(request));
	const child = spawn(python, [script, requestFile], {env: PEER_ENV, stdio: ['ignore', 'pipe', 'pipe']});
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
	child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
	const [code] = await once(child, 'close') as [number | null];
	if (code !== 0) {
		throw new Error(`${script} failed (${code}): ${Buffer.concat(err).toString('utf8')}`);
	}

	return (JSON.parse(Buffer.concat(out).toString('utf8')) as {result: T}).result;
}

/** Runs this same script with `--child <json>` and resolves with the one message the child sends. */
export async function runChild<T>(script: string, job: unknown): Promise<T> {
	return new Promise((resolve, reject) => {
		const child = fork(fileURLToPath(script), ['--child', JSON.stringify(job)], {stdio: ['ignore', 'inherit', 'inherit', 'ipc']});
		let result: T | undefined;
		child.once('message', message => {
			result = message as T;
		});
		child.once('error', reject);
		child.once('exit', code => {
			if (result === undefined) {
				reject(new Error(`benchmark child exited with code ${code} before reporting`));
			} else {
				resolve(result);
			}
		});
	});
}

/** In a child: the job it was given, or undefined in the parent. */
export function childJob<T>(): T | undefined {
	const index = process.argv.indexOf('--child');
	return index === -1 ? undefined : JSON.parse(process.argv[index + 1]) as T;
}

export async function reportToParent(result: unknown): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		process.send!(result, (error: Error | null) => {
			if (error) {
				reject(error);
			} else {
				resolve();
			}
		});
	});
	process.disconnect();
}

export function machineLine(): string {
	return `node ${process.version}, ${availableParallelism()} cores`;
}

/** The peer's environment: one compute thread per Python process, as each sweeplab worker is one thread. */
export const PEER_ENV = {...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1'};

const PEER_PROBE = String.raw`
import torch, optuna
blas = sorted({line.split()[-1] for line in open('/proc/self/maps') if 'blas' in line.lower()})
print(torch.__version__ + ', optuna ' + optuna.__version__ + '; BLAS ' + (', '.join(blas) or 'none found'))
`;

/**
 * A python3 with torch and optuna: $PYTHON, else the first of python3 on PATH and Debian's /usr/bin/python3
 * that has them (a pyenv or venv python3 on PATH may lack the Debian packages). `versions` names torch, optuna
 * and the BLAS library torch loaded (Debian's torch runs on whatever libblas.so.3 points to).
 */
export function findPeerPython(): {python: string; versions: string} | {tried: string[]} {
	const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3'];
	for (const python of candidates) {
		const probe = spawnSync(python, ['-c', PEER_PROBE], {encoding: 'utf8', env: PEER_ENV});
		if (probe.status === 0) {
			return {python, versions: probe.stdout.trim()};
		}
	}

	return {tried: candidates};
}

/** A warning line when the peer's torch runs on the reference BLAS (several times slower than OpenBLAS), else undefined. */
export function referenceBlasWarning(versions: string): string | undefined {
	return /libblas\.so\.3/.test(versions) && !/openblas|mkl|blis/i.test(versions)
		? 'warning: the peer\'s torch runs on the reference BLAS, several times slower than OpenBLAS (Debian: apt-get install libopenblas0-pthread)'
		: undefined;
}
