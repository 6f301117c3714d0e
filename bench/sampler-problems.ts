/**
 * The problems of `npm run bench:samplers`, every one minimised and with a known optimum. bench/peer/optuna_samplers.py
 * implements the same objectives for Optuna; the bench checks that both sides agree on a set of points before it
 * compares anything. Categorical values are strings, numbers or booleans so that Optuna can take them as choices.
 */
import {existsSync} from 'node:fs';
import Database from 'better-sqlite3';
import type {ParameterSpec} from '../src/types.js';

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

function hartmann6(): Problem {
	const names = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'];
	return {
		name: 'hartmann6',
		description: '6 continuous',
		parameters: Object.fromEntries(names.map(name => [name, {kind: 'uniform', min: 0, max: 1}])),
		optimum: -3.32236801141551,
		evaluate(params) {
			let sum = 0;
			for (let i = 0; i < 4; i++) {
				let inner = 0;
				for (let j = 0; j < 6; j++) {
					inner += HARTMANN_A[i][j] * (num(params, names[j]) - HARTMANN_P[i][j] * 1e-4) ** 2;
				}

				sum += HARTMANN_ALPHA[i] * Math.exp(-inner);
			}

			return -sum;
		},
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
 * trained, and a config scores the base config's recorded accuracy plus, per factor, the recorded change that
 * factor's value made (mean best val accuracy over the repeats). Every term is a lookup of real trained configs;
 * the sum assumes the factors add, which the one-factor design cannot check. Minimised as 1 - accuracy.
 */
function studyTable(databasePath: string): Problem {
	if (!existsSync(databasePath)) {
		throw new Error(`${databasePath}: no such database; the study-table problem is built from the study's sweeps (npm run study, or pass --db)`);
	}

	const database = new Database(databasePath, {readonly: true, fileMustExist: true});
	const effects: Record<string, Record<string, number>> = {};
	const values: Record<string, unknown[]> = {};
	const bases: number[] = [];
	try {
		const sweepRow = database.prepare('SELECT definition FROM sweeps WHERE name = ?');
		const rows = database.prepare(`SELECT config, best_val_accuracy AS accuracy FROM trial_summary WHERE sweep = ? AND state = 'completed' AND best_val_accuracy IS NOT NULL`);
		for (const {sweep, parameters} of STUDY_FACTORS) {
			const definition = sweepRow.get(sweep) as {definition: string} | undefined;
			if (definition === undefined) {
				throw new Error(`${databasePath}: no sweep "${sweep}" (the tabular problem is built from the study's one-factor sweeps)`);
			}

			const base = (JSON.parse(definition.definition) as {base: Record<string, unknown>}).base;
			const cells = new Map<string, number[]>();
			for (const row of rows.all(sweep) as Array<{config: string; accuracy: number}>) {
				const config = JSON.parse(row.config) as Record<string, unknown>;
				const key = parameters.map(name => label(config[name])).join('|');
				cells.set(key, [...(cells.get(key) ?? []), row.accuracy]);
			}

			const mean = (xs: number[]): number => xs.reduce((sum, x) => sum + x, 0) / xs.length;
			const baseKey = parameters.map(name => label(base[name])).join('|');
			const baseCell = cells.get(baseKey);
			if (baseCell === undefined) {
				throw new Error(`${databasePath}: sweep "${sweep}" has no completed trial of its base config (${baseKey})`);
			}

			bases.push(mean(baseCell));
			const key = parameters.join('|');
			effects[key] = Object.fromEntries([...cells].map(([cell, accuracies]) => [cell, mean(accuracies) - mean(baseCell)]));
			for (const [index, name] of parameters.entries()) {
				values[name] = [...new Set([...cells.keys()].map(cell => cell.split('|')[index]))];
			}
		}
	} finally {
		database.close();
	}

	const table: StudyTable = {base: bases.reduce((sum, x) => sum + x, 0) / bases.length, effects};
	// Numbers stay numbers and booleans booleans, as in the configs; architectures are labels such as "64x64".
	const typed = (name: string, text: string): unknown => {
		if (text === 'true' || text === 'false') {
			return text === 'true';
		}

		return name === 'hidden' || !Number.isFinite(Number(text)) ? text : Number(text);
	};
	const parameters: Record<string, ParameterSpec> = Object.fromEntries(Object.entries(values).map(([name, list]) => [name, {kind: 'values', values: list.map(text => typed(name, text as string))}]));
	const evaluate = (params: Record<string, unknown>): number => {
		let accuracy = table.base;
		for (const [key, cells] of Object.entries(table.effects)) {
			const cell = key.split('|').map(name => label(params[name])).join('|');
			// A cross of the joint grid that was not trained cannot be scored: the joint factors' grid is complete in the study.
			accuracy += cells[cell] ?? Number.NaN;
		}

		return 1 - accuracy;
	};

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

export function samplerProblems(studyDatabase: string): Problem[] {
	return [branin(), hartmann6(), rosenbrock4(), mixedHpo(), styblinskiTang8(), studyTable(studyDatabase)];
}
