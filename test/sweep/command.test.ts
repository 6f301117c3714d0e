import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {checkProgram} from '../../src/sweep/command.js';

test('checkProgram: the command is found on PATH or relative to cwd, and executable; cwd exists', t => {
	const dir = mkdtempSync(join(tmpdir(), 'sweeplab-command-'));
	t.teardown(() => {
		rmSync(dir, {recursive: true, force: true});
	});
	writeFileSync(join(dir, 'plain.sh'), '#!/bin/sh\necho hi\n');
	writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n');
	chmodSync(join(dir, 'run.sh'), 0o755);
	t.is(checkProgram({command: ['node', '-e', '1'], cwd: dir}), undefined);
	t.is(checkProgram({command: ['./run.sh', '${args}'], cwd: dir}), undefined);
	t.like(checkProgram({command: ['./plain.sh'], cwd: dir}), {key: 'command', message: './plain.sh is not an executable file (chmod +x it, or run it through its interpreter, e.g. [python3, ./plain.sh])'});
	t.regex(checkProgram({command: ['./missing.sh'], cwd: dir})!.message, /^\.\/missing\.sh is not found \(looked for .*missing\.sh; a relative path is relative to cwd\)$/);
	t.like(checkProgram({command: ['no-such-program-4711'], cwd: dir}), {key: 'command', message: 'command no-such-program-4711 is not found on PATH (for a file in cwd write ./no-such-program-4711)'});
	t.like(checkProgram({command: ['plain.sh'], cwd: '/', env: {PATH: dir}}), {key: 'command', message: 'plain.sh is found on PATH but is not an executable file'});
	// The program's own PATH is the one searched, as execvp does.
	t.is(checkProgram({command: ['run.sh'], cwd: '/', env: {PATH: dir}}), undefined);
	t.like(checkProgram({command: ['node'], cwd: join(dir, 'nope')}), {key: 'cwd'});
	t.like(checkProgram({command: ['${args}', 'x'], cwd: dir}), {key: 'command', message: '"${args}" cannot be the program itself; put it after the program, e.g. [python3, train.py, "${args}"]'});
});
