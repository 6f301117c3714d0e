/**
 * A stand-in for `sweeplab run` in test/run/reaper.test.ts: runs the fake program (--mode=fork, so with a grandchild)
 * as a program trial in the directory given as argv[2], prints `ready <reaper pid>` once the program reported its
 * first step, and then waits for the test to kill it.
 */
import {tmpdir} from 'node:os';
import {processReaper} from '../../src/run/reaper.js';
import {runProgramTrial} from '../../src/run/program.js';
import {FAKE_PROGRAM} from './helpers.js';

const dir = process.argv[2];
void runProgramTrial(
	{command: [process.execPath, FAKE_PROGRAM, '${args}'], cwd: tmpdir(), env: {}},
	{id: 1, params: {mode: 'fork'}, seed: 1, dir, metric: 'val_accuracy'},
	{
		async step() {
			process.stdout.write(`ready ${processReaper().pid}\n`);
			return undefined;
		},
		async final() {},
	},
	{graceMs: 300},
);
