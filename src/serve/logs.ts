/**
 * A program trial's log on the trial page: the tail of what it printed, as text. The store keeps the path the
 * trial wrote (`<trials dir>/<sweep>/trial-<id>/trial.log`, and `trial.log.1` before it once it rotated), but a
 * database is data, not a list of files this server may read: the dashboard opens only the path it works out
 * itself from its own trials folder, the sweep's name and the trial's id, through no symbolic link, and only when
 * the stored path is that one. Reads are bounded (the tail asked for, at most MAX_LOG_TAIL_BYTES), never the whole
 * file; terminal escape sequences and other control characters are dropped, and the page shows the rest as text.
 */
import {closeSync, constants, fstatSync, openSync, readSync, realpathSync} from 'node:fs';
import {join, resolve} from 'node:path';
import type {TrialRecord} from '../store/store.js';

/** What the trial page shows first, and the most one request returns (the run loop keeps 10 MB a trial by default). */
export const LOG_TAIL_BYTES = 64 * 1024;
export const MAX_LOG_TAIL_BYTES = 16 * 1024 * 1024;

export interface LogView {
	/** The path the store has, null for a trial without a log (a built-in or module trial). */
	path: string | null;
	/** Why the log is not shown, when it is not. */
	unavailable?: string;
	/** Bytes of the whole log (both files), of what is shown, and whether it starts at the beginning. */
	size: number;
	shown: number;
	complete: boolean;
	text: string;
}

/** The log of a trial of sweep `sweep`, as `sweeplab run --trials-dir trialsDir` wrote it: its last `tail` bytes. */
export function readTrialLog(trial: Pick<TrialRecord, 'id' | 'logPath'>, sweep: string, trialsDir: string, tail = LOG_TAIL_BYTES): LogView {
	const none = (unavailable: string): LogView => ({path: trial.logPath, unavailable, size: 0, shown: 0, complete: true, text: ''});
	if (trial.logPath === null) {
		return none('this trial has no log: only program trials (program: command) write one');
	}

	const root = resolve(trialsDir);
	const expected = join(root, sweep, `trial-${trial.id}`, 'trial.log');
	if (resolve(trial.logPath) !== expected || !expected.startsWith(`${root}/`)) {
		return none(`the log is not in this dashboard's trials folder ${root} (start sweeplab serve with the --trials-dir the run used)`);
	}

	// Through the folders' real paths: a symbolic link on the way (made by the program, say) could lead anywhere.
	const folder = join(sweep, `trial-${trial.id}`);
	let real: string;
	try {
		real = realpathSync(join(root, folder));
		if (real !== join(realpathSync(root), folder)) {
			return none('the trial\'s folder is reached through a symbolic link; its log is not served');
		}
	} catch (error) {
		return none(`no log at ${expected} on this machine (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
	}

	// The rotated half comes first; either may be missing.
	const parts = [join(real, 'trial.log.1'), join(real, 'trial.log')].flatMap(path => {
		const fd = openLog(path);
		return fd === undefined ? [] : [{fd, size: fstatSync(fd).size}];
	});
	try {
		if (parts.length === 0) {
			return none(`no log at ${expected} on this machine`);
		}

		const size = parts.reduce((sum, part) => sum + part.size, 0);
		const want = Math.min(size, Math.max(1, Math.min(tail, MAX_LOG_TAIL_BYTES)));
		const buffer = Buffer.alloc(want);
		let from = size - want;
		let filled = 0;
		for (const part of parts) {
			if (from < part.size) {
				filled += readAll(part.fd, buffer.subarray(filled, filled + Math.min(part.size - from, want - filled)), from);
				from = 0;
			} else {
				from -= part.size;
			}
		}

		let text = buffer.subarray(0, filled).toString('utf8');
		// A tail cut mid-line (or mid-character) starts at the next whole line.
		if (want < size && text.includes('\n')) {
			text = text.slice(text.indexOf('\n') + 1);
		}

		return {path: trial.logPath, size, shown: want, complete: want >= size, text: plainText(text)};
	} finally {
		for (const {fd} of parts) {
			closeSync(fd);
		}
	}
}

/** Open for reading, refusing a symbolic link in place of the file; undefined when there is no such file. */
function openLog(path: string): number | undefined {
	try {
		const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
		if (!fstatSync(fd).isFile()) {
			closeSync(fd);
			return undefined;
		}

		return fd;
	} catch {
		return undefined;
	}
}

function readAll(fd: number, into: Buffer, position: number): number {
	let read = 0;
	while (read < into.length) {
		const count = readSync(fd, into, read, into.length - read, position + read);
		if (count === 0) {
			break;
		}

		read += count;
	}

	return read;
}

/**
 * The log as plain text: ANSI escape sequences (colours, cursor moves, window titles) and control characters other
 * than tab and newline are dropped; a carriage return ends a line as a newline would.
 */
export function plainText(text: string): string {
	return text
		// eslint-disable-next-line no-control-regex
		.replaceAll(/\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[@-Z\\-_]|\u009B[0-?]*[ -/]*[@-~]/g, '')
		.replaceAll(/\r\n?/g, '\n')
		// eslint-disable-next-line no-control-regex
		.replaceAll(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, '');
}
