/**
 * A separate process for the SQLite tests that need one: claiming from another connection at the same time,
 * and opening a file as a user who may not write it. Prints one JSON line as its result.
 *   node child.js claim <db> <sweepId> <owner>   prints "ready", claims after a "go" line on stdin
 *   node child.js open <db>                      opens read-write and writes once
 */
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import {openSqliteStore} from '../../src/store/sqlite.js';

const [mode, path, ...rest] = process.argv.slice(2);

if (mode === 'claim') {
	const [sweepId, owner] = [Number(rest[0]), rest[1]];
	const store = openSqliteStore(path);
	const lines = createInterface({input: process.stdin});
	process.stdout.write('ready\n');
	await once(lines, 'line');
	lines.close();
	const claimed: number[] = [];
	for (;;) {
		const trial = await store.claimTrial(sweepId, owner, 3_600_000);
		if (!trial) {
			break;
		}

		claimed.push(trial.id);
		await store.recordStep(trial.id, owner, {step: 1, metrics: {loss: 1, accuracy: 0.5, val_loss: 1, val_accuracy: 0.5}, seconds: 0.01});
		await store.finishTrial(trial.id, owner, {state: 'completed'});
	}

	await store.close();
	process.stdout.write(`${JSON.stringify({claimed})}\n`);
} else if (mode === 'open') {
	try {
		const store = openSqliteStore(path);
		await store.openSweep({
			definition: {name: 'x', method: 'grid', seed: 1, repeats: 1, dataset: {name: 'fashion-mnist-mini', validation: 0.1}, base: {} as never, parameters: {}},
			definitionHash: 'x',
			source: '',
			file: 'x.yaml',
		});
		await store.close();
		process.stdout.write(`${JSON.stringify({ok: true})}\n`);
	} catch (error) {
		const {name, message} = error as Error;
		process.stdout.write(`${JSON.stringify({ok: false, name, message})}\n`);
	}
} else {
	process.stderr.write(`child.js: unknown mode "${mode}"; use claim or open\n`);
	process.exitCode = 2;
}
