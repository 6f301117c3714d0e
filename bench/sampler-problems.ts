/**
 * The problems of `npm run bench:samplers`, every one minimised and with a known optimum. bench/peer/optuna_samplers.py
 * implements the same objectives for Optuna; the bench checks that both sides agree on a set of points before it
 * compares anything. Categorical values are strings, numbers or booleans so that Optuna can take them as choices.
 */
import {existsSync} from 'node:fs';
import Database from 'better-sqlite3';
import type {ParameterSpec} from '../src/types.js';
import {hypervolume, nadirReference, paretoFront} from '../src/util/pareto.js';

export interface Problem {
	name: string;
	/** One line for the docs: what the space mixes. */
	description: string;
	parameters: Record<string, ParameterSpec>;
	/** Lowest reachable value of `evaluate` over the space. */
	optimum: number;
	evaluate(params: Record<string, unknown>): number;
	/** Data the Python side needs to evaluate (the tabular problem's lookup table). */
	data?: unknown;
}

const num = (params: Record<string, unknown>, name: string): number => params[name] as number;

function branin(): Problem {
	return {
		name: 'branin',
		description: '2 continuous',
		parameters: {x1: {kind: 'uniform', min: -5, max: 10}, x2: {kind: 'uniform', min: 0, max: 15}},
		optimum: 0.397887357729739,
		evaluate(params) {
			const x1 = num(params, 'x1');
			const x2 = num(params, 'x2');
			const b = 5.1 / (4 * Math.PI ** 2);
			const c = 5 / Math.PI;
			const t = 1 / (8 * Math.PI);
			return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
		},
	};
}

const HARTMANN_ALPHA = [1, 1.2, 3, 3.2];
const HARTMANN_A = [
	[10, 3, 17, 3.5, 1.7, 8],
	[0.05, 10, 17, 0.1, 8, 14],
	[3, 3.5, 1.7, 10, 17, 8],
	[17, 8, 0.05, 10, 0.1, 14],
];
const HARTMANN_P = [
	[1312, 1696, 5569, 124, 8283, 5886],
	[2329, 4135, 8307, 3736, 1004, 9991],
	[2348, 1451, 3522, 2883, 3047, 6650],
	[4047, 8828, 8732, 5743, 1091, 381],
];

/** The Hartmann family: -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij / 10^4)^2) over the parameters `names`. */
function hartmann(params: Record<string, unknown>, names: readonly string[], a: number[][], p: number[][]): number {
	let sum = 0;
	for (let i = 0; i < 4; i++) {
		let inner = 0;
		for (const [j, name] of names.entries()) {
			inner += a[i][j] * (num(params, name) - p[i][j] * 1e-4) ** 2;
		}

		sum += HARTMANN_ALPHA[i] * Math.exp(-inner);
	}

	return -sum;
}

function hartmann6(): Problem {
	const names = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'];
	return {
		name: 'hartmann6',
		description: '6 continuous',
		parameters: Object.fromEntries(names.map(name => [name, {kind: 'uniform', min: 0, max: 1}])),
		optimum: -3.32236801141551,
		evaluate: params => hartmann(params, names, HARTMANN_A, HARTMANN_P),
	};
}

function rosenbrock4(): Problem {
	const names = ['x1', 'x2', 'x3', 'x4'];
	return {
		name: 'rosenbrock4',
		description: '4 continuous',
		parameters: Object.fromEntries(names.map(name => [name, {kind: 'uniform', min: -5, max: 10}])),
		optimum: 0,
		evaluate(params) {
			let sum = 0;
			for (let i = 0; i < 3; i++) {
				const x = num(params, names[i]);
				sum += 100 * (num(params, names[i + 1]) - x ** 2) ** 2 + (1 - x) ** 2;
			}

			return sum;
		},
	};
}

const UNITS: Record<string, number> = {'16': 16, '32': 32, '64': 64, '128': 128, '256': 256, '512': 512, '128x128': 8};

/** A made-up training run's loss surface: peaked at lr 1e-3 (log scale), 128 units, dropout 0.2, batch 64, 12 epochs. */
function mixedHpo(): Problem {
	return {
		name: 'mixed-hpo',
		description: 'log float, log int, int, float, categorical (5)',
		parameters: {
			learningRate: {kind: 'log-uniform', min: 1e-5, max: 1e-1},
			hidden: {kind: 'values', values: Object.keys(UNITS)},
			dropout: {kind: 'uniform', min: 0, max: 0.5},
			batchSize: {kind: 'log-int-uniform', min: 16, max: 512},
			epochs: {kind: 'int-uniform', min: 1, max: 20},
		},
		optimum: 0,
		evaluate(params) {
			return (
				(Math.log10(num(params, 'learningRate')) + 3) ** 2 +
				0.5 * Math.abs(Math.log2(UNITS[params.hidden as string] / 128)) +
				10 * (num(params, 'dropout') - 0.2) ** 2 +
				0.3 * Math.abs(Math.log2(num(params, 'batchSize') / 64)) +
				0.02 * Math.abs(num(params, 'epochs') - 12)
			);
		},
	};
}

/** The root of Styblinski-Tang's derivative 4x^3 - 32x + 5 near -2.9035, by Newton's method. */
function styblinskiArgmin(): number {
	let x = -2.9;
	for (let i = 0; i < 50; i++) {
		x -= (4 * x ** 3 - 32 * x + 5) / (12 * x ** 2 - 32);
	}

	return x;
}

const styblinski = (x: number): number => 0.5 * (x ** 4 - 16 * x ** 2 + 5 * x);

function styblinskiTang8(): Problem {
	const floats = ['x1', 'x2', 'x3', 'x4'];
	const ints = ['x5', 'x6', 'x7', 'x8'];
	return {
		name: 'styblinski-tang8',
		description: '4 continuous, 4 integer',
		parameters: Object.fromEntries([
			...floats.map(name => [name, {kind: 'uniform', min: -5, max: 5}]),
			...ints.map(name => [name, {kind: 'int-uniform', min: -5, max: 5}]),
		]),
		// The integer coordinates' best is -3.
		optimum: 4 * styblinski(styblinskiArgmin()) + 4 * styblinski(-3),
		evaluate(params) {
			return [...floats, ...ints].reduce((sum, name) => sum + styblinski(num(params, name)), 0);
		},
	};
}

interface StudyTable {
	/** Mean best validation accuracy of the base config (64-64 relu MLP, lr 1e-3, batch 32) over the sweeps that contain it. */
	base: number;
	/** Per factor, per value label: the recorded accuracy of the base config with that one factor changed, minus its sweep's base. */
	effects: Record<string, Record<string, number>>;
	/** Mean recorded training seconds of the base config over the sweeps that contain it. */
	baseSeconds: number;
	/** Per factor, per value label: the recorded training seconds with that one factor changed, divided by its sweep's base. */
	timeFactors: Record<string, Record<string, number>>;
}

const STUDY_FACTORS = [
	{sweep: 'learning-rate', parameters: ['learningRate']},
	{sweep: 'width-vs-depth', parameters: ['hidden']},
	{sweep: 'activation', parameters: ['activation']},
	{sweep: 'batch-size', parameters: ['batchSize']},
	// Dropout and batch norm were crossed in one grid: their joint cell is one lookup, so the table keeps their interaction.
	{sweep: 'modification', parameters: ['dropout', 'batchNorm']},
];

const label = (value: unknown): string => (Array.isArray(value) ? value.join('x') : String(value));

/**
 * The study's one-factor sweeps (reports/study.db) as one search space: each factor takes the values its sweep
 * trained; per factor and value, the recorded change in accuracy (mean best val accuracy over the repeats) and the
 * recorded ratio of training seconds, each against its sweep's base config.
 */
function readStudyTable(databasePath: string): {table: StudyTable; parameters: Record<string, ParameterSpec>} {
	if (!existsSync(databasePath)) {
		throw new Error(`${databasePath}: no such database; the study-table problem is built from the study's sweeps (npm run study, or pass --db)`);
	}

	const database = new Database(databasePath, {readonly: true, fileMustExist: true});
	const effects: Record<string, Record<string, number>> = {};
	const timeFactors: Record<string, Record<string, number>> = {};
	const values: Record<string, unknown[]> = {};
	const bases: number[] = [];
	const baseSeconds: number[] = [];
	try {
		const sweepRow = database.prepare('SELECT definition FROM sweeps WHERE name = ?');
		const rows = database.prepare(`SELECT config, best_val_accuracy AS accuracy, train_seconds AS seconds FROM trial_summary WHERE sweep = ? AND state = 'completed' AND best_val_accuracy IS NOT NULL`);
		for (const {sweep, parameters} of STUDY_FACTORS) {
			const definition = sweepRow.get(sweep) as {definition: string} | undefined;
			if (definition === undefined) {
				throw new Error(`${databasePath}: no sweep "${sweep}" (the tabular problem is built from the study's one-factor sweeps)`);
			}

			const base = (JSON.parse(definition.definition) as {base: Record<string, unknown>}).base;
			const cells = new Map<string, number[]>();
			const seconds = new Map<string, number[]>();
			for (const row of rows.all(sweep) as Array<{config: string; accuracy: number; seconds: number}>) {
				const config = JSON.parse(row.config) as Record<string, unknown>;
				const key = parameters.map(name => label(config[name])).join('|');
				cells.set(key, [...(cells.get(key) ?? []), row.accuracy]);
				seconds.set(key, [...(seconds.get(key) ?? []), row.seconds]);
			}

			const mean = (xs: number[]): number => xs.reduce((sum, x) => sum + x, 0) / xs.length;
			const baseKey = parameters.map(name => label(base[name])).join('|');
			const baseCell = cells.get(baseKey);
			if (baseCell === undefined) {
				throw new Error(`${databasePath}: sweep "${sweep}" has no completed trial of its base config (${baseKey})`);
			}

			bases.push(mean(baseCell));
			const baseTime = mean(seconds.get(baseKey)!);
			baseSeconds.push(baseTime);
			const key = parameters.join('|');
			effects[key] = Object.fromEntries([...cells].map(([cell, accuracies]) => [cell, mean(accuracies) - mean(baseCell)]));
			timeFactors[key] = Object.fromEntries([...seconds].map(([cell, times]) => [cell, mean(times) / baseTime]));
			for (const [index, name] of parameters.entries()) {
				values[name] = [...new Set([...cells.keys()].map(cell => cell.split('|')[index]))];
			}
		}
	} finally {
		database.close();
	}

	const average = (xs: number[]): number => xs.reduce((sum, x) => sum + x, 0) / xs.length;
	const table: StudyTable = {base: average(bases), effects, baseSeconds: average(baseSeconds), timeFactors};
	// Numbers stay numbers and booleans booleans, as in the configs; architectures are labels such as "64x64".
	const typed = (name: string, text: string): unknown => {
		if (text === 'true' || text === 'false') {
			return text === 'true';
		}

		return name === 'hidden' || !Number.isFinite(Number(text)) ? text : Number(text);
	};
	const parameters: Record<string, ParameterSpec> = Object.fromEntries(Object.entries(values).map(([name, list]) => [name, {kind: 'values', values: list.map(text => typed(name, text as string))}]));
	return {table, parameters};
}

/** The recorded accuracy of a config in the table: the base's plus each factor's change (the sum assumes the factors add). */
function tableAccuracy(table: StudyTable, params: Record<string, unknown>): number {
	let accuracy = table.base;
	for (const [key, cells] of Object.entries(table.effects)) {
		const cell = key.split('|').map(name => label(params[name])).join('|');
		// A cross of the joint grid that was not trained cannot be scored: the joint factors' grid is complete in the study.
		accuracy += cells[cell] ?? Number.NaN;
	}

	return accuracy;
}

/**
 * The study table as a single objective: a config scores the base config's recorded accuracy plus, per factor, the
 * recorded change that factor's value made. Every term is a lookup of real trained configs; the sum assumes the
 * factors add, which the one-factor design cannot check. Minimised as 1 - accuracy.
 */
function studyTable(databasePath: string): Problem {
	const {table, parameters} = readStudyTable(databasePath);
	const evaluate = (params: Record<string, unknown>): number => 1 - tableAccuracy(table, params);

	let optimum = Number.POSITIVE_INFINITY;
	for (const params of product(parameters)) {
		optimum = Math.min(optimum, evaluate(params));
	}

	return {
		name: 'study-table',
		description: `the study's one-factor sweeps as a lookup table (${Object.keys(parameters).length} categorical)`,
		parameters,
		optimum,
		evaluate,
		data: table,
	};
}

/** Every config of a space of listed values, the first parameter varying slowest. */
export function product(parameters: Record<string, ParameterSpec>): Array<Record<string, unknown>> {
	let configs: Array<Record<string, unknown>> = [{}];
	for (const [name, spec] of Object.entries(parameters)) {
		if (spec.kind !== 'values') {
			throw new Error(`product: ${name} is not a list of values`);
		}

		configs = configs.flatMap(config => spec.values.map(value => ({...config, [name]: value})));
	}

	return configs;
}

/**
 * Problems held out when sweeplab's TPE departs from Optuna's (docs/search.md, "the bad group's kernels weighted by
 * their bandwidth"): that choice was made on the six problems above, and these check it on functions it was not tuned on.
 */
function goldsteinPrice(): Problem {
	return {
		name: 'goldstein-price',
		description: '2 continuous (held out)',
		parameters: {x1: {kind: 'uniform', min: -2, max: 2}, x2: {kind: 'uniform', min: -2, max: 2}},
		optimum: 3,
		evaluate(params) {
			const x = num(params, 'x1');
			const y = num(params, 'x2');
			const a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2);
			const b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2);
			return a * b;
		},
	};
}

function sixHumpCamel(): Problem {
	return {
		name: 'six-hump-camel',
		description: '2 continuous (held out)',
		parameters: {x1: {kind: 'uniform', min: -3, max: 3}, x2: {kind: 'uniform', min: -2, max: 2}},
		optimum: -1.031628453489877,
		evaluate(params) {
			const x = num(params, 'x1');
			const y = num(params, 'x2');
			return (4 - 2.1 * x ** 2 + x ** 4 / 3) * x ** 2 + x * y + (-4 + 4 * y ** 2) * y ** 2;
		},
	};
}

const HARTMANN3_A = [
	[3, 10, 30],
	[0.1, 10, 35],
	[3, 10, 30],
	[0.1, 10, 35],
];
const HARTMANN3_P = [
	[3689, 1170, 2673],
	[4699, 4387, 7470],
	[1091, 8732, 5547],
	[381, 5743, 8828],
];

function hartmann3(): Problem {
	const names = ['x1', 'x2', 'x3'];
	return {
		name: 'hartmann3',
		description: '3 continuous (held out)',
		parameters: Object.fromEntries(names.map(name => [name, {kind: 'uniform', min: 0, max: 1}])),
		optimum: -3.86278214782076,
		evaluate: params => hartmann(params, names, HARTMANN3_A, HARTMANN3_P),
	};
}

function ackley5(): Problem {
	const names = ['x1', 'x2', 'x3', 'x4', 'x5'];
	return {
		name: 'ackley5',
		description: '5 continuous on [-32.768, 32.768] (held out)',
		parameters: Object.fromEntries(names.map(name => [name, {kind: 'uniform', min: -32.768, max: 32.768}])),
		optimum: 0,
		evaluate(params) {
			const xs = names.map(name => num(params, name));
			const squares = xs.reduce((sum, x) => sum + x * x, 0) / xs.length;
			const cosines = xs.reduce((sum, x) => sum + Math.cos(2 * Math.PI * x), 0) / xs.length;
			return -20 * Math.exp(-0.2 * Math.sqrt(squares)) - Math.exp(cosines) + 20 + Math.E;
		},
	};
}

/** The six problems the goal counts, then the held-out four (`heldOut` true). */
export function samplerProblems(studyDatabase: string): Array<Problem & {heldOut: boolean}> {
	const counted = [branin(), hartmann6(), rosenbrock4(), mixedHpo(), styblinskiTang8(), studyTable(studyDatabase)].map(problem => ({...problem, heldOut: false}));
	const heldOut = [goldsteinPrice(), sixHumpCamel(), hartmann3(), ackley5()].map(problem => ({...problem, heldOut: true}));
	return [...counted, ...heldOut];
}

/**
 * A multi-objective problem of `npm run bench:samplers`: every objective minimised, with a known Pareto front, whose
 * hypervolume against `reference` is `frontVolume`. A sampler is scored by the hypervolume it leaves uncovered.
 */
export interface MultiObjectiveProblem {
	name: string;
	description: string;
	parameters: Record<string, ParameterSpec>;
	objectives: number;
	evaluate(params: Record<string, unknown>): number[];
	reference: number[];
	frontVolume: number;
	data?: unknown;
}

const unitCube = (names: string[]): Record<string, ParameterSpec> => Object.fromEntries(names.map(name => [name, {kind: 'uniform', min: 0, max: 1}]));

/**
 * Zitzler, Deb and Thiele's ZDT1 (convex front f2 = 1 - sqrt(f1)) and ZDT2 (concave, f2 = 1 - f1^2) in 6 variables,
 * with the customary reference point (11, 11): the front's hypervolume is 121 less the area under it, 1/3 and 2/3.
 */
function zdt(which: 1 | 2): MultiObjectiveProblem {
	const names = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'];
	return {
		name: `zdt${which}`,
		description: `6 continuous, 2 objectives, ${which === 1 ? 'convex' : 'concave'} front`,
		parameters: unitCube(names),
		objectives: 2,
		evaluate(params) {
			const f1 = num(params, 'x1');
			const g = 1 + (9 * names.slice(1).reduce((sum, name) => sum + num(params, name), 0)) / (names.length - 1);
			return [f1, g * (1 - (which === 1 ? Math.sqrt(f1 / g) : (f1 / g) ** 2))];
		},
		reference: [11, 11],
		frontVolume: 121 - (which === 1 ? 1 / 3 : 2 / 3),
	};
}

/**
 * Deb, Thiele, Laumanns and Zitzler's DTLZ2 with 3 objectives in 5 variables: the front is the positive octant of
 * the unit sphere, so against (1.5, 1.5, 1.5) its hypervolume is 1.5^3 less the octant of the unit ball, pi / 6.
 */
function dtlz2(): MultiObjectiveProblem {
	const names = ['x1', 'x2', 'x3', 'x4', 'x5'];
	return {
		name: 'dtlz2',
		description: '5 continuous, 3 objectives, spherical front',
		parameters: unitCube(names),
		objectives: 3,
		evaluate(params) {
			const g = names.slice(2).reduce((sum, name) => sum + (num(params, name) - 0.5) ** 2, 0);
			const a = (num(params, 'x1') * Math.PI) / 2;
			const b = (num(params, 'x2') * Math.PI) / 2;
			return [(1 + g) * Math.cos(a) * Math.cos(b), (1 + g) * Math.cos(a) * Math.sin(b), (1 + g) * Math.sin(a)];
		},
		reference: [1.5, 1.5, 1.5],
		frontVolume: 1.5 ** 3 - Math.PI / 6,
	};
}

/**
 * The study table as the assignment's trade-off: minimise 1 - accuracy and the recorded training seconds. A config's
 * seconds are the base config's times, per factor, the recorded ratio of that factor's value to its sweep's base
 * (training time scales, it does not add). The front is found by enumerating every config of the table; the
 * reference is the worst value of each objective over the whole table pushed 10% out.
 */
function studyTradeoff(databasePath: string): MultiObjectiveProblem {
	const {table, parameters} = readStudyTable(databasePath);
	const evaluate = (params: Record<string, unknown>): number[] => {
		let seconds = table.baseSeconds;
		for (const [key, cells] of Object.entries(table.timeFactors)) {
			seconds *= cells[key.split('|').map(name => label(params[name])).join('|')] ?? Number.NaN;
		}

		return [1 - tableAccuracy(table, params), seconds];
	};

	const all = product(parameters).map(params => evaluate(params));
	const reference = nadirReference(all);
	return {
		name: 'study-tradeoff',
		description: `the study table (${Object.keys(parameters).length} categorical, ${all.length} configs): 1 - accuracy against recorded training seconds`,
		parameters,
		objectives: 2,
		evaluate,
		reference,
		frontVolume: hypervolume(paretoFront(all).map(i => all[i]), reference),
		data: table,
	};
}

export function multiObjectiveProblems(studyDatabase: string): MultiObjectiveProblem[] {
	return [zdt(1), zdt(2), dtlz2(), studyTradeoff(studyDatabase)];
}
