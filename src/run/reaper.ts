/**
 * No program trial may outlive sweeplab, however sweeplab ends. Each program runs in a process group of its own
 * (spawned `detached`), which sweeplab ends as a whole: SIGTERM, then SIGKILL after a grace period (execa's
 * `forceKillAfterDelay`), so children the program forked go too. That covers every end sweeplab sees coming;
 * for the ones it does not (kill -9, a crash in native code, the OOM killer), execa's `cleanup` (signal-exit)
 * cannot help, as nothing runs in a process killed with SIGKILL. So each sweeplab process starts one small reaper
 * process (reaper-process.ts), in a session of its own so that neither Ctrl-C nor a signal sent to sweeplab's group
 * reaches it, and registers every program's group with it over a pipe whose writing end only sweeplab holds.
 * The kernel closes that end when sweeplab ends, however it ends; the reaper reads end-of-file, ends every group
 * still registered the same way, and exits. Registration is a write to the pipe right after spawn() returns (by
 * then the child has its own group), so a group is known to the reaper before sweeplab can die knowing of it.
 *
 * Only a process that leaves its group on purpose (setsid, a double-forking daemon) escapes; docs/program-trials.md
 * says so.
 */
import {type ChildProcess, spawn} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import type {Socket} from 'node:net';
import {setTimeout as delay} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';

const REAPER_SCRIPT = fileURLToPath(new URL('./reaper-process.js', import.meta.url));

/** How long to wait for SIGKILLed processes to be gone before giving up on them (a process in uninterruptible sleep). */
const KILL_WAIT_MS = 2000;

/** Send a signal to every process of a group; false when the group has no process left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
	try {
		process.kill(-pgid, signal);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
			return false;
		}

		throw error;
	}
}

/**
 * The processes of a group that still run. Zombies do not count: a process ended with its parent gone is reaped by
 * init, and the init of some containers never reaps, which would leave a dead group looking alive forever.
 */
export function liveMembers(pgid: number): number[] {
	// The common case, a group whose every process has ended and been reaped, costs one system call.
	if (!signalGroup(pgid, 0)) {
		return [];
	}

	let entries: string[];
	try {
		entries = readdirSync('/proc');
	} catch {
		// No /proc (not Linux): a group that takes a signal is taken to be running.
		return [pgid];
	}

	const live: number[] = [];
	for (const entry of entries) {
		if (entry.charCodeAt(0) < 0x30 || entry.charCodeAt(0) > 0x39) {
			continue;
		}

		let stat: string;
		try {
			stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
		} catch {
			continue;
		}

		// "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read from the last ')'.
		const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
		if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') {
			live.push(Number(entry));
		}
	}

	return live;
}

/** Resolves true once no process of the group runs, or false when `ms` passed first. */
export async function waitForGroupEnd(pgid: number, ms: number): Promise<boolean> {
	const deadline = performance.now() + ms;
	let pause = 5;
	while (liveMembers(pgid).length > 0) {
		const left = deadline - performance.now();
		if (left <= 0) {
			return false;
		}

		await delay(Math.min(pause, left));
		pause = Math.min(pause * 2, 50);
	}

	return true;
}

/** The one reaper process of this sweeplab process, started with the first registration. */
export class Reaper {
	private child: ChildProcess | undefined;
	/** Registered groups and their grace periods, kept to re-register them should the reaper itself die. */
	private readonly groups = new Map<number, number>();

	add(pgid: number, graceMs: number): void {
		this.groups.set(pgid, graceMs);
		this.send(`+${pgid} ${graceMs}\n`);
	}

	remove(pgid: number): void {
		if (this.groups.delete(pgid)) {
			this.send(`-${pgid}\n`);
		}
	}

	/** The reaper's pid (undefined before the first registration), for tests. */
	get pid(): number | undefined {
		return this.child?.pid;
	}

	private send(line: string): void {
		(this.child ?? this.start()).stdin!.write(line);
	}

	private start(): ChildProcess {
		const child = spawn(process.execPath, [REAPER_SCRIPT], {detached: true, stdio: ['pipe', 'ignore', 'ignore']});
		// Neither the reaper nor its pipe may keep sweeplab's event loop alive.
		child.unref();
		(child.stdin as Socket).unref();
		// EPIPE when the reaper is gone: its exit handler below starts a new one.
		child.stdin!.on('error', () => undefined);
		child.on('error', () => undefined);
		child.once('exit', () => {
			if (this.child !== child) {
				return;
			}

			this.child = undefined;
			if (this.groups.size > 0) {
				const replacement = this.start();
				replacement.stdin!.write([...this.groups].map(([pgid, graceMs]) => `+${pgid} ${graceMs}\n`).join(''));
			}
		});
		this.child = child;
		return child;
	}
}

let reaper: Reaper | undefined;

/** This process's reaper. */
export function processReaper(): Reaper {
	reaper ??= new Reaper();
	return reaper;
}

/** A program's process group, registered with the reaper from creation until every process of it has ended. */
export class ProcessGroup {
	private ending: Promise<boolean> | undefined;

	constructor(readonly pgid: number, private readonly graceMs: number, private readonly reaper = processReaper()) {
		reaper.add(pgid, graceMs);
	}

	/**
	 * End every process of the group: SIGTERM, then SIGKILL to whatever still runs after the grace period. Resolves
	 * once none runs, with whether any process was left to end. Calling it again returns the same promise.
	 */
	async end(): Promise<boolean> {
		this.ending ??= this.terminate();
		return this.ending;
	}

	private async terminate(): Promise<boolean> {
		try {
			if (liveMembers(this.pgid).length === 0) {
				return false;
			}

			signalGroup(this.pgid, 'SIGTERM');
			if (!await waitForGroupEnd(this.pgid, this.graceMs)) {
				signalGroup(this.pgid, 'SIGKILL');
				await waitForGroupEnd(this.pgid, KILL_WAIT_MS);
			}

			return true;
		} finally {
			this.reaper.remove(this.pgid);
		}
	}
}
