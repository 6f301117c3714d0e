/**
 * What can be checked of a program sweep's command before anything runs or is stored: the working directory, and
 * that the command names an executable file, found as execvp finds it (a name with a `/` relative to the working
 * directory, any other name on the PATH of the program's environment). `${args}` placement is the schema's.
 * Sweep loading (read.ts) reports a problem as `<file>: program.<key>: <message>`; the program runner
 * (run/program.ts) uses the same check to explain a program that could not be started.
 */
import {accessSync, constants, statSync} from 'node:fs';
import {delimiter, resolve} from 'node:path';
import {ARGS_PLACEHOLDER} from './schema.js';

export interface CommandProblem {
	key: 'command' | 'cwd';
	message: string;
}

function isExecutableFile(path: string): boolean {
	try {
		accessSync(path, constants.X_OK);
		return statSync(path).isFile();
	} catch {
		return false;
	}
}

function exists(path: string): boolean {
	try {
		statSync(path);
		return true;
	} catch {
		return false;
	}
}

/**
 * The problem with a command as it would start in `cwd` (absolute) with `env` over sweeplab's environment, or
 * undefined when it names an executable file.
 */
export function checkProgram(spec: {command: readonly string[]; cwd: string; env?: Record<string, string>}): CommandProblem | undefined {
	let cwdIsDirectory = false;
	try {
		cwdIsDirectory = statSync(spec.cwd).isDirectory();
	} catch {}

	if (!cwdIsDirectory) {
		return {key: 'cwd', message: `${spec.cwd} does not exist or is not a folder (cwd is relative to the sweep file's folder)`};
	}

	const program = spec.command[0];
	if (program === ARGS_PLACEHOLDER) {
		return {key: 'command', message: `"${ARGS_PLACEHOLDER}" cannot be the program itself; put it after the program, e.g. [python3, train.py, "${ARGS_PLACEHOLDER}"]`};
	}

	if (program.includes('/')) {
		const path = resolve(spec.cwd, program);
		if (!exists(path)) {
			return {key: 'command', message: `${program} is not found (looked for ${path}; a relative path is relative to cwd)`};
		}

		return isExecutableFile(path) ? undefined : {key: 'command', message: `${program} is not an executable file (chmod +x it, or run it through its interpreter, e.g. [python3, ${program}])`};
	}

	const searchPath = spec.env?.PATH ?? process.env.PATH ?? '';
	const candidates = searchPath.split(delimiter).filter(Boolean).map(dir => resolve(spec.cwd, dir, program));
	if (candidates.some(path => isExecutableFile(path))) {
		return undefined;
	}

	return candidates.some(path => exists(path))
		? {key: 'command', message: `${program} is found on PATH but is not an executable file`}
		: {key: 'command', message: `command ${program} is not found on PATH (for a file in cwd write ./${program})`};
}
