import test from 'ava';
import {defaultWorkers} from '../../src/train/backend.js';
import {kernelsAvailable} from '../../src/train/kernels/load.js';

test('trials on the SIMD kernels train one thread each: one worker per core on every backend, node included', t => {
	for (const backend of ['node', 'wasm', 'cpu'] as const) {
		t.is(defaultWorkers(backend, 8, true), 8, backend);
	}
});

test('without WebAssembly SIMD, tfjs-node threads each trial itself: one worker; the other backends one per core', t => {
	t.is(defaultWorkers('node', 8, false), 1);
	t.is(defaultWorkers('wasm', 8, false), 8);
	t.is(defaultWorkers('cpu', 8, false), 8);
	t.is(defaultWorkers('wasm', 0, false), 1, 'at least one');
});

test('the default asks this runtime whether the SIMD kernels run', t => {
	t.true(kernelsAvailable(), 'Node 20+ runs WebAssembly SIMD');
	t.is(defaultWorkers('node', 4), 4);
});
