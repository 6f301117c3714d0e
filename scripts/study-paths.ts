/**
 * The study's guard against mixing training paths (issue 16): every trial of a study must have trained on one path,
 * so that its times compare. Exits 1 with one line when this runtime would not train on `--path` (the SIMD path needs
 * WebAssembly SIMD; without it trials fall back to the lean and layers paths), or when any trial already in the
 * database trained on another path; else prints the trials per path and exits 0. scripts/study.sh and
 * scripts/beyond.sh run it before and after every sweep.
 *
 *   node dist/scripts/study-paths.js --db reports/study.db [--path simd-fma|simd]
 *
 * Without --path, the path this runtime trains on: simd-fma where relaxed SIMD fuses multiply-adds, else simd.
 */
import {existsSync} from 'node:fs';
import {parseArgs} from 'node:util';
import {openStore} from '../src/cli/common.js';
import {fusedKernelsAvailable, kernelsAvailable} from '../src/train/kernels/load.js';
import {trainingPathOfRecord} from '../src/train/trainer.js';

const {values: given} = parseArgs({options: {db: {type: 'string'}, path: {type: 'string'}}});
const values = {...given, path: given.path ?? (fusedKernelsAvailable() ? 'simd-fma' : 'simd')};
function fail(message: string): never {
	console.error(`study-paths: ${message}`);
	process.exit(1);
}

const db = values.db ?? fail('--db <file> is required');
if (values.path === 'simd' && !kernelsAvailable()) {
	fail('this runtime has no WebAssembly SIMD, so trials would train on the lean or layers path instead of simd; run the study on Node 20+ with SIMD');
}

if (values.path === 'simd-fma' && !fusedKernelsAvailable()) {
	fail('this runtime has no relaxed SIMD that fuses multiply-adds, so trials would train on simd instead of simd-fma; run with --path simd');
}

if (!existsSync(db)) {
	console.log(`study-paths: ${db} does not exist yet: nothing trained on any path`);
	process.exit(0);
}

let store: ReturnType<typeof openStore>;
try {
	store = openStore(db, {readonly: true});
} catch (error) {
	// An older schema, a file that is not a database: one line, as the CLI prints a StoreError.
	fail(`${(error as Error).message} (a study database from an older sweeplab predates the simd path: npm run study -- --fresh starts a new one)`);
}

try {
	const counts = new Map<string, number>();
	const others: string[] = [];
	for (const {sweep} of await store.listSweeps()) {
		for (const trial of await store.trials(sweep.id)) {
			if (trial.trainingPath === null) {
				continue;
			}

			const path = trainingPathOfRecord(trial.trainingPath);
			counts.set(path, (counts.get(path) ?? 0) + 1);
			if (path !== values.path && !others.includes(sweep.name)) {
				others.push(sweep.name);
			}
		}
	}

	const summary = [...counts].map(([path, n]) => `${n} on ${path}`).join(', ') || 'no trial started yet';
	if (others.length > 0) {
		fail(`${db} holds trials trained on another path than ${values.path} (${summary}; sweeps ${others.join(', ')}): a study compares times on one path only, so start it afresh (npm run study -- --fresh) rather than adding to it`);
	}

	console.log(`study-paths: ${db}: ${summary}`);
} finally {
	await store.close();
}
