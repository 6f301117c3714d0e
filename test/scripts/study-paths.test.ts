import {execFile} from 'node:child_process';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {openSqliteStore} from '../../src/store/sqlite.js';
import {DEFAULT_TRIAL_CONFIG} from '../../src/types.js';
import {ROOT, tempDir} from '../cli/helpers.js';
import {definition} from '../report/helpers.js';

const script = join(ROOT, 'dist/scripts/study-paths.js');

/** A database whose trials started on the given training paths (one sweep each). */
async function databaseWith(t: Parameters<typeof tempDir>[0], paths: Array<[string, string]>): Promise<string> {
	const db = join(tempDir(t), 'study.db');
	const store = openSqliteStore(db);
	try {
		for (const [name, path] of paths) {
			const sweep = await store.openSweep({definition: definition(name), definitionHash: `hash-${name}`, source: '', file: `sweeps/${name}.yaml`});
			await store.addTrials(sweep.id, [{ordinal: 0, config: DEFAULT_TRIAL_CONFIG, configHash: `cfg-${name}`, repeat: 0, seed: 1}]);
			const trial = (await store.claimTrial(sweep.id, 'me', 60_000))!;
			await store.markStarted(trial.id, 'me', {backend: 'wasm', trainingPath: path, host: 'h', paramCount: 1});
		}
	} finally {
		await store.close();
	}

	return db;
}

async function run(db: string): Promise<{code: number; stdout: string; stderr: string}> {
	try {
		const {stdout, stderr} = await promisify(execFile)(process.execPath, [script, '--db', db, '--path', 'simd']);
		return {code: 0, stdout, stderr};
	} catch (error) {
		const failed = error as {code: number; stdout: string; stderr: string};
		return {code: failed.code, stdout: failed.stdout, stderr: failed.stderr};
	}
}

test('study-paths passes a study trained on the simd path alone, and one not started yet', async t => {
	// A CNN's record names its convolutions' algorithms after the path (recordedTrainingPath).
	const simd = await run(await databaseWith(t, [['learning-rate', 'simd'], ['cnn', 'simd; conv direct, Winograd F(4x4, 3x3)']]));
	t.is(simd.code, 0, simd.stderr);
	t.regex(simd.stdout, /study\.db: 2 on simd$/m);
	const missing = await run(join(tempDir(t), 'none.db'));
	t.is(missing.code, 0, missing.stderr);
	t.regex(missing.stdout, /does not exist yet/);
});

test('study-paths refuses a study holding trials of another path, naming the sweeps, in one line', async t => {
	const mixed = await run(await databaseWith(t, [['learning-rate', 'lean'], ['cnn', 'simd'], ['best', 'lean']]));
	t.is(mixed.code, 1);
	t.is(mixed.stderr.trim().split('\n').length, 1, mixed.stderr);
	t.regex(mixed.stderr, /^study-paths: .*study\.db holds trials trained on another path than simd \(2 on lean, 1 on simd; sweeps learning-rate, best\): .*npm run study -- --fresh/);
});
