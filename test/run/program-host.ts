/**
 * A stand-in for `sweeplab run` in test/run/reaper.test.ts: runs the fake program (--mode=fork, so with a grandchild)
 * as a program trial in the directory given as argv[2], prints `ready <reaper pid>` once the program reported its
 * first step, and then waits for the test to kill it. With argv[3] = `kill-reaper` it first kills its reaper with
 * SIGKILL and waits for the replacement, whose pid it prints.
 */
import {tmpdir} from 'node:os';
import {processReaper} from '../../src/run/reaper.js';
import {runProgramTrial} from '../../src/run/program.js';
import {eventually, FAKE_PROGRAM} from './helpers.js';

const [dir, action] = process.argv.slice(2);
void runProgramTrial(
	{command: [process.execPath, FAKE_PROGRAM, '${args}'], cwd: tmpdir(), env: {}},
	{id: 1, params: {mode: 'fork'}, seed: 1, dir, metric: 'val_accuracy'},
	{
		async step() {
			const first = processReaper().pid!;
			if (action === 'kill-reaper') {
				process.kill(first, 'SIGKILL');
				await eventually(() => processReaper().pid !== undefined && processReaper().pid !== first);
			}

			process.stdout.write(`ready ${processReaper().pid}\n`);
			return undefined;
		},
		async final() {},
	},
	{graceMs: 300},
);
