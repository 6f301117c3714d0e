/**
 * The multi-objective half of `npm run bench:samplers`: sweeplab's multi-objective TPE (src/samplers/motpe.ts),
 * NSGA-II (src/samplers/nsga2.ts) and random search against Optuna's TPESampler on a multi-objective study (its
 * MOTPE), NSGAIISampler and RandomSampler, each with its defaults, on problems with known Pareto fronts
 * (bench/sampler-problems.ts). Score: the hypervolume the front found so far leaves uncovered (the true front's
 * hypervolume minus the found one's, against the problem's reference point; 0 is perfect) after 10, 30 and 60
 * trials, median and quartiles over seeds; and seconds per suggestion with 1,000 finished trials.
 */
import {join} from 'node:path';
import {suggestMotpe} from '../src/samplers/motpe.js';
import type {MotpeObservation} from '../src/samplers/motpe.js';
import {suggestNsga2} from '../src/samplers/nsga2.js';
import {randomParameters} from '../src/sweep/expand.js';
import {hypervolumeHistory} from '../src/util/pareto.js';
import {createRng, deriveSeed} from '../src/util/random.js';
import {askPython, median, quantile} from './common.js';
import type {MultiObjectiveProblem} from './sampler-problems.js';

export interface MultiObjectiveBenchOptions {
	python: string;
	/** bench/peer/optuna_samplers.py */
	script: string;
	/** A scratch folder for the requests. */
	scratch: string;
	problems: MultiObjectiveProblem[];
	seeds: number;
	trials: number;
	checkpoints: number[];
	/** Python processes for Optuna's runs. */
	processes: number;
	/** Optuna's samplers: `random`, `tpe` (3.1 as shipped), `tpe-5110` (with the fix of PR #5110), `nsga2`. */
	optunaSamplers: string[];
	startupTrials: number;
	timingHistory: number;
	timingRepeats: number;
}

type OurSampler = 'random' | 'motpe' | 'nsga2';

interface Job {
	problem: string;
	sampler: string;
	seed: number;
}

const format = (x: number): string => (x === 0 ? '0' : (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3)));

/** One of sweeplab's samplers for trial `trialNumber` of a sequential study. */
function suggest(problem: MultiObjectiveProblem, sampler: OurSampler, observations: MotpeObservation[], seed: number, trialNumber: number, startupTrials: number): Record<string, unknown> {
	const directions = new Array<'minimize'>(problem.objectives).fill('minimize');
	if (sampler === 'nsga2') {
		return suggestNsga2({parameters: problem.parameters, observations, directions, seed, trialNumber});
	}

	// startupTrials beyond the budget keeps every suggestion random: the baseline takes the same code path.
	return suggestMotpe({parameters: problem.parameters, observations, pending: [], directions, startupTrials: sampler === 'random' ? Number.POSITIVE_INFINITY : startupTrials, seed, trialNumber});
}

function runOurs(problem: MultiObjectiveProblem, sampler: OurSampler, seed: number, trials: number, startupTrials: number): number[][] {
	const observations: MotpeObservation[] = [];
	for (let trialNumber = 0; trialNumber < trials; trialNumber++) {
		const params = suggest(problem, sampler, observations, seed, trialNumber, startupTrials);
		observations.push({params, values: problem.evaluate(params)});
	}

	return observations.map(observation => observation.values);
}

/** The hypervolume left uncovered after each checkpoint's number of trials. */
function gaps(problem: MultiObjectiveProblem, values: number[][], checkpoints: number[]): number[] {
	const history = hypervolumeHistory(values, problem.reference);
	return checkpoints.map(n => Math.max(0, problem.frontVolume - history[n - 1]));
}

export async function benchMultiObjective(options: MultiObjectiveBenchOptions): Promise<void> {
	const {problems, seeds, trials, checkpoints, startupTrials} = options;
	const problemList = problems.map(problem => ({name: problem.name, parameters: problem.parameters, data: problem.data, objectives: problem.objectives}));
	const ask = async <T>(request: Record<string, unknown>, name: string): Promise<T> =>
		askPython<T>(options.python, options.script, join(options.scratch, `mo-${name}.json`), {...request, problems: problemList});

	console.log('');
	console.log(`multi-objective: ${problems.length} problems x ${seeds} seeds x ${trials} trials; TPE start-up ${startupTrials} random trials on both sides, NSGA-II population 50 on both`);

	// 1. Both sides must compute the same objectives.
	const points = Object.fromEntries(problems.map(problem => [problem.name, Array.from({length: 20}, (_, i) => randomParameters(problem.parameters, createRng(deriveSeed('check', problem.name, i))))]));
	const theirs = await ask<Record<string, number[][]>>({mode: 'check', points}, 'check');
	for (const problem of problems) {
		for (const [i, params] of points[problem.name].entries()) {
			const ours = problem.evaluate(params);
			const other = theirs[problem.name][i];
			if (!ours.every((value, k) => Math.abs(value - other[k]) <= 1e-9 * Math.max(1, Math.abs(value)))) {
				throw new Error(`${problem.name}: objectives disagree at ${JSON.stringify(params)}: sweeplab ${ours.join(', ')}, python ${other.join(', ')}`);
			}
		}
	}

	console.log(`objectives agree on ${problems.length} x 20 random points`);

	// 2. Hypervolume gaps. Optuna's studies run in `processes` python3 processes; sweeplab's in this one.
	const results = new Map<string, number[][]>();
	const add = (problem: string, sampler: string, row: number[]) => {
		const key = `${problem}\t${sampler}`;
		results.set(key, [...(results.get(key) ?? []), row]);
	};

	const jobs: Job[] = problems.flatMap(problem => options.optunaSamplers.flatMap(sampler => Array.from({length: seeds}, (_, seed) => ({problem: problem.name, sampler, seed}))));
	let started = performance.now();
	const chunks = Array.from({length: options.processes}, (_, p) => jobs.filter((_, i) => i % options.processes === p)).filter(chunk => chunk.length > 0);
	const peerRuns = (await Promise.all(chunks.map(async (chunk, p) => ask<Array<Job & {values: number[][]}>>({mode: 'run', trials, jobs: chunk}, `run-${p}`)))).flat();
	const peerSeconds = (performance.now() - started) / 1000;
	for (const run of peerRuns) {
		add(run.problem, `optuna-${run.sampler}`, gaps(problems.find(p => p.name === run.problem)!, run.values, checkpoints));
	}

	started = performance.now();
	const ourSamplers: OurSampler[] = ['random', 'motpe', 'nsga2'];
	for (const problem of problems) {
		for (const sampler of ourSamplers) {
			for (let seed = 0; seed < seeds; seed++) {
				add(problem.name, `sweeplab-${sampler}`, gaps(problem, runOurs(problem, sampler, seed, trials, startupTrials), checkpoints));
			}
		}

		// The same sampler on the next block of seeds: how far a ratio moves by chance alone.
		for (let seed = seeds; seed < 2 * seeds; seed++) {
			add(problem.name, 'sweeplab-motpe (other seeds)', gaps(problem, runOurs(problem, 'motpe', seed, trials, startupTrials), checkpoints));
		}
	}

	const oursSeconds = (performance.now() - started) / 1000;
	console.log(`wall: optuna ${peerSeconds.toFixed(1)} s (incl. python start), sweeplab ${oursSeconds.toFixed(1)} s`);

	const samplers = [...ourSamplers.map(name => `sweeplab-${name}`), ...options.optunaSamplers.map(name => `optuna-${name}`)];
	console.log('');
	console.log(`hypervolume gap (the true front's hypervolume minus the found front's; 0 is perfect), median [q1, q3] over ${seeds} seeds`);
	console.log(['problem', 'front hypervolume', 'sampler', ...checkpoints.map(n => `after ${n}`)].join(' | '));
	const medians = new Map<string, number[]>();
	for (const problem of problems) {
		for (const sampler of [...samplers, 'sweeplab-motpe (other seeds)']) {
			const rows = results.get(`${problem.name}\t${sampler}`)!;
			const cells = checkpoints.map((_, c) => {
				const at = rows.map(row => row[c]);
				return {median: median(at), q1: quantile(at, 0.25), q3: quantile(at, 0.75)};
			});
			medians.set(`${problem.name}\t${sampler}`, cells.map(cell => cell.median));
			if (sampler !== 'sweeplab-motpe (other seeds)') {
				console.log([problem.name, format(problem.frontVolume), sampler, ...cells.map(cell => `${format(cell.median)} [${format(cell.q1)}, ${format(cell.q3)}]`)].join(' | '));
			}
		}
	}

	const comparisons = [
		...options.optunaSamplers.filter(name => name.startsWith('tpe')).map(name => ({ours: 'sweeplab-motpe', theirs: `optuna-${name}`})),
		...options.optunaSamplers.filter(name => name === 'nsga2').map(name => ({ours: 'sweeplab-nsga2', theirs: `optuna-${name}`})),
		...options.optunaSamplers.filter(name => name === 'random').map(name => ({ours: 'sweeplab-random', theirs: `optuna-${name}`})),
		{ours: 'sweeplab-motpe (other seeds)', theirs: 'sweeplab-motpe'},
	];
	for (const {ours, theirs: peerName} of comparisons) {
		console.log('');
		console.log(`median gap ratio, ${ours} / ${peerName} (<= 1: the first as good or better), after ${checkpoints.join(' / ')} trials`);
		let wins = 0;
		for (const problem of problems) {
			const a = medians.get(`${problem.name}\t${ours}`)!;
			const b = medians.get(`${problem.name}\t${peerName}`)!;
			const ratios = a.map((value, i) => (value === b[i] ? 1 : value / b[i]));
			wins += ratios.at(-1)! <= 1 ? 1 : 0;
			console.log(`${problem.name.padEnd(18)} ${ratios.map(x => x.toFixed(2)).join(' / ')}`);
		}

		console.log(`ratio <= 1 after ${checkpoints.at(-1)} trials on ${wins} of ${problems.length} problems`);
	}

	// 3. Seconds per suggestion with a long history of random trials, on a 2- and a 3-objective problem.
	const timed = problems.filter(problem => ['zdt1', 'dtlz2'].includes(problem.name));
	if (timed.length === 0 || options.timingHistory <= 0) {
		return;
	}

	console.log('');
	console.log(`seconds per suggestion with ${options.timingHistory} finished random trials (median; sweeplab: suggestMotpe / suggestNsga2, Optuna: ask + suggest_*)`);
	for (const problem of timed) {
		const history = Array.from({length: options.timingHistory}, (_, i) => {
			const params = randomParameters(problem.parameters, createRng(deriveSeed('timing', problem.name, i)));
			return {params, values: problem.evaluate(params)};
		});
		for (const [ours, peerName] of [['motpe', 'tpe'], ['nsga2', 'nsga2']] as const) {
			// Optuna's MOTPE on three objectives takes most of a minute per suggestion at 1,000 trials (its greedy subset
			// selection recomputes WFG hypervolumes): 3 repeats there.
			const repeats = problem.objectives >= 3 && peerName === 'tpe' ? Math.min(3, options.timingRepeats) : options.timingRepeats;
			const peerTimes = await ask<Record<string, number[]>>({mode: 'timing', histories: {[problem.name]: history}, repeats, sampler: peerName}, `timing-${peerName}`);
			const times: number[] = [];
			for (let i = 0; i < repeats; i++) {
				const t0 = performance.now();
				suggest(problem, ours, history, 1, options.timingHistory + i, startupTrials);
				times.push((performance.now() - t0) / 1000);
			}

			const a = median(times);
			const b = median(peerTimes[problem.name]);
			console.log(`${problem.name.padEnd(8)} ${ours.padEnd(6)} sweeplab ${(a * 1000).toFixed(2)} ms, optuna ${(b * 1000).toFixed(2)} ms (${(b / a).toFixed(1)}x; median of ${repeats})`);
		}
	}
}
