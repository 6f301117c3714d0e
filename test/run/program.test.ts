import {chmodSync, existsSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import test from 'ava';
import {expandCommand, programEnv, runProgramTrial} from '../../src/run/program.js';
import {fakeTrial, pidsOf, programPid, recordingSink, running, tempDir} from './helpers.js';

test('${args} expands to --name=value per parameter (lists and objects as JSON)', t => {
	t.deepEqual(
		expandCommand(['python3', 'train.py', '${args}', '--fixed'], {lr: 0.001, width: 64, hidden: [32, 16], opt: {name: 'adam'}, tag: 'a b', flag: true}),
		['python3', 'train.py', '--lr=0.001', '--width=64', '--hidden=[32,16]', '--opt={"name":"adam"}', '--tag=a b', '--flag=true', '--fixed'],
	);
	t.deepEqual(expandCommand(['run.sh'], {lr: 1}), ['run.sh']);
});

test('the environment carries the trial: SWEEPLAB_* over the sweep\'s env over sweeplab\'s', t => {
	const env = programEnv({command: ['x'], cwd: '/', env: {EXTRA: '1', SWEEPLAB_SEED: 'overridden?'}}, {id: 3, params: {lr: 0.1}, seed: 42, dir: '/tmp/t3', metric: 'acc'});
	t.like(env, {EXTRA: '1', SWEEPLAB_PARAMS: '{"lr":0.1}', SWEEPLAB_TRIAL_ID: '3', SWEEPLAB_SEED: '42', SWEEPLAB_TRIAL_DIR: '/tmp/t3', SWEEPLAB_CHECKPOINT_DIR: '/tmp/t3/checkpoint', PYTHONUNBUFFERED: '1'});
	t.is(env.PATH, process.env.PATH!);
});

test('reports: steps in order with their metrics, final metrics once at the end, the rest of the output in trial.log', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'report', lr: 0.01, layers: [2, 3]});
	const sink = recordingSink();
	const result = await runProgramTrial(spec, trial, sink, {graceMs: 500});
	t.like(result, {state: 'completed', malformedLines: 0, steps: 3, logPath: join(trial.dir, 'trial.log')});
	t.is(result.error, undefined);
	t.deepEqual(sink.steps.map(report => report.step), [1, 2, 3]);
	t.deepEqual(sink.steps[1].metrics, {val_accuracy: 0.7, loss: 0.5});
	t.true(sink.steps.every(report => typeof report.seconds === 'number' && report.seconds >= 0));
	t.deepEqual(sink.finals, [{test_accuracy: 0.77}]);
	const seen = JSON.parse(readFileSync(join(trial.dir, 'seen.json'), 'utf8')) as {argv: string[]; env: Record<string, string>};
	t.deepEqual(seen.argv, ['--mode=report', '--lr=0.01', '--layers=[2,3]']);
	// The program inherits sweeplab's environment, so SWEEPLAB_* variables of this test's own (SWEEPLAB_TEST_PG in CI) reach it too.
	const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('SWEEPLAB_')));
	t.deepEqual(seen.env, {
		...inherited,
		EXTRA: 'from the sweep', PYTHONUNBUFFERED: '1', SWEEPLAB_PARAMS: '{"mode":"report","lr":0.01,"layers":[2,3]}', SWEEPLAB_TRIAL_ID: '7',
		SWEEPLAB_SEED: '1234', SWEEPLAB_TRIAL_DIR: trial.dir, SWEEPLAB_CHECKPOINT_DIR: join(trial.dir, 'checkpoint'),
	});
	t.true(statSync(join(trial.dir, 'checkpoint')).isDirectory());
	const log = readFileSync(result.logPath, 'utf8');
	t.regex(log, /^plain output line$/m);
	t.regex(log, /^a warning on stderr$/m);
	t.notRegex(log, /val_accuracy/, 'reports are not output');
	t.regex(log, /\[sweeplab\] exited with code 0/);
});

test('malformed report lines are logged with the reason and counted; the trial goes on', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'malformed'});
	const sink = recordingSink();
	const result = await runProgramTrial(spec, trial, sink, {graceMs: 500});
	t.like(result, {state: 'completed', malformedLines: 4, steps: 2});
	t.deepEqual(sink.steps.map(report => [report.step, report.metrics.val_accuracy]), [[1, 0.5], [2, 0.8]]);
	const log = readFileSync(result.logPath, 'utf8');
	t.regex(log, /malformed report line \(not JSON: .*single quotes.*\): \{'epoch': 2/);
	t.regex(log, /malformed report line \(val_accuracy is "high", not a number\)/);
	t.regex(log, /malformed report line \(step 1 does not follow step 1\)/);
	t.regex(log, /malformed report line \(not JSON: .*\): \{broken/);
});

test('a million lines of output: the log stays under its cap and keeps the latest lines, reports still arrive', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'flood', lines: 1_000_000});
	const sink = recordingSink();
	const limit = 256 * 1024;
	const result = await runProgramTrial(spec, trial, sink, {graceMs: 500, logLimitBytes: limit});
	t.like(result, {state: 'completed', steps: 1});
	const current = statSync(result.logPath).size;
	const previous = statSync(`${result.logPath}.1`).size;
	t.true(current + previous <= limit, `${current} + ${previous} bytes`);
	const log = readFileSync(result.logPath, 'utf8');
	t.regex(log, /^the last line$/m);
	t.regex(log, /\[sweeplab\] log rotated .* bytes before that were dropped/);
	t.regex(log, /^noise line 9999 of a block$/m);
});

test('exit code not 0: failed, with the last stderr lines in the error', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'fail'});
	const result = await runProgramTrial(spec, trial, recordingSink(), {graceMs: 500});
	t.like(result, {state: 'failed', steps: 1});
	t.is(result.error, 'exited with code 3; last stderr: Traceback (most recent call last): | ValueError: learning rate too high');
});

test('exit 0 without ever reporting the metric: failed, saying so (and counting malformed lines)', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'no-metric'});
	const sink = recordingSink();
	const result = await runProgramTrial(spec, trial, sink, {graceMs: 500});
	t.like(result, {state: 'failed', steps: 1, malformedLines: 1});
	t.regex(result.error!, /^exited with code 0 without reporting val_accuracy .*; 1 report line was malformed \(see .*trial\.log\)$/);
	t.deepEqual(sink.steps[0].metrics, {loss: 0.5});
});

test('NaN in the metric (Python\'s bare NaN): diverged, the step committed and the program ended', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'nan'});
	const sink = recordingSink();
	const result = await runProgramTrial(spec, trial, sink, {graceMs: 500});
	t.like(result, {state: 'diverged', error: 'val_accuracy was NaN at step 2', steps: 2});
	t.true(Number.isNaN(sink.steps[1].metrics.val_accuracy));
	t.is(sink.steps[1].metrics.loss, Number.POSITIVE_INFINITY);
	t.false(running(pidsOf(trial.dir)[0]));
});

test('a non-finite metric among the final metrics (JSON.stringify\'s null): diverged', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'final-nan'});
	const sink = recordingSink();
	const result = await runProgramTrial(spec, trial, sink, {graceMs: 500});
	t.like(result, {state: 'diverged', error: 'val_accuracy was NaN in the final metrics'});
	t.is(sink.finals.length, 1);
});

test('a program that hangs is ended at its time limit: timeout', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'hang'});
	const result = await runProgramTrial(spec, trial, recordingSink(), {graceMs: 500, timeoutMs: 300});
	t.is(result.state, 'timeout');
	t.regex(result.error!, /exceeded its time limit/);
	t.false(running(programPid(result.logPath)));
});

test('a program that ignores SIGTERM gets SIGKILL after the grace period', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'ignore-term'});
	const result = await runProgramTrial(spec, trial, recordingSink(() => 'pruned at 1'), {graceMs: 200});
	t.is(result.state, 'pruned');
	t.false(running(pidsOf(trial.dir)[0]));
	t.regex(readFileSync(result.logPath, 'utf8'), /SIGTERM ignored[\s\S]*ended by SIGKILL/);
});

test('a program that forks: its grandchild (ignoring SIGTERM, holding the pipes) ends with it', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'fork'});
	const result = await runProgramTrial(spec, trial, recordingSink(() => 'pruned at 1'), {graceMs: 200});
	t.is(result.state, 'pruned');
	const pids = pidsOf(trial.dir);
	t.is(pids.length, 2);
	t.deepEqual(pids.filter(pid => running(pid)), []);
});

test('a program that exits leaving a child behind: the child is ended, the trial completes', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'fork', then: 'exit'});
	const result = await runProgramTrial(spec, trial, recordingSink(), {graceMs: 200});
	t.is(result.state, 'completed');
	t.deepEqual(pidsOf(trial.dir).filter(pid => running(pid)), []);
	t.regex(readFileSync(result.logPath, 'utf8'), /left processes running in its group; they were ended/);
});

test('command not found, not executable, interpreter missing: failed with one clear line', async t => {
	const {spec, trial} = fakeTrial(t, {});
	const dir = tempDir(t);
	writeFileSync(join(dir, 'plain.sh'), '#!/bin/sh\necho hi\n');
	writeFileSync(join(dir, 'bad-interpreter.sh'), '#!/no/such/interpreter\n');
	chmodSync(join(dir, 'bad-interpreter.sh'), 0o755);
	const run = async (command: string[]) => runProgramTrial({...spec, command, cwd: dir}, trial, recordingSink(), {graceMs: 200});
	t.like(await run(['no-such-program-4711', '${args}']), {state: 'failed', steps: 0});
	t.regex((await run(['no-such-program-4711'])).error!, /^command no-such-program-4711 is not found on PATH/);
	t.regex((await runProgramTrial({...spec, cwd: join(dir, 'gone')}, trial, recordingSink())).error!, /^the working directory .*gone does not exist or is not a folder/);
	t.regex((await run(['./plain.sh'])).error!, /^\.\/plain\.sh is not an executable file/);
	t.regex((await run(['./bad-interpreter.sh'])).error!, /^\.\/bad-interpreter\.sh could not be started: the interpreter on its #! line is not found$/);
	t.true(existsSync(trial.dir));
});

test('a pruning verdict mid-run ends the program: pruned with the reason, no step committed after it', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'slow'});
	const sink = recordingSink(report => report.step === 3 ? 'asha: below the rung at step 3' : undefined);
	const result = await runProgramTrial(spec, trial, sink, {graceMs: 500});
	t.like(result, {state: 'pruned', stopReason: 'asha: below the rung at step 3', steps: 3});
	t.is(result.error, undefined);
	t.deepEqual(sink.steps.map(report => report.step), [1, 2, 3]);
	t.false(running(pidsOf(trial.dir)[0]));
});

test('an abort (Ctrl-C) ends the program: interrupted with the abort\'s reason', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'slow'});
	const controller = new AbortController();
	const sink = recordingSink(report => {
		if (report.step === 2) {
			controller.abort('interrupted (SIGINT)');
		}

		return undefined;
	});
	const result = await runProgramTrial(spec, trial, sink, {graceMs: 500, signal: controller.signal});
	t.like(result, {state: 'interrupted', error: 'interrupted (SIGINT)'});
	t.false(running(pidsOf(trial.dir)[0]));
	// Already aborted: nothing starts.
	const again = await runProgramTrial(spec, {...trial, dir: join(trial.dir, 'again')}, recordingSink(), {signal: controller.signal});
	t.like(again, {state: 'interrupted', steps: 0});
	t.false(existsSync(join(trial.dir, 'again', 'pids.json')));
});

test('a sink that rejects (lost lease) ends the program, and the runner rejects with its error', async t => {
	const {spec, trial} = fakeTrial(t, {mode: 'slow'});
	const sink = recordingSink();
	sink.step = async report => {
		if (report.step === 2) {
			throw new Error('lease lost');
		}

		return undefined;
	};
	await t.throwsAsync(runProgramTrial(spec, trial, sink, {graceMs: 500}), {message: 'lease lost'});
	t.false(running(pidsOf(trial.dir)[0]));
});
