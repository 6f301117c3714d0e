/**
 * sweeplab's fANOVA (src/report/importance.ts) beside Optuna 3.1's FanovaImportanceEvaluator and
 * MeanDecreaseImpurityImportanceEvaluator (bench/peer/optuna_importance.py, Debian's python3-optuna and
 * python3-sklearn) on the same observations:
 * - synthetic functions whose shares are known: x + 2y + 0z; (x - 1/2)(y - 1/2) + 0z, pure interaction; and a log
 *   learning rate with a categorical activation and two parameters that do nothing;
 * - bench:samplers' study-table problem (exact shares by enumeration), as bench/importance.ts;
 * - every sweep of the study (reports/study.db, read from a copy) with two or more finished configs: each config's
 *   mean best value of the sweep's metric, as `sweeplab best <sweep> --importance` and the reports take them.
 * Prints, per case, each parameter's share from each side, the top pair, the rank agreement (Spearman's rho), the
 * time each took (median of --rounds calls) and the top parameter each side names with the forest seeded with each
 * of --seeds, then a summary table.
 *
 *   npm run bench:importance-optuna [-- --db reports/study.db] [--configs 200] [--rounds 3] [--seed 1] [--seeds 0,1,2,3]
 *                                      [--cases study-table]   (only the cases whose name contains one of these)
 */
import {spawnSync} from 'node:child_process';
import {copyFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {openStore} from '../src/cli/common.js';
import {readSweep} from '../src/report/data.js';
import {type ImportanceObservation, importanceObservations, type ImportanceResult, parameterImportance, variedParameters} from '../src/report/importance.js';
import {sampleParameter} from '../src/sweep/expand.js';
import {canonicalJson} from '../src/sweep/hash.js';
import type {ParameterSpec} from '../src/types.js';
import {createRng} from '../src/util/random.js';
import {machineLine, median, PEER_ENV} from './common.js';
import {exactAdditiveShares, exactGridShares} from './importance-exact.js';
import {samplerProblems} from './sampler-problems.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function option(name: string, fallback: string): string {
	const index = process.argv.indexOf(`--${name}`);
	return index < 0 ? fallback : process.argv[index + 1];
}

const studyDb = option('db', join(root, 'reports/study.db'));
const configs = Number(option('configs', '200'));
const rounds = Number(option('rounds', '3'));
const seed = Number(option('seed', '1'));
const forestSeeds = option('seeds', '0,1,2,3').split(',').map(Number);
const only = process.argv.includes('--cases') ? option('cases', '').split(',') : undefined;

interface Known {
	/** Main-effect shares under sweeplab's measure (log parameters uniform in log(value)). */
	main: Map<string, number>;
	/** The same under Optuna 3.1's measure (uniform in the value), when it differs. */
	rawMain?: Map<string, number>;
	pair?: {names: [string, string]; importance: number};
}

interface Case {
	name: string;
	parameters: Record<string, ParameterSpec>;
	observations: ImportanceObservation[];
	known?: Known;
}

interface PeerCase {
	name: string;
	fanova: Record<string, number>;
	fanova_by_seed: Array<Record<string, number>>;
	fanova_raw: Record<string, {mean: number; std: number}>;
	top_pair: {names: [string, string]; importance: number} | null;
	pairs_skipped: number;
	mdi: Record<string, number>;
	seconds: {fanova: number; mdi: number};
}

/** `n` configs drawn at random from `parameters` with their value of `f`. */
function sampled(parameters: Record<string, ParameterSpec>, f: (params: Record<string, unknown>) => number, n: number): ImportanceObservation[] {
	const rng = createRng(seed);
	const names = Object.keys(parameters).sort();
	return Array.from({length: n}, () => {
		const params = Object.fromEntries(names.map(name => [name, sampleParameter(parameters[name], rng)]));
		return {params, value: f(params)};
	});
}

const num = (params: Record<string, unknown>, name: string): number => params[name] as number;
const unit = {kind: 'uniform', min: 0, max: 1} as const;

function syntheticCases(): Case[] {
	const xyz = {x: unit, y: unit, z: unit};
	const linear = {x: (v: unknown) => v as number, y: (v: unknown) => 2 * (v as number)};
	const activation: Record<string, number> = {relu: 0, tanh: 0.5, elu: 0.25};
	const mixed = {
		learningRate: {kind: 'log-uniform', min: 1e-5, max: 1e-1},
		activation: {kind: 'values', values: ['relu', 'tanh', 'elu']},
		units: {kind: 'log-int-uniform', min: 16, max: 512},
		epochs: {kind: 'int-uniform', min: 1, max: 20},
	} satisfies Record<string, ParameterSpec>;
	const mixedTerms = {learningRate: (v: unknown) => (Math.log10(v as number) + 3) ** 2, activation: (v: unknown) => activation[v as string]};
	const mixedF = (p: Record<string, unknown>) => mixedTerms.learningRate(p.learningRate) + mixedTerms.activation(p.activation);
	return [
		{
			name: 'x + 2y + 0z',
			parameters: xyz,
			observations: sampled(xyz, p => num(p, 'x') + (2 * num(p, 'y')), configs),
			known: {main: exactAdditiveShares(xyz, linear, 'log')},
		},
		{
			name: '(x - 1/2)(y - 1/2) + 0z',
			parameters: xyz,
			observations: sampled(xyz, p => (num(p, 'x') - 0.5) * (num(p, 'y') - 0.5), configs),
			// The product of two centred terms has no main effects: all of its variance is the x-y interaction.
			known: {main: new Map([['x', 0], ['y', 0], ['z', 0]]), pair: {names: ['x', 'y'], importance: 1}},
		},
		{
			name: 'log lr + activation, units and epochs idle',
			parameters: mixed,
			observations: sampled(mixed, mixedF, configs),
			known: {main: exactAdditiveShares(mixed, mixedTerms, 'log'), rawMain: exactAdditiveShares(mixed, mixedTerms, 'raw')},
		},
	];
}

/**
 * bench:samplers' study-table problem over its whole table, where the learning rates 0.03 and 0.1 (13 and 78 points
 * lost) take all the variance, and with the learning rate kept to 0.01 or less, where the other factors show.
 */
function studyTableCases(): Case[] {
	const problem = samplerProblems(studyDb).find(p => p.name === 'study-table')!;
	const learningRate = problem.parameters.learningRate as {kind: 'values'; values: number[]};
	const lowRates = {...problem.parameters, learningRate: {kind: 'values', values: learningRate.values.filter(value => value <= 0.01)}} satisfies Record<string, ParameterSpec>;
	return [studyTableCase('study-table', problem.parameters, problem.evaluate), studyTableCase('study-table, learning rate <= 0.01', lowRates, problem.evaluate)];
}

function studyTableCase(name: string, parameters: Record<string, ParameterSpec>, evaluate: (params: Record<string, unknown>) => number): Case {
	const accuracy = (params: Record<string, unknown>): number => 1 - evaluate(params);
	const exact = exactGridShares(parameters, accuracy);
	const names = Object.keys(parameters).sort();
	let pair: Known['pair'];
	for (const [i, a] of names.entries()) {
		for (const b of names.slice(i + 1)) {
			const importance = exact.pair(a, b);
			if (!pair || importance > pair.importance) {
				pair = {names: [a, b], importance};
			}
		}
	}

	return {name, parameters, observations: sampled(parameters, accuracy, configs), known: {main: exact.main, pair}};
}

/** The study's sweeps with at least two finished configs and a parameter that varies, read from a copy of the database. */
async function studyCases(dir: string): Promise<Case[]> {
	const copy = join(dir, 'study.db');
	// Opening a database migrates it to the current schema: do that to a copy, never to the committed file.
	copyFileSync(studyDb, copy);
	const store = openStore(copy);
	try {
		const cases: Case[] = [];
		for (const status of await store.listSweeps()) {
			const data = await readSweep(store, status.sweep.name);
			const varied = variedParameters(data.sweep.definition.parameters);
			const observations = importanceObservations(data);
			if (varied.length > 0 && observations.length >= 2) {
				const parameters = Object.fromEntries(varied.map(name => [name, data.sweep.definition.parameters[name]]));
				cases.push({name: `study: ${status.sweep.name}`, parameters, observations});
			}
		}

		return cases;
	} finally {
		await store.close();
	}
}

/** The case as the Python side takes it: listed values as their canonical JSON, so any value is a valid Optuna choice. */
function peerSpec(c: Case): unknown {
	const encode = (name: string, value: unknown): unknown => (c.parameters[name].kind === 'values' ? canonicalJson(value) : value);
	return {
		name: c.name,
		parameters: Object.fromEntries(Object.entries(c.parameters).map(([name, spec]) => [name, spec.kind === 'values' ? {kind: 'values', values: [...new Set(spec.values.map(v => canonicalJson(v)))]} : spec])),
		observations: c.observations.map(o => ({params: Object.fromEntries(Object.keys(c.parameters).map(name => [name, encode(name, o.params[name])])), value: o.value})),
	};
}

function runPeer(dir: string, c: Case): {versions: string; result: PeerCase} {
	const file = join(dir, 'case.json');
	writeFileSync(file, JSON.stringify({seed: 0, rounds, seeds: forestSeeds, cases: [peerSpec(c)]}));
	const python = process.env.PYTHON ?? '/usr/bin/python3';
	const run = spawnSync(python, [join(root, 'bench/peer/optuna_importance.py'), file], {encoding: 'utf8', env: PEER_ENV, maxBuffer: 64 * 1024 * 1024});
	if (run.status !== 0) {
		throw new Error(`${python} bench/peer/optuna_importance.py failed on ${c.name} (exit ${run.status}): ${run.stderr.trim().split('\n').at(-1)}\nIt needs Debian's python3-optuna and python3-sklearn (or PYTHON=<a python3 that has both>).`);
	}

	const answer = JSON.parse(run.stdout) as {versions: string; cases: PeerCase[]};
	return {versions: answer.versions, result: answer.cases[0]};
}

/** Spearman's rho with average ranks for ties; undefined with fewer than two parameters or a constant side. */
function spearman(a: number[], b: number[]): number | undefined {
	const ranks = (xs: number[]): number[] => {
		const order = xs.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
		const r = new Array<number>(xs.length);
		for (let i = 0; i < order.length;) {
			let j = i;
			while (j + 1 < order.length && order[j + 1][0] === order[i][0]) {
				j++;
			}

			for (let k = i; k <= j; k++) {
				r[order[k][1]] = (i + j) / 2;
			}

			i = j + 1;
		}

		return r;
	};

	if (a.length < 2) {
		return undefined;
	}

	const [ra, rb] = [ranks(a), ranks(b)];
	const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
	const [ma, mb] = [mean(ra), mean(rb)];
	let [sab, saa, sbb] = [0, 0, 0];
	for (const [i, x] of ra.entries()) {
		sab += (x - ma) * (rb[i] - mb);
		saa += (x - ma) ** 2;
		sbb += (rb[i] - mb) ** 2;
	}

	return saa === 0 || sbb === 0 ? undefined : sab / Math.sqrt(saa * sbb);
}

const pct = (share: number | undefined): string => (share === undefined || !Number.isFinite(share) ? '-' : `${(share * 100).toFixed(1)}%`);
const rho = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(2));
const secs = (value: number): string => (value < 0.1 ? value.toFixed(3) : value.toFixed(2));
/** The parameter with the largest share; '-' when none has any (a pure interaction). */
const topOf = (shares: Map<string, number>): string => {
	const [name, share] = [...shares].sort((p, q) => q[1] - p[1])[0];
	return share > 0 ? name : '-';
};

const summary: string[][] = [];
let versions = '';

function report(c: Case, ours: ImportanceResult, oursSeconds: number, peer: PeerCase): void {
	const names = Object.keys(c.parameters).sort();
	const share = new Map(ours.parameters.map(p => [p.name, p]));
	const oursMain = new Map(names.map(name => [name, share.get(name)?.importance ?? 0]));
	const oursTotal = [...oursMain.values()].reduce((s, x) => s + x, 0);
	const fanova = new Map(names.map(name => [name, peer.fanova[name] ?? 0]));
	const mdi = new Map(names.map(name => [name, peer.mdi[name] ?? 0]));
	const head = ['parameter', ...(c.known ? ['exact'] : []), ...(c.known?.rawMain ? ['exact, Optuna\'s scale'] : []), 'sweeplab (share ± over trees)', 'sweeplab, normalised', 'Optuna fANOVA (share ± over trees)', 'Optuna fANOVA, normalised', 'Optuna MDI'];
	console.log(`\n${c.name}: ${c.observations.length} configs × ${names.length} parameter${names.length === 1 ? '' : 's'}`);
	console.log(`| ${head.join(' | ')} |`);
	console.log(`|${head.map(() => '---').join('|')}|`);
	for (const name of names) {
		const raw = peer.fanova_raw[name];
		console.log(`| ${[
			name,
			...(c.known ? [pct(c.known.main.get(name))] : []),
			...(c.known?.rawMain ? [pct(c.known.rawMain.get(name))] : []),
			`${pct(oursMain.get(name))} ± ${pct(share.get(name)?.std ?? 0)}`,
			pct(oursMain.get(name)! / oursTotal),
			`${pct(raw.mean)} ± ${pct(raw.std)}`,
			pct(fanova.get(name)),
			pct(mdi.get(name)),
		].join(' | ')} |`);
	}

	const pairText = (pair: {names: string[]; importance: number} | null | undefined) => (pair ? `${[...pair.names].sort().join(' × ')} ${pct(pair.importance)}` : '-');
	const values = (shares: Map<string, number>) => names.map(name => shares.get(name)!);
	const rhoFanova = spearman(values(oursMain), values(fanova));
	const rhoMdi = spearman(values(oursMain), values(mdi));
	console.log(`top pair: ${c.known?.pair ? `exact ${pairText(c.known.pair)}; ` : ''}sweeplab ${pairText(ours.topInteraction)}; Optuna's forest ${pairText(peer.top_pair)}${peer.pairs_skipped > 0 ? ` (${peer.pairs_skipped} pairs of wide categoricals not computed)` : ''}`);
	const exactRho = c.known ? `; against the exact shares: sweeplab ${rho(spearman(values(c.known.main), values(oursMain)))}, Optuna fANOVA ${rho(spearman(values(c.known.rawMain ?? c.known.main), values(fanova)))}, MDI ${rho(spearman(values(c.known.rawMain ?? c.known.main), values(mdi)))}` : '';
	console.log(`rank agreement (Spearman's rho): sweeplab against Optuna fANOVA ${rho(rhoFanova)}, against MDI ${rho(rhoMdi)}${exactRho}`);
	console.log(`seconds (median of ${rounds}): sweeplab ${secs(oursSeconds)}, Optuna fANOVA ${secs(peer.seconds.fanova)}, Optuna MDI ${secs(peer.seconds.mdi)}`);
	const top = (shares: Map<string, number>) => `${topOf(shares)} ${pct(shares.get(topOf(shares)))}`;
	const oursBySeed = forestSeeds.map(s => new Map(parameterImportance(c.parameters, c.observations, {seed: s}).parameters.map(p => [p.name, p.importance])));
	const peerBySeed = peer.fanova_by_seed.map(shares => new Map(Object.entries(shares)));
	console.log(`top parameter with forest seeds ${forestSeeds.join(', ')}: sweeplab ${oursBySeed.map(top).join('; ')}; Optuna fANOVA (normalised) ${peerBySeed.map(top).join('; ')}`);
	const distinct = (all: Array<Map<string, number>>) => new Set(all.map(topOf)).size;
	summary.push([
		c.name,
		`${c.observations.length} × ${names.length}`,
		[c.known ? topOf(c.known.main) : undefined, topOf(oursMain), topOf(fanova), topOf(mdi)].filter(Boolean).join(' / '),
		rho(rhoFanova),
		rho(rhoMdi),
		`${distinct(oursBySeed)} / ${distinct(peerBySeed)}`,
		`${secs(oursSeconds)} / ${secs(peer.seconds.fanova)} / ${secs(peer.seconds.mdi)}`,
	]);
}

const dir = mkdtempSync(join(tmpdir(), 'sweeplab-importance-optuna-'));
try {
	const cases = [...syntheticCases(), ...studyTableCases(), ...await studyCases(dir)];
	for (const c of cases.filter(c => only === undefined || only.some(part => c.name.includes(part)))) {
		// Alternate the sides: one sweeplab call, Optuna's rounds, then the rest of sweeplab's.
		const time = () => {
			const started = performance.now();
			const result = parameterImportance(c.parameters, c.observations);
			return {result, seconds: (performance.now() - started) / 1000};
		};

		const first = time();
		const peer = runPeer(dir, c);
		versions = peer.versions;
		const rest = Array.from({length: rounds - 1}, time);
		report(c, first.result, median([first, ...rest].map(r => r.seconds)), peer.result);
	}

	console.log(`\n${machineLine()}; ${versions}; ${rounds} rounds; sweeplab seed 0, Optuna seed 0; configs drawn with seed ${seed}`);
	const head = ['case', 'configs × parameters', 'top parameter ([exact /] sweeplab / Optuna fANOVA / MDI)', 'rho, sweeplab : Optuna fANOVA', 'rho, sweeplab : MDI', `distinct top parameters over ${forestSeeds.length} forest seeds: sweeplab / Optuna fANOVA`, 'seconds: sweeplab / Optuna fANOVA / MDI'];
	console.log(`| ${head.join(' | ')} |`);
	console.log(`|${head.map(() => '---').join('|')}|`);
	for (const row of summary) {
		console.log(`| ${row.join(' | ')} |`);
	}
} finally {
	rmSync(dir, {recursive: true, force: true});
}
