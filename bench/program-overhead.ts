/**
 * Issue 12's overhead benchmark, part (b): what a program trial costs sweeplab beyond starting the program. The
 * program is the same `node -e` one-liner throughout: it prints one report line and exits. Two measurements,
 * each alternating with bare spawns of the same command (start it, read its output to the end, wait for its
 * exit: the least any runner must do), so that the machine's drift hits both sides alike:
 *
 * - runner: single trials through runProgramTrial (trial folder, log file, process group and reaper
 *   registration, report parsing, a sink that keeps the step in memory), round by round against one bare spawn;
 * - run loop: whole sweeps of `--block` trials through runSweep with a SQLite store and one lane (claim, the
 *   step committed and judged, the outcome written), block by block against as many bare spawns; and the loop
 *   alone, with a runner that starts nothing.
 *
 * The difference of the medians is sweeplab's added time per trial. Figures only, no pass/fail.
 *
 *   npm run bench:program-overhead -- [--trials 200] [--block 20]
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {runSweep} from '../src/run/loop.js';
import {programRunner, runProgramTrial} from '../src/run/program.js';
import type {TrialRunner} from '../src/run/runner.js';
import type {TrialSink} from '../src/run/trial-sink.js';
import {openSqliteStore} from '../src/store/sqlite.js';
import {expandSweep} from '../src/sweep/expand.js';
import {definitionHash} from '../src/sweep/hash.js';
import {parseSweep} from '../src/sweep/read.js';
import {machineLine, median} from './common.js';

const PROGRAM = 'process.stdout.write(JSON.stringify({epoch: 1, accuracy: 0.5}) + "\\n")';
const COMMAND = [process.execPath, '-e', PROGRAM, '--'];

/** Start, drain and reap the program with nothing else: the floor any runner pays. */
async function bareSpawn(id: number): Promise<number> {
	const started = performance.now();
	await new Promise<void>((resolve, reject) => {
		const child = spawn(COMMAND[0], [...COMMAND.slice(1), `--x=${id}`], {stdio: ['ignore', 'pipe', 'pipe']});
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

async function runnerTrial(root: string, id: number): Promise<number> {
	const sink: TrialSink = {
		async step() {
			return undefined;
		},
		async final() {},
	};
	const started = performance.now();
	const result = await runProgramTrial(
		{command: [...COMMAND, '${args}'], cwd: root, env: {}},
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

/** A runner that starts nothing: it reports the one step and returns, so a sweep through it times the loop alone. */
const nothingRunner: TrialRunner = async (_trial, sink) => {
	await sink.step({step: 1, metrics: {accuracy: 0.5}});
	return {state: 'completed'};
};

/**
 * A sweep of `trials` program trials (or, with `runner`, trials run by it) run to the end through the run loop;
 * resolves with the wall ms per trial.
 */
async function loopBlock(root: string, block: number, trials: number, runner?: TrialRunner): Promise<number> {
	const file = join(root, `block-${block}.yaml`);
	const source = [
		`name: overhead-${block}`,
		'method: grid',
		'program:',
		`  command: ${JSON.stringify([...COMMAND, '${args}'])}`,
		'metric: {name: accuracy, goal: maximize}',
		'parameters:',
		`  x: ${JSON.stringify(Array.from({length: trials}, (_, i) => i))}`,
		'',
	].join('\n');
	const definition = parseSweep(source, file);
	const store = openSqliteStore(join(root, 'bench.db'));
	try {
		const started = performance.now();
		const sweep = await store.openSweep({definition, definitionHash: definitionHash(definition), source, file});
		await store.addTrials(sweep.id, expandSweep(definition));
		runner ??= programRunner({command: [...COMMAND, '${args}'], cwd: root, env: {}}, join(root, 'trials', definition.name), {graceMs: 1000});
		const summary = await runSweep({store, sweep, runner, workers: 1});
		const elapsed = performance.now() - started;
		if (summary.ended.completed !== trials) {
			throw new Error(`block ${block}: ${JSON.stringify(summary.ended)}`);
		}

		return elapsed / trials;
	} finally {
		await store.close();
	}
}

const {values} = parseArgs({options: {trials: {type: 'string', default: '200'}, block: {type: 'string', default: '20'}}});
const trials = Number(values.trials);
const blockSize = Number(values.block);
const root = mkdtempSync(join(tmpdir(), 'sweeplab-bench-program-'));
const ms = (value: number) => `${value.toFixed(1)} ms`;
try {
	console.log(`program trials of \`node -e\` reporting one line (${machineLine()})`);
	// Warm-up: the first spawns pay for loading node from disk, the first trial for starting the reaper.
	await bareSpawn(0);
	await runnerTrial(root, 0);

	const bare: number[] = [];
	const trial: number[] = [];
	// sweeplab's own CPU time (this process, not the program's), which the machine's load does not blur as much.
	const cpu = {bare: 0, trial: 0};
	const timed = async (side: 'bare' | 'trial', run: () => Promise<number>) => {
		const before = process.cpuUsage();
		(side === 'bare' ? bare : trial).push(await run());
		const used = process.cpuUsage(before);
		cpu[side] += (used.user + used.system) / 1000;
	};

	for (let i = 1; i <= trials; i++) {
		if (i % 2 === 0) {
			await timed('bare', async () => bareSpawn(i));
			await timed('trial', async () => runnerTrial(root, i));
		} else {
			await timed('trial', async () => runnerTrial(root, i));
			await timed('bare', async () => bareSpawn(i));
		}
	}

	console.log(`runner: ${trials} trials, each against one bare spawn, alternating`);
	console.log(`  bare spawn median ${ms(median(bare))}, program trial median ${ms(median(trial))}`);
	console.log(`  added by sweeplab per trial: ${ms(median(trial) - median(bare))} (difference of medians), ${ms(median(trial.map((t, i) => t - bare[i])))} (median of paired differences); goal <= 20 ms`);
	console.log(`  sweeplab's own CPU per trial: ${ms(cpu.trial / trials)} for a program trial, ${ms(cpu.bare / trials)} for a bare spawn`);

	const bareBlocks: number[] = [];
	const loopBlocks: number[] = [];
	const blocks = Math.max(1, Math.round(trials / blockSize));
	for (let b = 0; b < blocks; b++) {
		const spawnBlock = async () => {
			const started = performance.now();
			for (let i = 0; i < blockSize; i++) {
				await bareSpawn(i);
			}

			bareBlocks.push((performance.now() - started) / blockSize);
		};

		if (b % 2 === 0) {
			loopBlocks.push(await loopBlock(root, b, blockSize));
			await spawnBlock();
		} else {
			await spawnBlock();
			loopBlocks.push(await loopBlock(root, b, blockSize));
		}
	}

	console.log(`run loop: ${blocks} sweeps of ${blockSize} trials (SQLite, 1 lane), each against ${blockSize} bare spawns, alternating`);
	console.log(`  bare spawn ${ms(median(bareBlocks))} per trial, run loop ${ms(median(loopBlocks))} per trial (medians over blocks)`);
	console.log(`  added by sweeplab per trial: ${ms(median(loopBlocks) - median(bareBlocks))}; goal <= 20 ms`);
	console.log(`  the run loop alone (a runner that starts nothing), ${trials} trials: ${ms(await loopBlock(root, blocks, trials, nothingRunner))} per trial`);
} finally {
	rmSync(root, {recursive: true, force: true});
}
