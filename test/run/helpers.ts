/** Shared by the program-runner tests: a recording sink, the fake program, and process liveness that ignores zombies. */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {ExecutionContext} from 'ava';
import type {StepReport, TrialSink} from '../../src/run/trial-sink.js';
import type {ProgramSpec, ProgramTrial} from '../../src/run/program.js';

export const FAKE_PROGRAM = fileURLToPath(new URL('../../../test/fixtures/programs/fake-train.mjs', import.meta.url));

export interface RecordingSink extends TrialSink {
	steps: StepReport[];
	finals: Array<Record<string, number>>;
}

/** A sink that records what it gets and answers each step with `verdict(report)`. */
export function recordingSink(verdict: (report: StepReport) => string | undefined = () => undefined): RecordingSink {
	const sink: RecordingSink = {
		steps: [],
		finals: [],
		async step(report) {
			sink.steps.push(report);
			return verdict(report);
		},
		async final(metrics) {
			sink.finals.push(metrics);
		},
	};
	return sink;
}

/** A fresh directory removed after the test. */
export function tempDir(t: ExecutionContext): string {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-program-'));
	t.teardown(() => {
		rmSync(dir, {recursive: true, force: true});
	});
	return dir;
}

/** The fake program (test/fixtures/programs/fake-train.mjs) in `mode`, and a trial in a fresh directory. */
export function fakeTrial(t: ExecutionContext, params: Record<string, unknown>): {spec: ProgramSpec; trial: ProgramTrial} {
	const dir = join(tempDir(t), 'trial-7');
	return {
		spec: {command: [process.execPath, FAKE_PROGRAM, '${args}'], cwd: tmpdir(), env: {EXTRA: 'from the sweep'}},
		trial: {id: 7, params, seed: 1234, dir, metric: 'val_accuracy'},
	};
}

/** Whether a process runs: exists and is not a zombie (this container's init does not reap orphans). */
export function running(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
	} catch {
		return false;
	}
}

/** The program's pid (its process group), as the runner logs it. */
export function programPid(logPath: string): number {
	return Number(/^\[sweeplab\] process group (\d+)$/m.exec(readFileSync(logPath, 'utf8'))![1]);
}

export function pidsOf(dir: string): number[] {
	return JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as number[];
}

/** Polls until `done()` or `ms` (generous: a bound for a hung test, not a timing assertion). */
export async function eventually(done: () => boolean, ms = 20_000): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (!done()) {
		if (Date.now() > deadline) {
			return false;
		}

		await new Promise(resolve => {
			setTimeout(resolve, 25);
		});
	}

	return true;
}
