import {execFileSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from 'ava';
import {FAKE_PROGRAM, eventually, running} from '../run/helpers.js';
import {query, runCli, startCli, tempDir} from './helpers.js';

/** Every pids.json a fake program wrote below `dir` (one per running trial), read as [program, grandchild]. */
function programPids(dir: string): number[][] {
	return (readdirSync(dir, {recursive: true}) as string[])
		.filter(path => path.endsWith('pids.json'))
		.map(path => JSON.parse(readFileSync(join(dir, path), 'utf8')) as number[]);
}

/** `ps` lines of the processes in these process groups that still run (zombies left to a non-reaping init excluded). */
function psOfGroups(groups: number[]): string[] {
	const ps = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], {encoding: 'utf8'});
	return ps.split('\n').filter(line => {
		const [, pgid, stat] = line.trim().split(/\s+/);
		return groups.includes(Number(pgid)) && !stat?.startsWith('Z');
	});
}

/** A grid of two program trials that each fork a grandchild ignoring SIGTERM and then hang. */
function hangingSweep(dir: string): string {
	const file = join(dir, 'hang.yaml');
	writeFileSync(file, [
		'name: orphans',
		'method: grid',
		'program:',
		`  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(FAKE_PROGRAM)}, "\${args}"]`,
		'metric: {name: val_accuracy, goal: maximize}',
		'parameters:',
		'  mode: [fork]',
		'  copy: [1, 2]',
		'',
	].join('\n'));
	return file;
}

for (const signal of ['SIGKILL', 'SIGINT'] as const) {
	test(`${signal} to sweeplab run during program trials leaves no process of theirs running`, async t => {
		const dir = tempDir(t);
		const db = join(dir, 'sweeplab.db');
		const {child, done} = startCli(['run', hangingSweep(dir), '--db', db, '--workers', '2']);
		t.teardown(() => child.kill('SIGKILL'));
		t.true(await eventually(() => programPids(dir).length === 2, 60_000), 'both programs and their grandchildren started');
		const pids = programPids(dir).flat();
		const groups = programPids(dir).map(([program]) => program);
		const before = psOfGroups(groups);
		t.log(`before ${signal}:\n${before.join('\n')}`);
		t.is(before.length, 4, 'two programs, two grandchildren');
		t.true(pids.every(pid => running(pid)));

		child.kill(signal);
		const result = await done;
		if (signal === 'SIGINT') {
			// sweeplab ended the groups itself before exiting: nothing to wait for.
			t.is(result.code, 130, result.stderr);
			t.deepEqual(psOfGroups(groups), []);
			const states = query<{state: string}>(db, 'SELECT state FROM trials').map(row => row.state);
			t.deepEqual(states, ['interrupted', 'interrupted']);
		} else {
			// The reaper ends them: SIGTERM, and SIGKILL after the grace period for the grandchildren that ignore it.
			t.is(result.signal, 'SIGKILL');
			t.true(await eventually(() => psOfGroups(groups).length === 0, 30_000), psOfGroups(groups).join('\n'));
		}

		t.log(`after: ${JSON.stringify(psOfGroups(groups))}`);
		t.deepEqual(pids.filter(pid => running(pid)), []);
	});
}

test('a trials folder that cannot be written (its SWEEPLAB_CHECKPOINT_DIR with it) is one line before any trial runs: exit 2, nothing stored', async t => {
	const dir = tempDir(t);
	const db = join(dir, 'sweeplab.db');
	// A file where the folder would go: even root cannot create a folder below it.
	const file = join(dir, 'not-a-folder');
	writeFileSync(file, '');
	const result = await runCli(['run', hangingSweep(dir), '--db', db, '--trials-dir', file]);
	t.is(result.code, 2, result.stderr);
	t.is(result.stderr.trim().split('\n').length, 1, result.stderr);
	t.regex(result.stderr, /^sweeplab: the trials folder .*not-a-folder\/orphans cannot be written \(ENOTDIR\): each program trial's log and SWEEPLAB_CHECKPOINT_DIR go there; name a writable folder with --trials-dir/);
	t.false(existsSync(db), 'nothing stored: the trials are not burnt as failed');
});
