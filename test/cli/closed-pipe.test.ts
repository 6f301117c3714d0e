import {spawn} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from 'ava';
import {FAKE_PROGRAM, running} from '../run/helpers.js';
import {CLI, fixture, query, ROOT, runCli, tempDir} from './helpers.js';

const EXIT_CLOSED_PIPE = 141;

/** `sweeplab ARGS | READER` in bash, a real pipe: what the reader printed, sweeplab's stderr and its exit status. */
async function piped(args: string[], reader: string, dir: string): Promise<{stdout: string; stderr: string; status: number}> {
	const quote = (word: string) => `'${word.replaceAll('\'', '\'\\\'\'')}'`;
	const statusFile = join(dir, 'pipestatus');
	const script = `${[process.execPath, CLI, ...args].map(quote).join(' ')} | ${reader}; echo "\${PIPESTATUS[0]}" > ${quote(statusFile)}`;
	const child = spawn('bash', ['-c', script], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	await new Promise(resolve => {
		child.on('close', resolve);
	});
	return {stdout, stderr, status: Number(readFileSync(statusFile, 'utf8'))};
}

const stepRows = (db: string) => query<Record<string, unknown>>(db, 'SELECT t.ordinal, s.step, m.name, m.value FROM steps s JOIN trials t ON t.id = s.trial_id JOIN metrics m ON m.step_id = s.id ORDER BY t.ordinal, s.step, m.name');

test('sweeplab run | head -1: exits quietly as on a closed pipe (141), stops like Ctrl-C with its trials resumable, and a rerun ends as an uninterrupted run', async t => {
	const dir = tempDir(t);
	const sweep = fixture('e2e/module-resume.yaml');
	const reference = join(dir, 'reference.db');
	const uninterrupted = await runCli(['run', sweep, '--db', reference, '--workers', '2']);
	t.is(uninterrupted.code, 0, uninterrupted.stderr);

	const db = join(dir, 'piped.db');
	const result = await piped(['run', sweep, '--db', db, '--workers', '2'], 'head -1', dir);
	t.regex(result.stdout, /^sweep 'module-resume': 4 trials \(4 to train\)/);
	t.is(result.stdout.split('\n').length, 2, 'head printed one line');
	t.is(result.status, EXIT_CLOSED_PIPE, result.stderr);
	t.notRegex(result.stderr, /EPIPE|\n\s+at /, 'no stack trace');
	t.regex(result.stderr, /^sweeplab: interrupted; finished trials and their epochs are saved\. Resume with: sweeplab run /m);
	// The first line after head's went nowhere and stopped the run: no trial is left running, not all completed.
	const trials = query<{state: string; error: string | null}>(db, 'SELECT state, error FROM trials ORDER BY ordinal');
	t.is(trials.filter(trial => trial.state === 'running').length, 0);
	t.true(trials.some(trial => trial.state !== 'completed'), JSON.stringify(trials));
	for (const trial of trials.filter(trial => trial.state === 'interrupted')) {
		t.is(trial.error, 'interrupted (stdout closed)');
	}

	const rerun = await runCli(['run', sweep, '--db', db, '--workers', '2']);
	t.is(rerun.code, 0, rerun.stderr);
	t.deepEqual(stepRows(db), stepRows(reference));
});

test('a program sweep piped into a reader that quits ends its programs before sweeplab exits', async t => {
	const dir = tempDir(t);
	const file = join(dir, 'pipe.yaml');
	// Trial #0 reports forever; #1 and #3 end at once, and their lines are written after the reader quit (#2, slow too, is
	// claimed after #1 and ended with #0).
	writeFileSync(file, [
		'name: pipe',
		'method: grid',
		'program:',
		`  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(FAKE_PROGRAM)}, "\${args}"]`,
		'metric: {name: val_accuracy, goal: maximize}',
		'parameters:',
		'  mode: [slow, report]',
		'  copy: [1, 2]',
		'',
	].join('\n'));
	const db = join(dir, 'pipe.db');
	const result = await piped(['run', file, '--db', db, '--workers', '2'], 'head -1', dir);
	t.is(result.status, EXIT_CLOSED_PIPE, result.stderr);
	t.notRegex(result.stderr, /EPIPE|\n\s+at /);
	const [slow] = JSON.parse(readFileSync(join(dir, 'trials', 'pipe', 'trial-1', 'pids.json'), 'utf8')) as number[];
	t.false(running(slow), 'the program that would report forever was ended');
	const trials = query<{state: string}>(db, 'SELECT state FROM trials ORDER BY ordinal');
	t.like(trials[0], {state: 'interrupted'});
	t.false(trials.some(trial => trial.state === 'running'));
});

test('a command that reads (export, status) exits quietly when its reader has quit', async t => {
	const dir = tempDir(t);
	const db = join(dir, 'tiny.db');
	const run = await runCli(['run', fixture('e2e/returns-number.yaml'), '--db', db]);
	t.is(run.code, 0, run.stderr);
	// `true` reads nothing and exits: every write after that fails.
	for (const args of [['status'], ['export', 'returns-number', '--format', 'json'], ['best', 'returns-number']]) {
		const result = await piped([...args, '--db', db], 'true', dir);
		t.is(result.stderr, '', args.join(' '));
		// `true` has long exited when sweeplab, half a second in, writes.
		t.is(result.status, EXIT_CLOSED_PIPE, args.join(' '));
	}
});
