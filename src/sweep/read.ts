/**
 * Reading a sweep file: bytes -> YAML/JSON document -> validated SweepDefinition. Every failure is one
 * SweepFileError whose single-line message starts with the file path, then the key path (or line:column
 * for syntax errors), the problem, and a hint.
 */
import {readFile, stat} from 'node:fs/promises';
import {dirname, extname, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import {parseDocument} from 'yaml';
import {SweepFileError} from '../errors.js';
import type {SweepDefinition} from '../types.js';
import {checkProgram} from './command.js';
import {formatKeyPath} from './config-schema.js';
import {checkSweep} from './check.js';

export type SweepFormat = 'yaml' | 'json';

const FORMATS: Record<string, SweepFormat> = {'.yaml': 'yaml', '.yml': 'yaml', '.json': 'json'};

/** The format implied by the file extension, or undefined for any other extension. */
export function formatOf(file: string): SweepFormat | undefined {
	return FORMATS[extname(file).toLowerCase()];
}

/** A path of a sweep file's `program` (module, cwd), which is relative to the sweep file's folder, made absolute. */
export function programPath(sweepFile: string, path: string): string {
	return resolve(dirname(resolve(sweepFile)), path);
}

/**
 * A program sweep's module must load and default-export a function before anything is stored: importing it here
 * (in the main thread, once) surfaces a missing file, a syntax error or a missing default export as one line.
 * @throws SweepFileError naming the file, the key and what is wrong.
 */
export async function checkObjectiveModule(sweepFile: string, module: string): Promise<void> {
	const path = programPath(sweepFile, module);
	const where = `${sweepFile}: program.module: ${module}`;
	try {
		await stat(path);
	} catch {
		throw new SweepFileError(`${where}: no such file (${path}; the path is relative to the sweep file's folder)`);
	}

	let loaded: {default?: unknown};
	try {
		loaded = await import(pathToFileURL(path).href) as {default?: unknown};
	} catch (error) {
		const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
		throw new SweepFileError(`${where}: cannot be loaded: ${oneLine(message)}`, {cause: error});
	}

	if (typeof loaded.default !== 'function') {
		throw new SweepFileError(`${where}: has no default export function (add export default async function objective(trial) {...})`);
	}
}

/**
 * @throws SweepFileError when the file is missing or unreadable, has an unsupported extension, does not
 * parse, or fails validation, or its program.module cannot be loaded or has no default export, or its
 * program.command names no executable file (or its cwd no folder).
 */
export async function readSweepFile(path: string): Promise<{definition: SweepDefinition; source: string}> {
	const format = formatOf(path);
	if (format === undefined) {
		throw new SweepFileError(`${path}: unsupported extension "${extname(path)}" (sweep files end in .yaml, .yml or .json)`);
	}
	let source: string;
	try {
		source = await readFile(path, 'utf8');
	} catch (error) {
		throw new SweepFileError(`${path}: cannot read the sweep file: ${readProblem(error)}`, {cause: error});
	}
	const definition = parseSweep(source, path, format);
	if (definition.program && 'module' in definition.program) {
		await checkObjectiveModule(path, definition.program.module);
	} else if (definition.program) {
		const {command, cwd = '.', env} = definition.program;
		const problem = checkProgram({command, cwd: programPath(path, cwd), env});
		if (problem) {
			throw new SweepFileError(`${path}: program.${problem.key}: ${problem.message}`);
		}
	}

	return {definition, source};
}

function readProblem(error: unknown): string {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	switch (code) {
		case 'ENOENT': {
			return 'no such file (check the path)';
		}
		case 'EISDIR': {
			return 'it is a directory (give the path of a .yaml or .json file)';
		}
		case 'EACCES':
		case 'EPERM': {
			return 'permission denied (check the file permissions)';
		}
		default: {
			return `${oneLine(error instanceof Error ? error.message : String(error))} (check the path)`;
		}
	}
}

/**
 * Parses and validates sweep-file text; `file` is only used in messages and to pick the format when
 * `format` is not given (YAML unless the name ends in .json).
 * @throws SweepFileError for a syntax error or any validation problem.
 */
export function parseSweep(text: string, file: string, format?: SweepFormat): SweepDefinition {
	const document = (format ?? formatOf(file) ?? 'yaml') === 'json' ? parseJson(text, file) : parseYaml(text, file);
	const check = checkSweep(document);
	if (check.ok) {
		return check.definition;
	}
	const [first, ...rest] = check.problems;
	const more = rest.length === 0 ? '' : ` (+${rest.length} more problem${rest.length === 1 ? '' : 's'})`;
	throw new SweepFileError(oneLine(`${file}: ${formatKeyPath(first.path)}: ${first.message}${more}`));
}

function oneLine(text: string): string {
	return text.replaceAll(/\s*[\r\n]+\s*/g, ' ').trim();
}

function stripBom(text: string): string {
	return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseYaml(text: string, file: string): unknown {
	// uniqueKeys: a repeated key is almost always a copy-paste slip, and silently keeping the last one hides it.
	const body = stripBom(text);
	const document = parseDocument(body, {uniqueKeys: true, prettyErrors: false});
	const error = document.errors[0];
	if (error !== undefined) {
		const [line, column] = lineColumnAt(body, error.pos[0]);
		const reason = oneLine(error.message.replace(/ at line \d+, column \d+.*$/s, ''));
		throw new SweepFileError(`${file}:${line}:${column}: invalid YAML: ${reason} (check indentation, colons and brackets)`, {cause: error});
	}
	try {
		return document.toJS({maxAliasCount: 1000});
	} catch (error_) {
		throw new SweepFileError(`${file}: (root): invalid YAML: ${oneLine(String((error_ as Error).message))} (remove excessive aliases)`, {cause: error_});
	}
}

function parseJson(text: string, file: string): unknown {
	const body = stripBom(text);
	try {
		return JSON.parse(body) as unknown;
	} catch (error) {
		const message = (error as Error).message;
		const position = /at position (\d+)/.exec(message);
		const offset = position === null ? body.length : Number(position[1]);
		const [line, column] = lineColumnAt(body, offset);
		const reason = oneLine(message.replace(/,? ?(in JSON )?at position \d+.*$/s, '').replace(/ in JSON$/, ''));
		throw new SweepFileError(`${file}:${line}:${column}: invalid JSON: ${reason} (check commas, quotes and brackets; JSON allows no comments or trailing commas)`, {
			cause: error,
		});
	}
}

/** 1-based line and column of a character offset. */
function lineColumnAt(text: string, offset: number): [number, number] {
	const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
	const lines = before.split('\n');
	return [lines.length, lines.at(-1)!.length + 1];
}
