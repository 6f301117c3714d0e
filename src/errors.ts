/**
 * One base error with a stable `code`; one subclass per family. The CLI (src/cli/main.ts) prints any
 * SweeplabError as one line on stderr, `sweeplab: <message>` (a UsageError adds ` (see sweeplab --help)`), with
 * the stack trace only under --verbose, and exits 2 for a UsageError, 1 for the others. The code is for
 * programs and tests; the message already names the file, key or value at fault.
 */
export class SweeplabError extends Error {
	readonly code: string;

	constructor(code: string, message: string, options?: {cause?: unknown}) {
		super(message, options);
		this.name = new.target.name;
		this.code = code;
	}
}

/** A sweep file that cannot be read, parsed or validated. The message starts with the file path. */
export class SweepFileError extends SweeplabError {
	constructor(message: string, options?: {cause?: unknown}) {
		super('sweep-file', message, options);
	}
}

/** A dataset that cannot be found, downloaded, or whose files are corrupt. */
export class DatasetError extends SweeplabError {
	constructor(message: string, options?: {cause?: unknown}) {
		super('dataset', message, options);
	}
}

/** The database cannot be opened, is of a newer schema, or refuses a write. */
export class StoreError extends SweeplabError {
	constructor(message: string, options?: {cause?: unknown}) {
		super('store', message, options);
	}
}

/** A backend that cannot load, a model that cannot be built from a config, a trial that fails. */
export class TrainingError extends SweeplabError {
	constructor(message: string, options?: {cause?: unknown}) {
		super('training', message, options);
	}
}

/** Bad command-line usage that yargs itself cannot catch (a sweep name that does not exist, ...). */
export class UsageError extends SweeplabError {
	constructor(message: string, options?: {cause?: unknown}) {
		super('usage', message, options);
	}
}

/** The dashboard cannot start: its port is taken, its address cannot be bound. */
export class ServeError extends SweeplabError {
	constructor(message: string, options?: {cause?: unknown}) {
		super('serve', message, options);
	}
}

/**
 * Any thrown value as one line for a trial's `error`: its class when that says something, then the first line of
 * its message (worker errors can carry multi-line stacks and tfjs diagnostics), at most 500 characters.
 */
export function errorLine(error: unknown): string {
	const text = error instanceof Error ? `${error.name === 'Error' ? '' : error.name + ': '}${error.message}` : `threw ${String(error)}`;
	return text.split('\n')[0].slice(0, 500);
}
