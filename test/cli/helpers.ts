import {type ChildProcess, spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';
import type {ExecutionContext} from 'ava';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(ROOT, 'dist/src/cli/main.js');
export const fixture = (name: string) => join(ROOT, 'test/fixtures', name);

export interface CliResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

/** Start the real CLI as a user would, from the repository root (`cli`: another build's main.js, for a benchmark's baseline). */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, cli = CLI): {child: ChildProcess; done: Promise<CliResult>} {
	const child = spawn(process.execPath, [cli, ...args], {cwd: ROOT, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const done = new Promise<CliResult>(resolve => {
		child.on('close', (code, signal) => {
			resolve({code, signal, stdout, stderr});
		});
	});
	return {child, done};
}

export async function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
	return startCli(args, env).done;
}

export function tempDir(t: ExecutionContext): string {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-cli-'));
	t.teardown(() => {
		rmSync(dir, {recursive: true, force: true});
	});
	return dir;
}

/** Read-only look at a database the CLI wrote, the way a user would with sqlite3. */
export function query<T = Record<string, unknown>>(dbPath: string, sql: string, ...params: unknown[]): T[] {
	const db = new Database(dbPath, {readonly: true});
	try {
		return db.prepare(sql).all(...params) as T[];
	} finally {
		db.close();
	}
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > deadline) {
			throw new Error(`timed out waiting for ${what}`);
		}

		await new Promise(resolve => {
			setTimeout(resolve, 100);
		});
	}
}

/**
 * Run `args` and SIGKILL it at seeded random moments: each run is killed within `windowMs` after it stored a row of
 * its own (`stored()` grew), at least 4 times and up to 8 until `resumed(output)` says a run continued a trial from
 * a checkpoint, or until a run finishes on its own. Returns how many runs were killed and their stdout.
 */
export async function killAtRandomMoments(args: string[], options: {stored: () => number; resumed: (output: string) => boolean; rng: {next(): number}; windowMs: number; what: string}): Promise<{kills: number; output: string}> {
	let output = '';
	let kills = 0;
	for (; kills < 4 || (kills < 8 && !options.resumed(output)); kills++) {
		const before = options.stored();
		const {child, done} = startCli(args);
		await waitFor(() => options.stored() > before || child.exitCode !== null, 120_000, options.what);
		await new Promise(resolve => {
			setTimeout(resolve, options.rng.next() * options.windowMs);
		});
		child.kill('SIGKILL');
		const killed = await done;
		output += killed.stdout;
		if (killed.code === 0) {
			break;
		}
	}

	return {kills, output};
}
