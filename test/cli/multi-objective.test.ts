/**
 * A multi-objective sweep end to end: `sweeplab run` with MOTPE and the pareto pruner on the bundled subset, then
 * `best` and `best --json` showing the front, its knee and its hypervolume over trials.
 */
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import test from 'ava';
import {fixture, query, runCli, tempDir} from './helpers.js';

interface BestJson {
	rows: Array<{configHash: string; pareto: boolean}>;
	objectives: {
		objectives: Array<{name: string; goal: string}>;
		front: Array<{configHash: string; rank: number; values: Record<string, number>}>;
		configs: Array<{configHash: string; rank: number | null}>;
		knee: {configHash: string} | null;
		hypervolume: Array<{trials: number; hypervolume: number}>;
	};
}

test('an MO sweep with the pareto pruner prunes some trials and best shows the front of the completed ones, its knee and hypervolume', async t => {
	const db = join(tempDir(t), 'mo.db');
	// One worker: which trials have completed when another is judged is then the same on every run.
	const run = await runCli(['run', fixture('e2e/multi-objective.yaml'), '--db', db, '--workers', '1']);
	t.is(run.code, 0, run.stderr);
	const trials = query<{id: number; config_hash: string; state: string; epochs_run: number; param_count: number; stop_reason: string | null}>(db, 'SELECT * FROM trials ORDER BY ordinal');
	t.is(trials.length, 12);
	const pruned = trials.filter(trial => trial.state === 'pruned');
	const completed = trials.filter(trial => trial.state === 'completed');
	t.true(pruned.length >= 1, `${pruned.length} pruned`);
	t.true(completed.length >= 2, `${completed.length} completed`);
	t.is(pruned.length + completed.length, 12);
	for (const trial of pruned) {
		t.true(trial.epochs_run < 3);
		t.regex(trial.stop_reason ?? '', /^val_accuracy \S+, params \d+ by epoch \d: \d+ completed trials? dominates? it/);
	}

	// The front, computed here from the database: completed configs no other completed config beats on both.
	const best = new Map(query<{trial_id: number; best: number}>(db, 'SELECT trial_id, max(val_accuracy) AS best FROM epochs GROUP BY trial_id').map(row => [row.trial_id, row.best]));
	const points = completed.map(trial => ({hash: trial.config_hash, accuracy: best.get(trial.id)!, params: trial.param_count}));
	const dominated = (p: typeof points[number]) => points.some(q => q.accuracy >= p.accuracy && q.params <= p.params && (q.accuracy > p.accuracy || q.params < p.params));
	const expected = points.filter(point => !dominated(point)).map(point => point.hash).sort();
	t.true(expected.length >= 2);

	const json = await runCli(['best', 'multi-objective', '--db', db, '--json']);
	t.is(json.code, 0, json.stderr);
	const result = JSON.parse(json.stdout) as BestJson;
	t.deepEqual(result.objectives.objectives, [{name: 'val_accuracy', goal: 'maximize'}, {name: 'params', goal: 'minimize'}]);
	t.deepEqual(result.objectives.front.map(point => point.configHash).sort(), expected);
	t.true(result.objectives.front.every(point => point.rank === 1));
	// The leaderboard's Pareto column marks the same configs.
	t.deepEqual(result.rows.filter(row => row.pareto).map(row => row.configHash).sort(), expected);
	// Pruned configs have no values and no rank.
	t.true(result.objectives.configs.filter(config => pruned.some(trial => trial.config_hash === config.configHash)).every(config => config.rank === null));
	t.true(result.objectives.knee === null || expected.includes(result.objectives.knee.configHash));
	t.deepEqual(result.objectives.hypervolume.map(point => point.trials), [10, 12]);
	const [early, all] = result.objectives.hypervolume.map(point => point.hypervolume);
	t.true(early > 0 && early <= all && all <= 1.21, `${early} ${all}`);

	const text = await runCli(['best', 'multi-objective', '--db', db]);
	t.is(text.code, 0, text.stderr);
	t.regex(text.stdout, new RegExp(`Pareto front over val_accuracy \\(max\\), params \\(min\\): ${expected.length} of ${completed.length} configs`));
	t.regex(text.stdout, /hypervolume of the front over trials: after 10 trials: \d\.\d{3}, all 12: \d\.\d{3}/);

	const out = join(tempDir(t), 'reports');
	const report = await runCli(['report', 'multi-objective', '--db', db, '--out', out]);
	t.is(report.code, 0, report.stderr);
	const readme = readFileSync(join(out, 'multi-objective', 'README.md'), 'utf8');
	t.regex(readme, new RegExp(`## Pareto front\n\n${expected.length} of ${completed.length} configs are on the front over val_accuracy \\(max\\), params \\(min\\)`));
	t.regex(readme, /\| trials \| hypervolume \|\n\|---:\|---:\|\n\| 10 \| \d\.\d{3} \|\n\| 12 \| \d\.\d{3} \|/);
	for (const file of ['pareto-front.svg', 'hypervolume.svg']) {
		t.true(readme.includes(`](${file})`), file);
		t.regex(readFileSync(join(out, 'multi-objective', file), 'utf8'), /^<svg[\s\S]*<\/svg>$/);
	}
});

test('an nsga2 sweep of a module objective runs its trials and best --json has the front of (loss down, x up)', async t => {
	const db = join(tempDir(t), 'nsga2.db');
	const run = await runCli(['run', fixture('e2e/module-nsga2.yaml'), '--db', db, '--workers', '2']);
	t.is(run.code, 0, run.stderr);
	const trials = query<{config: string; config_hash: string; state: string}>(db, 'SELECT * FROM trials ORDER BY ordinal');
	t.is(trials.length, 12);
	t.true(trials.every(trial => trial.state === 'completed'));
	const points = trials.map(trial => {
		const x = (JSON.parse(trial.config) as {x: number}).x;
		return {hash: trial.config_hash, loss: ((x - 0.3) ** 2) + 0.5, x};
	});
	const dominated = (p: typeof points[number]) => points.some(q => q.loss <= p.loss && q.x >= p.x && (q.loss < p.loss || q.x > p.x));
	const expected = points.filter(point => !dominated(point)).map(point => point.hash).sort();
	const result = JSON.parse((await runCli(['best', 'module-nsga2', '--db', db, '--json'])).stdout) as BestJson;
	t.deepEqual(result.objectives.front.map(point => point.configHash).sort(), expected);
	// On the front, x is at least 0.3 (below it, a larger x has both a smaller loss and a larger x).
	t.true(result.objectives.front.every(point => point.values.x >= 0.3));
	// The SQL views rank by the first reported metric among the objectives.
	t.deepEqual(query(db, 'SELECT metric, goal FROM sweep_metric WHERE sweep = ?', 'module-nsga2'), [{metric: 'loss', goal: 'minimize'}]);
});
