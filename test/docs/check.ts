/**
 * The docs check: every fenced block of README.md and docs/*.md is run or validated, so no example rots. What each
 * block gets depends on its info string (the words after the opening fence); docs/development.md ("The docs check")
 * is the user-facing description of these markers, keep the two in step.
 */
import {execFile} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {isDeepStrictEqual, promisify} from 'node:util';
import {join, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import Database from 'better-sqlite3';
import yargs, {type Argv} from 'yargs';
import {parse as parseYaml, stringify as stringifyYaml} from 'yaml';
import {CONFIG_KEYS} from '../../src/sweep/schema.js';
import {parseSweep} from '../../src/sweep/read.js';
import {DEFAULT_TRIAL_CONFIG} from '../../src/types.js';

const run = promisify(execFile);

export interface Block {
	file: string;
	/** 1-based line of the opening fence. */
	line: number;
	lang: string;
	flags: Set<string>;
	attrs: Record<string, string>;
	text: string;
}

export interface MarkedTable {
	file: string;
	line: number;
	name: string;
	/** Body rows (header and separator dropped), cells trimmed, `\|` unescaped. */
	rows: string[][];
}

export interface DocsContext {
	/** Repository root: package.json, node_modules/.bin, sweep files named by no-run blocks. */
	root: string;
	/** Where runnable commands run; it holds a copy of sweeps/ and the shared database at db/sweeplab.db. */
	workDir: string;
	/** The built CLI (dist/src/cli/main.js). */
	cli: string;
	/** Results of commands already run, by their arguments: the docs repeat the tour's commands. */
	ran: Map<string, Promise<string | undefined>>;
}

/** The minimal sweep a `yaml fragment` block is merged onto. */
export const FRAGMENT_BASE = {name: 'docs-fragment', method: 'grid', dataset: {name: 'fashion-mnist-mini'}};

/** Commands a `sh` block may name that the check accepts without running (system set-up, other programs). */
const EXTERNAL = new Set(['apt-get', 'psql', 'systemctl', 'update-alternatives']);

const FENCE = /^ {0,3}```(.*)$/;

export function extractBlocks(markdown: string, file: string): Block[] {
	const lines = markdown.split('\n');
	const blocks: Block[] = [];
	for (let i = 0; i < lines.length; i++) {
		const open = FENCE.exec(lines[i]);
		if (!open) continue;
		const [lang = '', ...words] = open[1].trim().split(/\s+/).filter(Boolean);
		const flags = new Set<string>();
		const attrs: Record<string, string> = {};
		for (const word of words) {
			const eq = word.indexOf('=');
			if (eq === -1) flags.add(word);
			else attrs[word.slice(0, eq)] = word.slice(eq + 1);
		}

		const body: string[] = [];
		let j = i + 1;
		while (j < lines.length && !/^ {0,3}```\s*$/.test(lines[j])) body.push(lines[j++]);
		if (j === lines.length) throw new Error(`${file}:${i + 1}: fenced block never closed`);
		blocks.push({file, line: i + 1, lang, flags, attrs, text: body.join('\n') + '\n'});
		i = j;
	}

	return blocks;
}

/** Tables announced by `<!-- docs-check: NAME -->` on the line before them. */
export function extractMarkedTables(markdown: string, file: string): MarkedTable[] {
	const lines = markdown.split('\n');
	const tables: MarkedTable[] = [];
	for (let i = 0; i < lines.length; i++) {
		const marker = /^<!--\s*docs-check:\s*([\w-]+)\s*-->$/.exec(lines[i].trim());
		if (!marker) continue;
		const rows: string[][] = [];
		for (let j = i + 1; j < lines.length && lines[j].trim().startsWith('|'); j++) {
			if (j <= i + 2) continue; // header and separator
			const cells = lines[j].trim().slice(1, -1).split(/(?<!\\)\|/).map(cell => cell.trim().replaceAll('\\|', '|'));
			rows.push(cells);
		}

		tables.push({file, line: i + 1, name: marker[1], rows});
	}

	return tables;
}

/** Problems with one block, each starting with file:line; `next` is the block after it in the same file. */
export async function checkBlock(block: Block, context: DocsContext, next?: Block): Promise<string[]> {
	const where = `${block.file}:${block.line}`;
	try {
		switch (block.lang) {
			case 'yaml': {
				return checkYaml(block, next).map(problem => `${where}: ${problem}`);
			}

			case 'sh': {
				return (await checkShell(block, context)).map(problem => `${where}: ${problem}`);
			}

			case 'sql': {
				return checkSql(block.text, join(context.workDir, 'db/sweeplab.db')).map(problem => `${where}: ${problem}`);
			}

			case 'text': {
				return [];
			}

			case 'js':
			case 'ts':
			case 'python':
			case 'bash': {
				return checkExcerpt(block, context).map(problem => `${where}: ${problem}`);
			}

			default: {
				return [`${where}: a fenced block needs one of the info strings yaml, sh, sql, text, or js/ts/python/bash with file=PATH (got "${block.lang}")`];
			}
		}
	} catch (error) {
		return [`${where}: ${(error as Error).message}`];
	}
}

/** Code shown in the docs is an excerpt of a file the tests run: it must appear in that file as it is. */
function checkExcerpt(block: Block, context: DocsContext): string[] {
	const file = block.attrs.file;
	if (file === undefined) {
		return [`a ${block.lang} block must name the repository file it is taken from (file=PATH), so that what it shows is what runs`];
	}

	const path = join(context.root, file);
	if (!existsSync(path)) {
		return [`no file ${file} in the repository`];
	}

	return readFileSync(path, 'utf8').includes(block.text) ? [] : [`the block is not an excerpt of ${file} as it is now (copy it again from the file)`];
}

function checkYaml(block: Block, next?: Block): string[] {
	const file = block.attrs.file ?? `${block.file}:${block.line}.yaml`;
	if (block.flags.has('error')) {
		try {
			parseSweep(block.text, file);
		} catch (error) {
			const shown = `sweeplab: ${(error as Error).message}`;
			if (next?.lang === 'text' && next.text.startsWith('sweeplab: ') && next.text.trim() !== shown) {
				return [`the message shown below the block is not what sweeplab prints: ${shown}`];
			}

			return [];
		}

		return ['a "yaml error" block validated without an error'];
	}

	const text = block.flags.has('fragment') ? stringifyYaml({...FRAGMENT_BASE, ...(parseYaml(block.text) as object)}) : block.text;
	parseSweep(text, file);
	return [];
}

/** Statements of a SQL block: `--` comments dropped, split at semicolons outside quotes. */
export function sqlStatements(text: string): string[] {
	const statements: string[] = [];
	let current = '';
	let quote = '';
	for (const line of text.split('\n')) {
		if (!quote && line.trim().startsWith('--')) continue;
		for (const char of line + '\n') {
			if (quote) {
				if (char === quote) quote = '';
			} else if (char === '\'' || char === '"') {
				quote = char;
			} else if (char === ';') {
				statements.push(current.trim());
				current = '';
				continue;
			}

			current += char;
		}
	}

	if (current.trim()) statements.push(current.trim());
	return statements.filter(Boolean);
}

function checkSql(text: string, dbPath: string): string[] {
	const db = new Database(dbPath, {readonly: true, fileMustExist: true});
	try {
		const problems: string[] = [];
		for (const sql of sqlStatements(text)) {
			try {
				const statement = db.prepare(sql);
				if (!statement.reader) {
					problems.push(`only queries belong in a sql example (it runs read-only): ${sql}`);
				} else if (statement.all().length === 0) {
					problems.push(`the query returned no rows on a database with a real quickstart run: ${sql}`);
				}
			} catch (error) {
				problems.push(`${(error as Error).message}: ${sql}`);
			}
		}

		return problems;
	} finally {
		db.close();
	}
}

/** Shell words of one line: quotes group and are removed; `&&` and `;` end a command; `#` starts a comment. */
export function shellCommands(text: string): string[][] {
	const commands: string[][] = [];
	for (const line of text.replaceAll(/\\\n/g, ' ').split('\n')) {
		let words: string[] = [];
		let word: string | undefined;
		let quote = '';
		const end = () => {
			if (word !== undefined) words.push(word);
			word = undefined;
		};

		for (let i = 0; i < line.length; i++) {
			const char = line[i];
			if (quote) {
				if (char === quote) quote = '';
				else word += char;
			} else if (char === '\'' || char === '"') {
				quote = char;
				word ??= '';
			} else if (/\s/.test(char)) {
				end();
			} else if (char === '#' && word === undefined) {
				break;
			} else if (char === ';' || (char === '&' && line[i + 1] === '&')) {
				end();
				if (words.length > 0) commands.push(words);
				words = [];
				if (char === '&') i++;
			} else {
				word = (word ?? '') + char;
			}
		}

		if (quote) throw new Error(`unclosed quote in: ${line}`);
		end();
		if (words.length > 0) commands.push(words);
	}

	return commands;
}

async function checkShell(block: Block, context: DocsContext): Promise<string[]> {
	const runnable = !block.flags.has('no-run');
	const problems: string[] = [];
	const env: Record<string, string> = {};
	const {scripts} = JSON.parse(readFileSync(join(context.root, 'package.json'), 'utf8')) as {scripts: Record<string, string>};
	for (let words of shellCommands(block.text)) {
		const shown = words.join(' ');
		while (/^\w+=/.test(words[0] ?? '')) {
			const [name, ...value] = words[0].split('=');
			env[name] = value.join('=');
			words = words.slice(1);
		}

		if (words[0] === 'time') words = words.slice(1);
		if (words[0] === 'sudo') {
			words = words.slice(1);
			while (words[0]?.startsWith('-')) words = words.slice(words[0] === '-u' ? 2 : 1);
		}

		const [command, ...args] = words;
		if (command === undefined) continue;
		if (command === 'export') {
			for (const assignment of args) {
				const [name, ...value] = assignment.split('=');
				env[name] = value.join('=');
			}
		} else if (command === 'sweeplab' || (command === 'npx' && args[0] === 'sweeplab')) {
			const cliArgs = command === 'npx' ? args.slice(1) : args;
			const problem = runnable ? await runSweeplab(cliArgs, env, context) : await parseSweeplab(cliArgs, context);
			if (problem) problems.push(`${shown}: ${problem}`);
		} else if (command === 'npx') {
			if (!existsSync(join(context.root, 'node_modules/.bin', args[0] ?? ''))) problems.push(`${shown}: no "${args[0]}" in node_modules/.bin`);
		} else if (command === 'npm') {
			const script = args[0] === 'run' ? args[1] : args[0] === 'test' ? 'test' : undefined;
			if (script !== undefined && !(script in scripts)) problems.push(`${shown}: package.json has no script "${script}"`);
			if (script === undefined && !['install', 'ci'].includes(args[0])) problems.push(`${shown}: unknown npm command`);
		} else if (['bash', 'node', 'python3'].includes(command)) {
			const file = args.find(arg => !arg.startsWith('-'));
			if (file === undefined || !existsSync(join(context.root, file))) problems.push(`${shown}: no such file "${file}" in the repository`);
		} else if (command === 'sqlite3') {
			if (runnable) {
				problems.push(...checkSql(args.slice(1).join(' '), resolve(context.workDir, args[0])).map(problem => `${shown}: ${problem}`));
			}
		} else if (!EXTERNAL.has(command)) {
			problems.push(`${shown}: the docs check does not know "${command}" (teach test/docs/check.ts, or drop the line)`);
		}
	}

	return problems;
}

/** Runs the real CLI in the work directory; undefined when it exits 0, else what went wrong. */
async function runSweeplab(args: string[], env: Record<string, string>, context: DocsContext): Promise<string | undefined> {
	if (env.SWEEPLAB_DB !== undefined || args.some(arg => /^postgres(ql)?:\/\//.test(arg))) {
		return 'a PostgreSQL database cannot be used in a test: mark the block "sh no-run"';
	}

	if (['run', 'plan'].includes(args[0]) && args[1] !== undefined) {
		const path = resolve(context.workDir, args[1]);
		if (!existsSync(path)) return `no sweep file ${args[1]}`;
		const definition = parseSweep(readFileSync(path, 'utf8'), args[1]);
		if (!definition.program && definition.dataset?.name !== 'fashion-mnist-mini') {
			return `a runnable example must be a short sweep on fashion-mnist-mini (this one uses ${definition.dataset?.name}): mark the block "sh no-run"`;
		}
	}

	const key = JSON.stringify([args, env]);
	let result = context.ran.get(key);
	if (result === undefined) {
		const childEnv: NodeJS.ProcessEnv = {...process.env, ...env};
		delete childEnv.SWEEPLAB_DB;
		result = run(process.execPath, [context.cli, ...args], {cwd: context.workDir, env: childEnv, timeout: 120_000, maxBuffer: 64 << 20}).then(
			() => undefined,
			(error: {code?: number; stderr?: string; message: string}) => `exit code ${error.code}: ${(error.stderr ?? error.message).trim().split('\n').at(-1)}`,
		);
		context.ran.set(key, result);
	}

	return result;
}

let commandTemplates: Promise<string[]> | undefined;

/** The CLI's commands as `sweeplab --help` lists them, e.g. `run <file>`, `report [sweep]`. */
async function listCommands(cli: string): Promise<string[]> {
	commandTemplates ??= run(process.execPath, [cli, '--help']).then(({stdout}) =>
		[...stdout.matchAll(/^ {2}sweeplab (\w[\w-]*(?: [<[][\w-]+[>\]])*)/gm)].map(match => match[1]));
	return commandTemplates;
}

/**
 * Parses a command line with the CLI's own option definitions without running it: each command `NAME` is built
 * by `NAMEBuilder` from src/cli/NAME.ts, strictly, so unknown commands, options and choices fail.
 * A sweep file named by run or plan must exist in the repository and validate.
 */
async function parseSweeplab(args: string[], context: DocsContext): Promise<string | undefined> {
	let parser: Argv = yargs(args).scriptName('sweeplab').strict().exitProcess(false).help(false).version(false)
		.fail((message, error) => {
			throw error ?? new Error(message);
		});
	for (const template of await listCommands(context.cli)) {
		const name = template.split(' ')[0];
		const module = await import(pathToFileURL(join(context.root, 'dist/src/cli', `${name}.js`)).href) as Record<string, (yargs: Argv) => Argv>;
		const builder = module[`${name}Builder`];
		if (typeof builder !== 'function') return `src/cli/${name}.ts exports no ${name}Builder for the docs check to parse with`;
		parser = parser.command(template, '', builder);
	}

	try {
		const parsed = await parser.demandCommand(1).parseAsync();
		if (['run', 'plan'].includes(String(parsed._[0]))) {
			const file = String(parsed.file);
			if (!existsSync(join(context.root, file))) return `no sweep file ${file} in the repository`;
			parseSweep(readFileSync(join(context.root, file), 'utf8'), file);
		}
	} catch (error) {
		return (error as Error).message.replaceAll(/\s+/g, ' ').trim();
	}

	return undefined;
}

/** Problems with a table announced by a docs-check marker; `dbPath` is a database made by a real run. */
export function checkTable(table: MarkedTable, dbPath: string): string[] {
	const where = `${table.file}:${table.line}`;
	const code = (cell: string) => cell.replace(/^`(.*)`$/, '$1');
	switch (table.name) {
		case 'config-keys': {
			const problems: string[] = [];
			const keys = table.rows.map(row => code(row[0]));
			if (!isDeepStrictEqual([...keys].sort(), [...CONFIG_KEYS].sort())) {
				problems.push(`${where}: the table lists the keys ${keys.join(', ')}; the schema has ${CONFIG_KEYS.join(', ')}`);
			}

			for (const row of table.rows) {
				const key = code(row[0]) as keyof typeof DEFAULT_TRIAL_CONFIG;
				if (!(key in DEFAULT_TRIAL_CONFIG)) continue;
				const shown = parseYaml(code(row.at(-1) ?? '')) as unknown;
				if (!isDeepStrictEqual(shown, DEFAULT_TRIAL_CONFIG[key])) {
					problems.push(`${where}: the default of ${key} is ${JSON.stringify(DEFAULT_TRIAL_CONFIG[key])}, the table says ${row.at(-1)}`);
				}
			}

			return problems;
		}

		case 'schema-tables': {
			const db = new Database(dbPath, {readonly: true, fileMustExist: true});
			try {
				return table.rows.flatMap(row => {
					const name = code(row[0]);
					const shown = row.at(-1)!.replaceAll(/\s*\([^)]*\)/g, '').split(',').map(column => column.trim()).sort();
					const actual = (db.pragma(`table_info(${JSON.stringify(name)})`) as Array<{name: string}>).map(column => column.name).sort();
					return isDeepStrictEqual(shown, actual) ? [] : [`${where}: table ${name} has the columns ${actual.join(', ')}; the docs list ${shown.join(', ')}`];
				});
			} finally {
				db.close();
			}
		}

		default: {
			return [`${where}: unknown docs-check marker "${table.name}"`];
		}
	}
}
