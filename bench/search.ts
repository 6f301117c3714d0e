/**
 * One search space searched four ways on the full data, each through the real CLI into its own database:
 * the full grid, the grid with an ASHA pruner, the grid with a hyperband pruner, and TPE with a smaller trial
 * budget. Prints, for each, the epochs trained, wall seconds, and the best validation accuracy found with the
 * test accuracy of that trial.
 *
 *   npm run bench:search [-- --workers 2] [--only grid,asha,hyperband,tpe]
 */
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';

const root = fileURLToPath(new URL('../../', import.meta.url));
const workersIndex = process.argv.indexOf('--workers');
const workers = workersIndex < 0 ? '2' : process.argv[workersIndex + 1];
const onlyIndex = process.argv.indexOf('--only');
const kinds = onlyIndex < 0 ? ['grid', 'asha', 'hyperband', 'tpe'] : process.argv[onlyIndex + 1].split(',');
const dir = mkdtempSync(join(tmpdir(), 'sweeplab-search-'));

try {
	for (const kind of kinds) {
		const db = join(dir, `${kind}.db`);
		const started = performance.now();
		const run = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'run', join(root, `bench/sweeps/search-${kind}.yaml`), '--db', db, '--workers', workers], {encoding: 'utf8'});
		const seconds = (performance.now() - started) / 1000;
		if (run.status !== 0) {
			throw new Error(`search-${kind} failed: ${run.stderr}`);
		}

		const database = new Database(db, {readonly: true});
		const {trials, pruned, epochs} = database.prepare(`SELECT count(*) AS trials, sum(state = 'pruned') AS pruned, sum(epochs_run) AS epochs FROM trials`).get() as {trials: number; pruned: number; epochs: number};
		const best = database.prepare(`SELECT best_val_accuracy AS val, test_accuracy AS test, config FROM trial_summary WHERE best_val_accuracy IS NOT NULL ORDER BY best_val_accuracy DESC LIMIT 1`).get() as {val: number; test: number | null; config: string};
		database.close();
		const config = JSON.parse(best.config) as {learningRate: number; hidden: number[]; activation: string};
		console.log(`${kind.padEnd(9)}  trials=${trials} pruned=${pruned} epochs=${epochs} wall_s=${seconds.toFixed(0)} best_val=${(best.val * 100).toFixed(2)}% test=${best.test === null ? '-' : (best.test * 100).toFixed(2) + '%'} (${config.activation} ${JSON.stringify(config.hidden)} lr=${config.learningRate})`);
	}
} finally {
	rmSync(dir, {recursive: true, force: true});
}
