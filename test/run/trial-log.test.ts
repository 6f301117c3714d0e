import {readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import test from 'ava';
import {LineSplitter, TrialLog} from '../../src/run/trial-log.js';
import {tempDir} from './helpers.js';

function split(chunks: string[], maxLine?: number): Array<[string, boolean]> {
	const lines: Array<[string, boolean]> = [];
	const splitter = new LineSplitter((line, whole) => lines.push([line.toString(), whole]), maxLine);
	for (const chunk of chunks) {
		splitter.push(Buffer.from(chunk));
	}

	splitter.end();
	return lines;
}

test('lines are cut across chunks, \\r\\n too, and an unterminated last line is kept', t => {
	t.deepEqual(split(['a\nb', 'c\r\n', '\nlast']), [['a', true], ['bc', true], ['', true], ['last', true]]);
	t.deepEqual(split(['x\n']), [['x', true]]);
});

test('an over-long line comes in pieces that are not whole, and the next line is whole again', t => {
	t.deepEqual(split(['0123456789', 'abc\nok\n'], 8), [['0123456789', false], ['abc', false], ['ok', true]]);
});

test('the log rotates at half its limit and never holds more than the limit over both files', t => {
	const path = join(tempDir(t), 'trial.log');
	const log = new TrialLog(path, 4096);
	for (let i = 0; i < 1000; i++) {
		log.line(`line ${i}`);
	}

	log.note('done');
	log.close();
	t.true(statSync(path).size + statSync(`${path}.1`).size <= 4096);
	const text = readFileSync(path, 'utf8');
	t.regex(text, /^\[sweeplab\] log rotated/);
	t.regex(text, /^line 999\n\[sweeplab\] done\n$/m);
	t.true(log.dropped > 0);
	// A line longer than a file's share is cut, not allowed to break the cap.
	const long = new TrialLog(path, 4096);
	long.line('x'.repeat(10_000));
	long.close();
	t.true(statSync(path).size <= 2048);
	t.regex(readFileSync(path, 'utf8'), /x \[\.\.\. line cut by sweeplab\]\n$/);
});
