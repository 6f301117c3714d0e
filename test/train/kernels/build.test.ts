import {spawnSync} from 'node:child_process';
import test from 'ava';

test('the committed kernel module is the build of kernels/simd.c', t => {
	const clang = spawnSync('sh', ['-c', 'command -v clang-14 || command -v clang'], {encoding: 'utf8'}).stdout.trim();
	if (!clang && process.env.CI !== 'true') {
		t.log('no clang here: the check runs in CI (.ci/run installs clang-14 and lld-14)');
		t.pass();
		return;
	}

	const check = spawnSync('bash', ['scripts/build-kernels.sh', '--check'], {encoding: 'utf8'});
	t.is(check.status, 0, check.stderr);
});
