/**
 * Issue 12's overhead benchmark, part (b): what a program trial costs sweeplab beyond starting the program. Each
 * round runs the same `node -e` program (it prints one report line and exits) twice, in alternating order: once
 * bare (spawn, read its output to the end, wait for its exit: the least any runner must do) and once as a program
 * trial through runProgramTrial (trial directory, log file, process group and reaper registration, report
 * parsing, a sink that keeps the step in memory). The difference of the medians is sweeplab's added time per
 * trial; the median of the paired differences is printed too. Figures only, no pass/fail.
 *
 *   npm run bench:program-overhead -- [--trials 200]
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {runProgramTrial} from '../src/run/program.js';
import type {TrialSink} from '../src/run/trial-sink.js';
import {machineLine, median} from './common.js';

const PROGRAM = 'process.stdout.write(JSON.stringify({epoch: 1, accuracy: 0.5}) + "\\n")';

/** Start, drain and reap the program with nothing else: the floor any runner pays. */
async function bareSpawn(id: number): Promise<number> {
	const started = performance.now();
	await new Promise<void>((resolve, reject) => {
		const child = spawn(process.execPath, ['-e', PROGRAM, '--', `--x=${id}`], {stdio: ['ignore', 'pipe', 'pipe']});
		child.stdout.resume();
		child.stderr.resume();
		child.once('error', reject);
		child.once('close', code => {
			if (code === 0) {
				resolve();
			} else {
				reject(new Error(`the bare program exited with code ${code}`));
			}
		});
	});
	return performance.now() - started;
}

async function programTrial(root: string, id: number): Promise<number> {
	const sink: TrialSink = {
		async step() {
			return undefined;
		},
		async final() {},
	};
	const started = performance.now();
	const result = await runProgramTrial(
		{command: [process.execPath, '-e', PROGRAM, '--', '${args}'], cwd: root, env: {}},
		{id, params: {x: id}, seed: id, dir: join(root, `trial-${id}`), metric: 'accuracy'},
		sink,
		{graceMs: 1000},
	);
	const elapsed = performance.now() - started;
	if (result.state !== 'completed' || result.steps !== 1) {
		throw new Error(`trial ${id} ended ${result.state}: ${result.error ?? ''}`);
	}

	return elapsed;
}

const {values} = parseArgs({options: {trials: {type: 'string', default: '200'}}});
const trials = Number(values.trials);
const root = mkdtempSync(join(tmpdir(), 'sweeplab-bench-program-'));
try {
	// Warm-up: the first spawns pay for loading node from disk, the first trial for starting the reaper.
	await bareSpawn(0);
	await programTrial(root, 0);
	const bare: number[] = [];
	const trial: number[] = [];
	for (let i = 1; i <= trials; i++) {
		if (i % 2 === 0) {
			bare.push(await bareSpawn(i));
			trial.push(await programTrial(root, i));
		} else {
			trial.push(await programTrial(root, i));
			bare.push(await bareSpawn(i));
		}
	}

	const paired = trial.map((ms, i) => ms - bare[i]);
	console.log(`program trials: ${trials} rounds of \`node -e\` reporting one line, bare spawn and program trial alternating (${machineLine()})`);
	console.log(`  bare spawn     median ${median(bare).toFixed(1)} ms`);
	console.log(`  program trial  median ${median(trial).toFixed(1)} ms`);
	console.log(`  added by sweeplab per trial: ${(median(trial) - median(bare)).toFixed(1)} ms (difference of medians), ${median(paired).toFixed(1)} ms (median of paired differences); goal <= 20 ms`);
} finally {
	rmSync(root, {recursive: true, force: true});
}
