/**
 * sweeplab's samplers against Optuna's on the same problems (bench/sampler-problems.ts), in one run: simple
 * regret (best value so far minus the optimum) after 10, 30 and 60 trials, median and quartiles over seeds, and
 * seconds per TPE suggestion with 1,000 finished trials. Optuna runs in one python3 (bench/peer/optuna_samplers.py),
 * found as bench:peer finds it. Writes an SVG plot of median regret per trial.
 *
 *   npm run bench:samplers [-- --seeds 20] [--trials 60] [--only branin,hartmann6] [--optuna random,tpe,tpe-5110,tpe-mv] [--processes 2]
 *                          [--svg reports/samplers.svg] [--db reports/study.db] [--timing-trials 1000]
 *                          [--objectives single,multi] [--optuna-mo random,tpe,tpe-5110,nsga2]
 *
 * Optuna's samplers: `random`, `tpe` (TPESampler as shipped, Debian's 3.1), `tpe-5110` (the same with the fix
 * Optuna 3.5 made to its truncated-normal log density, PR #5110, which sweeplab's TPE has) and `tpe-mv`
 * (multivariate=True; `tpe-mv-5110` with the fix). sweeplab's TPE is its default (multivariate, sweeplab's estimators);
 * `sweeplab-tpe-independent` is `multivariate: false`, the same algorithm as Optuna's default but for g(x). Every Optuna
 * TPE is compared with both. A last comparison runs sweeplab's TPE on a second block of seeds: the ratio that chance
 * alone gives.
 *
 * Then the multi-objective problems (bench/samplers-mo.ts): sweeplab's multi-objective TPE and NSGA-II against
 * Optuna's. `--objectives single` or `multi` runs one half only; `--only` names problems of either half.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {availableParallelism, tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {TopLevelSpec} from 'vega-lite';
import {renderSvg} from '../src/report/chart-common.js';
import {randomParameters} from '../src/sweep/expand.js';
import {suggestTpe} from '../src/samplers/tpe.js';
import {createRng, deriveSeed} from '../src/util/random.js';
import {askPython, findPeerPython, machineLine, median, quantile} from './common.js';
import {multiObjectiveProblems, samplerProblems, type Problem} from './sampler-problems.js';
import {benchMultiObjective} from './samplers-mo.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function option(name: string, fallback: string): string {
	const index = process.argv.indexOf(`--${name}`);
	return index < 0 ? fallback : process.argv[index + 1];
}

const seeds = Number(option('seeds', '20'));
const trials = Number(option('trials', '60'));
const timingHistory = Number(option('timing-trials', '1000'));
const timingRepeats = Number(option('timing-repeats', '20'));
/** Python processes for Optuna's runs: one per core of this 2-core machine by default. */
const processes = Number(option('processes', String(Math.max(1, Math.min(2, availableParallelism())))));
const svgPath = option('svg', join(root, 'reports/samplers.svg'));
const studyDatabase = option('db', join(root, 'reports/study.db'));
const checkpoints = [10, 30, 60].filter(n => n <= trials);
const STARTUP = 10;
/** The plot's log scale starts here: a sampler that finds the optimum (regret 0) sits on the floor. */
const PLOT_FLOOR = 1e-3;

const optunaSamplers = option('optuna', 'random,tpe,tpe-5110,tpe-mv').split(',');

interface Job {
	problem: string;
	sampler: string;
	seed: number;
}

const halves = option('objectives', 'single,multi').split(',');
const chosen = (problem: {name: string}): boolean => option('only', '') === '' || option('only', '').split(',').includes(problem.name);
const problems = halves.includes('single') ? samplerProblems(studyDatabase).filter(problem => chosen(problem)) : [];
const multiProblems = halves.includes('multi') ? multiObjectiveProblems(studyDatabase).filter(problem => chosen(problem)) : [];
const found = findPeerPython();
if ('tried' in found) {
	console.error(`bench:samplers: no python3 with optuna (tried ${found.tried.join(', ')}; set PYTHON, or apt-get install python3-optuna python3-torch)`);
	process.exit(1);
}

const peer = found;

const scratch = mkdtempSync(join(tmpdir(), 'sweeplab-samplers-'));

/** One python3 answering one request; several may run at once (the run's jobs are split over `processes`). */
async function askPeer<T>(request: Record<string, unknown>, name = 'spec'): Promise<T> {
	const problemList = problems.map(problem => ({name: problem.name, parameters: problem.parameters, data: problem.data}));
	return askPython<T>(peer.python, join(root, 'bench/peer/optuna_samplers.py'), join(scratch, `${name}.json`), {...request, problems: problemList});
}

function randomParams(problem: Problem, seed: number): Record<string, unknown> {
	return randomParameters(problem.parameters, createRng(seed));
}

/** A sequential study: each suggestion is evaluated before the next is asked. */
function runSweeplab(problem: Problem, sampler: 'random' | 'tpe' | 'tpe-independent', seed: number): number[] {
	const observations: Array<{params: Record<string, unknown>; value: number}> = [];
	for (let trialNumber = 0; trialNumber < trials; trialNumber++) {
		const params = suggestTpe({
			parameters: problem.parameters,
			observations,
			pending: [],
			direction: 'minimize',
			startupTrials: sampler === 'random' ? Number.POSITIVE_INFINITY : STARTUP,
			seed,
			trialNumber,
			multivariate: sampler !== 'tpe-independent',
		});
		observations.push({params, value: problem.evaluate(params)});
	}

	return observations.map(observation => observation.value);
}

function regretCurve(values: number[], optimum: number): number[] {
	let best = Number.POSITIVE_INFINITY;
	return values.map(value => {
		best = Math.min(best, Number.isNaN(value) ? Number.POSITIVE_INFINITY : value);
		return Math.max(0, best - optimum);
	});
}

const format = (x: number): string => (x === 0 ? '0' : (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3)));

async function benchSingleObjective(): Promise<void> {
	console.log(`${problems.length} problems x ${seeds} seeds x ${trials} trials; TPE start-up ${STARTUP} random trials on both sides`);

	// 1. Both sides must compute the same objectives.
	const points = Object.fromEntries(problems.map(problem => [problem.name, Array.from({length: 20}, (_, i) => randomParams(problem, deriveSeed('check', problem.name, i)))]));
	const theirs = await askPeer<Record<string, number[]>>({mode: 'check', points});
	for (const problem of problems) {
		for (const [i, params] of points[problem.name].entries()) {
			const ours = problem.evaluate(params);
			const other = theirs[problem.name][i];
			if (!(Math.abs(ours - other) <= 1e-9 * Math.max(1, Math.abs(ours)))) {
				throw new Error(`${problem.name}: objectives disagree at ${JSON.stringify(params)}: sweeplab ${ours}, python ${other}`);
			}
		}
	}

	console.log(`objectives agree on ${problems.length} x 20 random points`);

	// 2. Regret curves. Optuna's side runs in one process; sweeplab's in this one.
	const curves = new Map<string, number[][]>();
	const add = (problem: string, sampler: string, curve: number[]) => {
		const key = `${problem}\t${sampler}`;
		curves.set(key, [...(curves.get(key) ?? []), curve]);
	};

	const jobs: Job[] = problems.flatMap(problem => optunaSamplers.flatMap(sampler => Array.from({length: seeds}, (_, seed) => ({problem: problem.name, sampler, seed}))));
	let started = performance.now();
	// Split over processes round-robin so each gets a share of every sampler's (unequal) work; the order of results does not matter.
	const chunks = Array.from({length: processes}, (_, p) => jobs.filter((_, i) => i % processes === p)).filter(chunk => chunk.length > 0);
	const peerRuns = (await Promise.all(chunks.map(async (chunk, p) => askPeer<Array<Job & {values: number[]}>>({mode: 'run', trials, jobs: chunk}, `run-${p}`)))).flat();
	const peerSeconds = (performance.now() - started) / 1000;
	for (const run of peerRuns) {
		const problem = problems.find(p => p.name === run.problem)!;
		add(run.problem, `optuna-${run.sampler}`, regretCurve(run.values, problem.optimum));
	}

	started = performance.now();
	for (const problem of problems) {
		for (const sampler of ['random', 'tpe', 'tpe-independent'] as const) {
			for (let seed = 0; seed < seeds; seed++) {
				add(problem.name, `sweeplab-${sampler}`, regretCurve(runSweeplab(problem, sampler, seed), problem.optimum));
			}
		}

		// The same sampler on the next block of seeds: how far a ratio moves by chance alone.
		for (let seed = seeds; seed < 2 * seeds; seed++) {
			add(problem.name, 'sweeplab-tpe (other seeds)', regretCurve(runSweeplab(problem, 'tpe', seed), problem.optimum));
		}
	}

	const oursSeconds = (performance.now() - started) / 1000;
	console.log(`wall: optuna ${peerSeconds.toFixed(1)} s (incl. python start), sweeplab ${oursSeconds.toFixed(1)} s`);

	const samplers = ['sweeplab-random', 'sweeplab-tpe', 'sweeplab-tpe-independent', ...optunaSamplers.map(name => `optuna-${name}`)];
	// Each of Optuna's TPEs against sweeplab's default (the goal's comparison) and against its independent TPE.
	const comparisons = [
		...optunaSamplers.filter(name => name.startsWith('tpe')).flatMap(name => ['sweeplab-tpe', 'sweeplab-tpe-independent'].map(ours => ({ours, theirs: `optuna-${name}`}))),
		{ours: 'sweeplab-tpe (other seeds)', theirs: 'sweeplab-tpe'},
	];
	console.log('');
	console.log(`simple regret, median [q1, q3] over ${seeds} seeds`);
	console.log(['problem', 'sampler', ...checkpoints.map(n => `after ${n}`)].join(' | '));
	const ratios: Array<{problem: string; comparison: string; ratios: number[]}> = [];
	const plotValues: Array<Record<string, unknown>> = [];
	for (const problem of problems) {
		const medians = new Map<string, number[]>();
		for (const sampler of samplers) {
			const runs = curves.get(`${problem.name}\t${sampler}`)!;
			const cells = checkpoints.map(n => {
				const at = runs.map(curve => curve[n - 1]);
				return {median: median(at), q1: quantile(at, 0.25), q3: quantile(at, 0.75)};
			});
			medians.set(sampler, cells.map(cell => cell.median));
			console.log([problem.name, sampler, ...cells.map(cell => `${format(cell.median)} [${format(cell.q1)}, ${format(cell.q3)}]`)].join(' | '));
			for (let n = 1; n <= trials; n++) {
				plotValues.push({problem: problem.name, sampler, trial: n, regret: median(runs.map(curve => curve[n - 1]))});
			}

		}

		// One scale for every panel: regret relative to random search's after the start-up trials, floored for the log scale.
		const reference = median(curves.get(`${problem.name}\tsweeplab-random`)!.map(curve => curve[Math.min(STARTUP, trials) - 1]));
		for (const value of plotValues.filter(entry => entry.problem === problem.name)) {
			value.relative = Math.max(PLOT_FLOOR, (value.regret as number) / reference);
		}

		const otherSeeds = curves.get(`${problem.name}\tsweeplab-tpe (other seeds)`)!;
		medians.set('sweeplab-tpe (other seeds)', checkpoints.map(n => median(otherSeeds.map(curve => curve[n - 1]))));
		for (const {ours, theirs: peerName} of comparisons) {
			const a = medians.get(ours)!;
			const b = medians.get(peerName)!;
			ratios.push({problem: problem.name, comparison: `${ours} / ${peerName}`, ratios: a.map((value, i) => (value === b[i] ? 1 : value / b[i]))});
		}
	}

	for (const {ours, theirs: peerName} of comparisons) {
		const comparison = `${ours} / ${peerName}`;
		const rows = ratios.filter(entry => entry.comparison === comparison);
		console.log('');
		console.log(`median regret ratio, ${comparison} (<= 1: the first as good or better), after ${checkpoints.join(' / ')} trials`);
		for (const {problem, ratios: r} of rows) {
			console.log(`${problem.padEnd(18)} ${r.map(x => x.toFixed(2)).join(' / ')}`);
		}

		for (const heldOut of [false, true]) {
			const group = rows.filter(entry => problems.find(problem => problem.name === entry.problem)!.heldOut === heldOut);
			if (group.length > 0) {
				const last = group.filter(entry => entry.ratios.at(-1)! <= 1).length;
				console.log(`ratio <= 1 after ${checkpoints.at(-1)} trials on ${last} of ${group.length} ${heldOut ? 'held-out problems' : 'problems the goal counts'}`);
			}
		}

		// How far the last ratio could move by chance: both sides' seeds resampled (a bootstrap of the ratio of medians).
		const rng = createRng(deriveSeed('bootstrap', comparison));
		const resample = (values: number[]): number[] => values.map(() => values[Math.floor(rng.next() * values.length)]);
		console.log(`90% bootstrap interval of the ratio after ${checkpoints.at(-1)} trials (2,000 resamples of each side's seeds)`);
		for (const {problem} of rows) {
			const at = (sampler: string): number[] => curves.get(`${problem}\t${sampler}`)!.map(curve => curve[checkpoints.at(-1)! - 1]);
			const a = at(ours);
			const b = at(peerName);
			const draws = Array.from({length: 2000}, () => {
				const [x, y] = [median(resample(a)), median(resample(b))];
				return x === y ? 1 : x / y;
			});
			console.log(`${problem.padEnd(18)} [${quantile(draws, 0.05).toFixed(2)}, ${quantile(draws, 0.95).toFixed(2)}]`);
		}
	}

	// 3. Seconds per suggestion with a long history, on the two largest mixed spaces.
	const timed = problems.filter(problem => ['mixed-hpo', 'hartmann6'].includes(problem.name));
	if (timed.length > 0 && timingHistory > 0) {
		const histories = Object.fromEntries(timed.map(problem => [problem.name, Array.from({length: timingHistory}, (_, i) => {
			const params = randomParams(problem, deriveSeed('timing', problem.name, i));
			return {params, value: problem.evaluate(params)};
		})]));
		const peerTimes = await askPeer<Record<string, number[]>>({mode: 'timing', histories, repeats: timingRepeats});
		console.log('');
		console.log(`seconds per TPE suggestion with ${timingHistory} finished trials (median of ${timingRepeats}; sweeplab: suggestTpe, default and independent; Optuna: ask + suggest_*, its default)`);
		for (const problem of timed) {
			const seconds = (multivariate: boolean): number => {
				const ours: number[] = [];
				for (let i = 0; i < timingRepeats; i++) {
					const t0 = performance.now();
					suggestTpe({parameters: problem.parameters, observations: histories[problem.name], pending: [], direction: 'minimize', startupTrials: STARTUP, seed: 1, trialNumber: timingHistory + i, multivariate});
					ours.push((performance.now() - t0) / 1000);
				}

				return median(ours);
			};

			const [a, independent] = [seconds(true), seconds(false)];
			const b = median(peerTimes[problem.name]);
			console.log(`${problem.name.padEnd(18)} sweeplab ${(a * 1000).toFixed(2)} ms (independent ${(independent * 1000).toFixed(2)} ms), optuna ${(b * 1000).toFixed(2)} ms (${(b / a).toFixed(1)}x)`);
		}
	}

	const spec = {
		$schema: 'https://vega.github.io/schema/vega-lite/v5.json',
		data: {values: plotValues},
		facet: {field: 'problem', type: 'nominal', title: null},
		columns: 3,
		spec: {
			width: 220,
			height: 160,
			mark: {type: 'line'},
			encoding: {
				x: {field: 'trial', type: 'quantitative', title: 'trials'},
				y: {field: 'relative', type: 'quantitative', scale: {type: 'log'}, title: `median regret ÷ random's at ${STARTUP}`},
				color: {field: 'sampler', type: 'nominal', scale: {domain: samplers}},
				strokeDash: {field: 'sampler', type: 'nominal', scale: {domain: samplers}},
			},
		},
	} as TopLevelSpec;
	writeFileSync(svgPath, await renderSvg(spec));
	console.log(`\nplot: ${svgPath}`);
}

try {
	console.log(`bench:samplers  ${new Date().toISOString()}  ${machineLine()}; peer ${peer.python}: ${peer.versions}`);
	if (problems.length > 0) {
		await benchSingleObjective();
	}

	if (multiProblems.length > 0) {
		await benchMultiObjective({
			python: peer.python,
			script: join(root, 'bench/peer/optuna_samplers.py'),
			scratch,
			problems: multiProblems,
			seeds,
			trials,
			checkpoints,
			processes,
			optunaSamplers: option('optuna-mo', 'random,tpe,tpe-5110,nsga2').split(','),
			startupTrials: STARTUP,
			timingHistory,
			timingRepeats,
		});
	}
} finally {
	rmSync(scratch, {recursive: true, force: true});
}
