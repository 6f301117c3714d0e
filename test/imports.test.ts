/**
 * The layer table of issue 18 holds: scripts/check-imports.mjs passes on src/, and fails on a tree that breaks it.
 */
import {execFile} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import test from 'ava';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = join(root, 'scripts/check-imports.mjs');

async function checkImports(src: string): Promise<{code: number; stdout: string; stderr: string}> {
	try {
		const {stdout, stderr} = await promisify(execFile)(process.execPath, [script, src], {cwd: root});
		return {code: 0, stdout, stderr};
	} catch (error) {
		const failed = error as {code: number; stdout: string; stderr: string};
		return {code: failed.code, stdout: failed.stdout, stderr: failed.stderr};
	}
}

/** A throwaway src/ folder with these files (path under src -> code). */
function tree(t: import('ava').ExecutionContext, files: Record<string, string>): string {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-imports-'));
	t.teardown(() => {
		rmSync(dir, {recursive: true, force: true});
	});
	for (const [path, code] of Object.entries(files)) {
		mkdirSync(dirname(join(dir, 'src', path)), {recursive: true});
		writeFileSync(join(dir, 'src', path), code);
	}
	return join(dir, 'src');
}

test('src/ imports only down the layers, without cycles between folders', async t => {
	const result = await checkImports(join(root, 'src'));
	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /^check-imports: \d+ files, \d+ imports between folders, none against the layers, no cycles\n$/);
});

test('a lower folder importing a higher one fails with one line per import; so do cycles and unplaced folders', async t => {
	const src = tree(t, {
		'types.ts': 'export type Id = number;\n',
		'sweep/schema.ts': "import type {Loop} from '../run/loop.js';\nimport type {Id} from '../types.js';\nexport type Schema = Loop | Id;\n",
		'run/loop.ts': "import type {Schema} from '../sweep/schema.js';\nexport type Loop = {schema?: Schema};\n",
		'store/open.ts': "export async function open() {\n\treturn import('../serve/page.js');\n}\n",
		'serve/page.ts': 'export const page = 1;\n',
		'report/index.ts': "export {type Loop} from '../run/loop.js';\n",
		'misc/helper.ts': "import type {Id} from '../types.js';\nexport const id: Id = 1;\n",
		// Neither a comment nor a string is an import.
		'data/read.ts': "// import {main} from '../cli/main.js';\n/* export * from '../cli/main.js'; */\nexport const text = `see '../cli/main.js' ${'//'}`;\nexport const path = '../cli/main.js';\n",
	});
	const result = await checkImports(src);
	t.is(result.code, 1);
	const lines = result.stderr.trimEnd().split('\n');
	t.true(lines.every(line => line.startsWith('check-imports: ')), result.stderr);
	t.true(lines.some(line => /sweep\/schema\.ts:1: import '\.\.\/run\/loop\.js': sweep \(layer 1\) imports run \(layer 4\)/.test(line)), result.stderr);
	t.true(lines.some(line => /store\/open\.ts:2: import '\.\.\/serve\/page\.js': store \(layer 2\) imports serve \(layer 5\)/.test(line)), result.stderr);
	t.true(lines.some(line => /report\/index\.ts:1: import '\.\.\/run\/loop\.js': report \(layer 3\) imports run \(layer 4\)/.test(line)), result.stderr);
	const cycle = lines.find(line => line.startsWith('check-imports: import cycle between run, sweep: '));
	t.truthy(cycle, result.stderr);
	t.regex(cycle!, /sweep\/schema\.ts:1: import '\.\.\/run\/loop\.js' \(sweep -> run\)/);
	t.regex(cycle!, /run\/loop\.ts:1: import '\.\.\/sweep\/schema\.js' \(run -> sweep\)/);
	t.true(lines.some(line => /misc\/helper\.ts: misc is not in the layer table/.test(line)), result.stderr);
	t.false(result.stderr.includes('data/read.ts'), result.stderr);
	t.is(lines.length, 5, result.stderr);
});
