/** `sweeplab best <sweep> --importance` on stored sweeps, through the real CLI. */
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import test from 'ava';
import {storeWith} from '../report/helpers.js';

const run = promisify(execFile);
const cli = join(fileURLToPath(new URL('../../../', import.meta.url)), 'dist/src/cli/main.js');

async function sweeplab(...args: string[]): Promise<{stdout: string; stderr: string; code: number}> {
	try {
		const {stdout, stderr} = await run(process.execPath, [cli, ...args]);
		return {stdout, stderr, code: 0};
	} catch (error) {
		const failed = error as {stdout: string; stderr: string; code: number};
		return {stdout: failed.stdout, stderr: failed.stderr, code: failed.code};
	}
}

test('best --importance adds each parameter\'s share of the variance; --json carries it too', async t => {
	const {path} = await storeWith(t, [
		{hidden: 8, valAccuracies: [0.7, 0.8]},
		{hidden: 16, valAccuracies: [0.8, 0.85]},
		{hidden: 32, valAccuracies: [0.85, 0.9]},
	]);
	const text = await sweeplab('best', 'widths', '--db', path, '--importance');
	t.is(text.code, 0, text.stderr);
	t.regex(text.stdout, /parameter importance \(fANOVA over 3 configs/);
	// The sweep's one parameter explains all of the variance there is.
	t.regex(text.stdout, /hidden\s+100\.0% ± 0\.0%/);
	const json = JSON.parse((await sweeplab('best', 'widths', '--db', path, '--importance', '--json')).stdout) as {importance: {parameters: Array<{name: string; importance: number}>}};
	t.deepEqual(json.importance.parameters.map(p => p.name), ['hidden']);
	t.true(Math.abs(json.importance.parameters[0].importance - 1) < 1e-9);
	// Without the flag, no importance.
	t.notRegex((await sweeplab('best', 'widths', '--db', path)).stdout, /importance/);
});

test('best --importance on a sweep with one finished config is one line naming the sweep, a usage error (exit 2), the database unchanged', async t => {
	const {path, store} = await storeWith(t, [{hidden: 8, valAccuracies: [0.7, 0.8]}], 'lonely');
	await store.close();
	const digest = () => createHash('sha256').update(readFileSync(path)).digest('hex');
	const before = digest();
	const result = await sweeplab('best', 'lonely', '--db', path, '--importance');
	t.is(result.code, 2, result.stderr);
	t.is(result.stderr.trim().split('\n').length, 1, result.stderr);
	t.regex(result.stderr, /^sweeplab: sweep "lonely": --importance needs at least two configs with a finished validation accuracy, it has 1/);
	t.is(result.stdout, '');
	t.is(digest(), before, 'the database is as it was');
	// Without --importance the same sweep ranks as usual.
	t.is((await sweeplab('best', 'lonely', '--db', path)).code, 0);
});
