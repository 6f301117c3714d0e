import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {eventually, pidsOf, running, tempDir} from './helpers.js';

const HOST = fileURLToPath(new URL('program-host.js', import.meta.url));

for (const action of ['', 'kill-reaper']) {
	const title = action ? 'after its reaper was killed and replaced, ' : '';
	test(`${title}kill -9 of the process running a program trial: the reaper ends the program and its grandchild, then itself`, async t => {
		const dir = join(tempDir(t), 'trial-1');
		const host = spawn(process.execPath, [HOST, dir, action], {stdio: ['ignore', 'pipe', 'inherit']});
		t.teardown(() => host.kill('SIGKILL'));
		let output = '';
		host.stdout.setEncoding('utf8');
		host.stdout.on('data', (chunk: string) => {
			output += chunk;
		});
		t.true(await eventually(() => output.includes('\n')), 'the host reported its program ready');
		const reaper = Number(/^ready (\d+)$/m.exec(output)![1]);
		const [program, grandchild] = pidsOf(dir);
		t.true([reaper, program, grandchild].every(pid => running(pid)), 'all running before the kill');

		host.kill('SIGKILL');
		await once(host, 'exit');
		// The grandchild ignores SIGTERM: it takes the SIGKILL after the grace period.
		t.true(await eventually(() => ![program, grandchild, reaper].some(pid => running(pid))), 'nothing left running');
	});
}
