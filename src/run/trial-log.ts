/**
 * A program trial's output, bounded: lines are cut from the pipes' chunks without ever holding more than one
 * line (itself capped) in memory, and written to `trial.log`, which rotates to `trial.log.1` when it reaches half
 * the limit, so the two files together never exceed it and always hold the latest output. A program printing a
 * million lines costs a few writes per pipe chunk, not one per line.
 */
import {closeSync, openSync, renameSync, rmSync, writeSync} from 'node:fs';

/** A line longer than this is passed on in pieces (and is then never a report). */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Splits a byte stream into lines (without their `\n` or `\r\n`). */
export class LineSplitter {
	private parts: Uint8Array[] = [];
	private size = 0;
	private overlong = false;

	/** `onLine` gets each line and whether it is whole (false for the pieces of an over-long line). */
	constructor(private readonly onLine: (line: Buffer, whole: boolean) => void, private readonly maxLine = MAX_LINE_BYTES) {}

	push(chunk: Buffer): void {
		let start = 0;
		for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
			this.emit(chunk.subarray(start, newline), true);
			start = newline + 1;
		}

		if (start < chunk.length) {
			const rest = chunk.subarray(start);
			this.parts.push(rest);
			this.size += rest.length;
			if (this.size > this.maxLine) {
				this.overlong = true;
				this.emit(Buffer.alloc(0), false);
			}
		}
	}

	/** The stream ended: pass on an unterminated last line. */
	end(): void {
		if (this.size > 0) {
			this.emit(Buffer.alloc(0), true);
		}
	}

	private emit(tail: Buffer, ended: boolean): void {
		let line = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
		this.parts = [];
		this.size = 0;
		if (line.length > 0 && line[line.length - 1] === 0x0d) {
			line = line.subarray(0, -1);
		}

		const whole = !this.overlong;
		if (ended) {
			this.overlong = false;
		}

		this.onLine(line, whole);
	}
}

/** A log file capped at `limitBytes` over it and its one rotated predecessor. Writes are batched until flush(). */
export class TrialLog {
	/** Bytes dropped by rotation so far (0 while nothing was lost). */
	dropped = 0;
	private fd: number | undefined;
	private size = 0;
	private previousSize = 0;
	private pending: Buffer[] = [];
	private pendingSize = 0;
	private readonly fileLimit: number;

	constructor(readonly path: string, readonly limitBytes: number) {
		this.fileLimit = Math.max(Math.floor(limitBytes / 2), 1024);
		// An earlier attempt's log goes: this attempt's lines must not be cut short by its size.
		rmSync(`${path}.1`, {force: true});
		this.fd = openSync(path, 'w');
	}

	/** Queue one line of output (a newline is added). */
	line(bytes: Uint8Array | string): void {
		const buffer = typeof bytes === 'string' ? Buffer.from(bytes + '\n') : Buffer.concat([bytes, NEWLINE]);
		this.pending.push(buffer);
		this.pendingSize += buffer.length;
		if (this.pendingSize >= FLUSH_BYTES) {
			this.flush();
		}
	}

	/** Queue a line of sweeplab's own, marked as such. */
	note(text: string): void {
		this.line(`[sweeplab] ${text}`);
	}

	/** Write what is queued; rotates first whenever the next line would take the file over its half of the limit. */
	flush(): void {
		const lines = this.pending;
		this.pending = [];
		this.pendingSize = 0;
		let batch: Buffer[] = [];
		let batchSize = 0;
		for (let line of lines) {
			const room = this.fileLimit - ROTATION_NOTE_ROOM;
			if (line.length > room) {
				line = Buffer.concat([line.subarray(0, room - CUT_MARK.length - 1), CUT_MARK, NEWLINE]);
			}

			if (this.size + batchSize + line.length > this.fileLimit) {
				this.write(batch);
				batch = [];
				batchSize = 0;
				this.rotate();
			}

			batch.push(line);
			batchSize += line.length;
		}

		this.write(batch);
	}

	close(): void {
		this.flush();
		if (this.fd !== undefined) {
			closeSync(this.fd);
			this.fd = undefined;
		}
	}

	private write(batch: Buffer[]): void {
		if (batch.length === 0 || this.fd === undefined) {
			return;
		}

		const bytes = batch.length === 1 ? batch[0] : Buffer.concat(batch);
		try {
			writeSync(this.fd, bytes);
			this.size += bytes.length;
		} catch {
			// A full disk must not fail the trial: logging stops, the trial's reports still reach the store.
			closeSync(this.fd);
			this.fd = undefined;
		}
	}

	private rotate(): void {
		if (this.fd === undefined) {
			return;
		}

		closeSync(this.fd);
		this.fd = undefined;
		this.dropped += this.previousSize;
		this.previousSize = this.size;
		try {
			renameSync(this.path, `${this.path}.1`);
			this.fd = openSync(this.path, 'w');
		} catch {
			// The trial directory went away: logging stops, as on a full disk.
			return;
		}

		this.size = 0;
		this.write([Buffer.from(`[sweeplab] log rotated (limit ${this.limitBytes} bytes over trial.log and trial.log.1): the output before this line is in trial.log.1, ${this.dropped} bytes before that were dropped\n`)]);
	}
}

const NEWLINE = Buffer.from('\n');
const CUT_MARK = Buffer.from(' [... line cut by sweeplab]');
const FLUSH_BYTES = 64 * 1024;
// Kept free in each file for the rotation note.
const ROTATION_NOTE_ROOM = 256;
