import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {delimiter, dirname, join} from 'node:path';
import test from 'ava';
import {ROOT, query, runCli, tempDir} from './helpers.js';

/** A python3 that imports torch: the one on PATH, else Debian's (a pyenv or venv python3 may lack python3-torch). */
function torchPython(): string | undefined {
	return ['python3', '/usr/bin/python3'].find(python => spawnSync(python, ['-c', 'import torch'], {stdio: 'ignore'}).status === 0);
}

const python = torchPython();
if (python === undefined && process.env.CI !== 'true') {
	test.skip('examples/pytorch runs through sweeplab run (skipped: no python3 with torch; apt install python3-torch)', () => undefined);
} else {
	test('examples/pytorch runs through sweeplab run: every trial completes or is pruned by ASHA, steps and logs recorded', async t => {
		t.truthy(python, 'a python3 that can import torch (CI installs python3-torch)');
		const dir = tempDir(t);
		const db = join(dir, 'sweeplab.db');
		// The sweep says python3: put the python3 that has torch first on PATH.
		const path = python === 'python3' ? process.env.PATH : `${dirname(python!)}${delimiter}${process.env.PATH}`;
		const result = await runCli(['run', join(ROOT, 'examples/pytorch/sweep.yaml'), '--db', db, '--workers', '2'], {PATH: path});
		t.is(result.code, 0, result.stderr);
		const trials = query<{id: number; state: string; log_path: string; error: string | null}>(db, 'SELECT id, state, log_path, error FROM trials ORDER BY id');
		t.is(trials.length, 6);
		t.true(trials.every(trial => trial.state === 'completed' || trial.state === 'pruned'), JSON.stringify(trials));
		t.true(trials.some(trial => trial.state === 'completed'));
		t.true(trials.every(trial => existsSync(trial.log_path)));
		const accuracies = query<{trial_id: number; step: number; val_accuracy: number}>(db, 'SELECT trial_id, epoch AS step, val_accuracy FROM epochs ORDER BY trial_id, epoch');
		t.true(accuracies.length >= 6);
		t.true(accuracies.every(row => row.val_accuracy > 0.1 && row.val_accuracy <= 1), 'better than chance: it trained');
		t.regex(result.stdout, /running python3 train\.py \$\{args\} · 2 workers · db /);
		t.regex(result.stdout, /val_accuracy/);
	});
}
