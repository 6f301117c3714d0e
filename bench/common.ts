/** Helpers shared by the benchmarks: each measurement runs in a fresh child process for clean timings and peaks. */
import {fork} from 'node:child_process';
import {availableParallelism} from 'node:os';
import {fileURLToPath} from 'node:url';

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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
