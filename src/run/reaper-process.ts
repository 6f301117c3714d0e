/**
 * The reaper process (see reaper.ts): reads `+<pgid> <graceMs>` and `-<pgid>` lines on stdin, a pipe whose other
 * end only sweeplab holds. End of file means sweeplab has ended, however it ended: every group still registered
 * gets SIGTERM, then SIGKILL after the longest grace period among them if any of it still runs, and the reaper
 * exits. SIGTERM sent to the reaper itself does the same; SIGINT and SIGHUP are ignored (it runs in a session of
 * its own, so they could only come from someone signalling it on purpose by pid, and only EOF means sweeplab is gone).
 */
import {liveMembers, signalGroup} from './reaper.js';

const groups = new Map<number, number>();
let buffered = '';
let reaping = false;

function apply(line: string): void {
	const match = /^([+-])(\d+)(?: (\d+))?$/.exec(line);
	if (!match) {
		return;
	}

	const pgid = Number(match[2]);
	if (match[1] === '+') {
		groups.set(pgid, Number(match[3] ?? 0));
	} else {
		groups.delete(pgid);
	}
}

function signalAll(signal: NodeJS.Signals): void {
	for (const pgid of groups.keys()) {
		try {
			signalGroup(pgid, signal);
		} catch {
			// EPERM: not ours to end (cannot happen for groups sweeplab started); the others still must go.
		}
	}
}

async function reap(): Promise<void> {
	if (reaping) {
		return;
	}

	reaping = true;
	signalAll('SIGTERM');
	const deadline = Date.now() + Math.max(0, ...groups.values());
	while (Date.now() < deadline && [...groups.keys()].some(pgid => liveMembers(pgid).length > 0)) {
		await new Promise(resolve => {
			setTimeout(resolve, 25);
		});
	}

	signalAll('SIGKILL');
	process.exit(0);
}

process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.on('SIGTERM', () => {
	void reap();
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
	buffered += chunk;
	for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
		apply(buffered.slice(0, newline));
		buffered = buffered.slice(newline + 1);
	}
});
process.stdin.on('end', () => {
	void reap();
});
process.stdin.on('error', () => {
	void reap();
});
