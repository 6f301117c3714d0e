/**
 * What pruning a multi-objective sweep costs and saves: the same accuracy-against-training-time search (MOTPE on
 * the bundled subset) with the pareto pruner, without a pruner, and as random search, each over several seeds,
 * through the real CLI into its own database. Prints per run the epochs trained, wall seconds and the hypervolume
 * of its front, every run's front measured on one scale (each objective from its best to its worst over all runs'
 * completed trials, reference 1.1), and the medians per variant. Runs alternate variants within each seed, as the
 * machine's speed drifts.
 *
 *   npm run bench:mo-pruning [-- --seeds 3] [--trials 24]
 */
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';
import {hypervolume} from '../src/util/pareto.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const option = (name: string, fallback: number) => {
	const index = process.argv.indexOf(`--${name}`);
	return index < 0 ? fallback : Number(process.argv[index + 1]);
};

const seeds = option('seeds', 3);
const trials = option('trials', 24);
const variants = {
	'motpe+pareto': 'method: tpe\nstartupTrials: 8\npruner: pareto',
	motpe: 'method: tpe\nstartupTrials: 8',
	random: 'method: random',
} as const;

function sweepFile(variant: keyof typeof variants, seed: number): string {
	return `name: mo-${variant.replace('+', '-')}-${seed}
${variants[variant]}
seed: ${seed}
trials: ${trials}
objectives:
  - {name: val_accuracy, goal: maximize}
  - {name: train_seconds, goal: minimize}
dataset: {name: fashion-mnist-mini, trainLimit: 2000, validation: 0.2}
base:
  epochs: 6
parameters:
  hidden: {choice: [[16], [64], [256], [128, 128]]}
  learningRate: {distribution: log-uniform, min: 0.0001, max: 0.1}
  batchSize: [32, 128]
`;
}

interface Run {
	variant: string;
	seed: number;
	epochs: number;
	pruned: number;
	wall: number;
	/** Completed trials as losses: -(best val_accuracy), train_seconds. */
	points: number[][];
}

const dir = mkdtempSync(join(tmpdir(), 'sweeplab-mo-pruning-'));
const runs: Run[] = [];
try {
	for (let seed = 1; seed <= seeds; seed++) {
		for (const variant of Object.keys(variants) as Array<keyof typeof variants>) {
			const file = join(dir, `${variant}-${seed}.yaml`);
			const db = join(dir, `${variant}-${seed}.db`);
			writeFileSync(file, sweepFile(variant, seed));
			const started = performance.now();
			const run = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'run', file, '--db', db, '--workers', '2'], {encoding: 'utf8'});
			const wall = (performance.now() - started) / 1000;
			if (run.status !== 0) {
				throw new Error(`${variant} seed ${seed} failed: ${run.stderr}`);
			}

			const database = new Database(db, {readonly: true});
			const {epochs, pruned} = database.prepare(`SELECT sum(epochs_run) AS epochs, sum(state = 'pruned') AS pruned FROM trials`).get() as {epochs: number; pruned: number};
			const points = (database.prepare(`SELECT max(e.val_accuracy) AS accuracy, t.train_seconds AS seconds FROM trials t JOIN epochs e ON e.trial_id = t.id WHERE t.state = 'completed' GROUP BY t.id`).all() as Array<{accuracy: number; seconds: number}>)
				.map(row => [-row.accuracy, row.seconds]);
			database.close();
			runs.push({variant, seed, epochs, pruned, wall, points});
		}
	}

	const all = runs.flatMap(run => run.points);
	const bounds = [0, 1].map(k => ({best: Math.min(...all.map(point => point[k])), worst: Math.max(...all.map(point => point[k]))}));
	const scaled = (point: number[]) => point.map((value, k) => (value - bounds[k].best) / (bounds[k].worst - bounds[k].best));
	const volume = (run: Run) => hypervolume(run.points.map(point => scaled(point)), [1.1, 1.1]);
	const median = (values: number[]) => {
		const sorted = [...values].sort((a, b) => a - b);
		const middle = Math.floor(sorted.length / 2);
		return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	};

	console.log(`scale: val_accuracy ${(-bounds[0].best * 100).toFixed(2)}% to ${(-bounds[0].worst * 100).toFixed(2)}%, train_seconds ${bounds[1].best.toFixed(2)} to ${bounds[1].worst.toFixed(2)} s; reference 1.1 each (at most 1.21)`);
	for (const run of runs) {
		console.log(`${run.variant.padEnd(12)} seed=${run.seed} epochs=${run.epochs} pruned=${run.pruned} wall_s=${run.wall.toFixed(1)} hypervolume=${volume(run).toFixed(3)}`);
	}

	for (const variant of Object.keys(variants)) {
		const mine = runs.filter(run => run.variant === variant);
		console.log(`median ${variant.padEnd(12)} epochs=${median(mine.map(run => run.epochs))} wall_s=${median(mine.map(run => run.wall)).toFixed(1)} hypervolume=${median(mine.map(run => volume(run))).toFixed(3)}`);
	}
} finally {
	rmSync(dir, {recursive: true, force: true});
}
