/**
 * Debian's Chromium driven by playwright-core (a browser download at install time cannot work on these machines).
 * Without it a developer's run skips the browser tests and says why; with CI=true they fail instead.
 */
import {existsSync} from 'node:fs';
import type {TestFn} from 'ava';
import {type Browser, chromium} from 'playwright-core';
import type {ChildProcess} from 'node:child_process';
import {startCli} from '../cli/helpers.js';

export const CHROMIUM = process.env.SWEEPLAB_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
	return chromium.launch({
		executablePath: CHROMIUM,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
}

/** True when Chromium is there. Otherwise registers one failing (CI) or skipped test naming the reason. */
export function requireChromium(test: TestFn<any>, what: string): boolean {
	if (existsSync(CHROMIUM)) {
		return true;
	}

	const reason = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set SWEEPLAB_CHROMIUM)`;
	if (process.env.CI === 'true') {
		test(`${what}: Chromium is installed (CI never skips these tests)`, t => {
			t.fail(reason);
		});
	} else {
		process.stderr.write(`\nSkipping ${what}: ${reason}\n`);
		test.skip(`${what} (skipped: ${reason})`, t => {
			t.pass();
		});
	}

	return false;
}

export interface ServeChild {
	child: ChildProcess;
	/** The URL it printed. */
	url: string;
	stdout: () => string;
	stop: () => Promise<{code: number | null; stderr: string}>;
}

/** `sweeplab serve` as a user starts it, on a free port; resolves once it prints its URL. `cli`: another build's main.js. */
export async function startServe(args: string[], cli?: string): Promise<ServeChild> {
	const {child, done} = startCli(['serve', '--port', '0', ...args], {}, cli);
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const url = await new Promise<string>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`sweeplab serve printed no URL in 20 s: ${stdout} ${stderr}`)), 20_000);
		child.stdout!.on('data', () => {
			const match = /(http:\/\/\S+)/.exec(stdout);
			if (match) {
				clearTimeout(timer);
				resolve(match[1]);
			}
		});
		void done.then(result => {
			clearTimeout(timer);
			reject(new Error(`sweeplab serve exited (${result.code}): ${result.stderr}`));
		});
	});
	return {
		child,
		url,
		stdout: () => stdout,
		async stop() {
			child.kill('SIGTERM');
			const result = await done;
			return {code: result.code, stderr: result.stderr};
		},
	};
}
