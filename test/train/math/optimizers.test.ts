import test from 'ava';
import {loadBackend} from '../../../src/train/backend.js';
import {decodeCheckpoint, encodeCheckpoint, StateWriter} from '../../../src/train/checkpoint.js';
import {makeArrayOptimizer, makeOptimizer, setOptimizerLearningRate} from '../../../src/train/math/optimizers.js';
import {OPTIMIZERS, WEIGHT_DECAY_MODES} from '../../../src/types.js';
import {createRng} from '../../../src/util/random.js';

/** Gradients of mixed scale, with exact zeros, so epsilon placement and slot initialisation matter. */
function gradientSequence(seed: number, steps: number, length: number): Float32Array[] {
	const rng = createRng(seed);
	return Array.from({length: steps}, () => Float32Array.from({length}, (_, i) => (i % 7 === 0 ? 0 : (rng.next() - 0.5) * (10 ** rng.int(-4, 1)))));
}

const variants = OPTIMIZERS.flatMap(name => [{name, simd: true}, {name, simd: false}]);

for (const {name, simd} of variants) {
	test(`the Float32Array ${name} (${simd ? 'SIMD kernel' : 'plain loops'}) follows tfjs' update rule step by step`, async t => {
		const {tf} = await loadBackend('cpu');
		const learningRate = 0.01;
		const initial = [Float32Array.from({length: 12}, (_, i) => (i - 6) / 7), Float32Array.from({length: 5}, (_, i) => i / 3)];
		const grads = initial.map((values, k) => gradientSequence(k + 1, 6, values.length));
		const params = initial.map(values => values.slice());
		const ours = makeArrayOptimizer(name, learningRate, tf.backend().epsilon(), {simd});
		const theirs = makeOptimizer(tf, name, learningRate);
		const variables = initial.map(values => tf.variable(tf.tensor1d(values)));
		t.teardown(() => {
			theirs.dispose();
			for (const variable of variables) {
				variable.dispose();
			}
		});
		for (let step = 0; step < 6; step++) {
			ours.update(params, grads.map(sequence => sequence[step]));
			tf.tidy(() => {
				theirs.applyGradients(variables.map((variable, k) => ({name: variable.name, tensor: tf.tensor1d(grads[k][step])})));
			});
			for (const [k, variable] of variables.entries()) {
				const expected = variable.dataSync();
				for (let i = 0; i < expected.length; i++) {
					const tolerance = 1e-6 + (1e-5 * Math.abs(expected[i]));
					if (Math.abs(params[k][i] - expected[i]) > tolerance) {
						t.fail(`${name} step ${step + 1}, param ${k}[${i}]: ${params[k][i]} vs tfjs ${expected[i]}`);
						return;
					}
				}
			}
		}

		// Guards against a vacuous pass: the parameters did move.
		t.true(params[0].some((value, i) => Math.abs(value - initial[0][i]) > learningRate / 100));
	});
}

// Weight decay with a learning rate that changes (as a schedule changes it) after the third step. The reference is
// tfjs' own optimizer with the decay written out in tfjs ops: decoupled shrinks each weight by rate wd before the
// step, l2 adds wd w to the gradient.
for (const {name, simd, mode} of variants.flatMap(variant => WEIGHT_DECAY_MODES.map(mode => ({...variant, mode})))) {
	test(`${name} (${simd ? 'SIMD kernel' : 'plain loops'}) with ${mode} weight decay and a changed learning rate follows tfjs plus the decay rule`, async t => {
		const {tf} = await loadBackend('cpu');
		const weightDecay = 0.05;
		const rates = [0.01, 0.01, 0.01, 0.004, 0.004, 0.02];
		const initial = [Float32Array.from({length: 12}, (_, i) => (i - 6) / 7), Float32Array.from({length: 5}, (_, i) => 1 + (i / 3))];
		const grads = initial.map((values, k) => gradientSequence(k + 5, rates.length, values.length));
		const params = initial.map(values => values.slice());
		const undecayed = initial.map(values => values.slice());
		const ours = makeArrayOptimizer(name, rates[0], tf.backend().epsilon(), {simd, weightDecay: {rate: weightDecay, mode}});
		const plain = makeArrayOptimizer(name, rates[0], tf.backend().epsilon(), {simd});
		const theirs = makeOptimizer(tf, name, rates[0]);
		const variables = initial.map(values => tf.variable(tf.tensor1d(values)));
		t.teardown(() => {
			theirs.dispose();
			for (const variable of variables) {
				variable.dispose();
			}
		});
		for (const [step, rate] of rates.entries()) {
			ours.setLearningRate(rate);
			plain.setLearningRate(rate);
			setOptimizerLearningRate(theirs, rate);
			// Copies: l2 adds to the gradients it is given.
			ours.update(params, grads.map(sequence => sequence[step].slice()));
			plain.update(undecayed, grads.map(sequence => sequence[step].slice()));
			tf.tidy(() => {
				const gradients = variables.map((variable, k) => {
					const g = tf.tensor1d(grads[k][step]);
					if (mode === 'l2') {
						return tf.add(g, tf.mul(variable, weightDecay));
					}

					variable.assign(tf.mul(variable, 1 - (rate * weightDecay)));
					return g;
				});
				theirs.applyGradients(variables.map((variable, k) => ({name: variable.name, tensor: gradients[k]})));
			});
			for (const [k, variable] of variables.entries()) {
				const expected = variable.dataSync();
				for (let i = 0; i < expected.length; i++) {
					const tolerance = 1e-6 + (1e-5 * Math.abs(expected[i]));
					if (Math.abs(params[k][i] - expected[i]) > tolerance) {
						t.fail(`${name} ${mode} step ${step + 1}, param ${k}[${i}]: ${params[k][i]} vs reference ${expected[i]}`);
						return;
					}
				}
			}
		}

		// The decay made a difference: the weights are not where the same steps without it put them.
		t.true(params[1].some((value, i) => Math.abs(value - undecayed[1][i]) > 1e-4), 'weight decay changed the weights');
	});
}

test('every optimizer of the sweep format minimises a quadratic', async t => {
	const {tf} = await loadBackend('cpu');
	for (const name of OPTIMIZERS) {
		const optimizer = makeOptimizer(tf, name, 0.05);
		const x = tf.variable(tf.scalar(3));
		for (let i = 0; i < 50; i++) {
			optimizer.minimize(() => x.square());
		}

		t.true(Math.abs(x.dataSync()[0]) < 3, `${name} moved x from 3 to ${x.dataSync()[0]}`);
		x.dispose();
		optimizer.dispose();
	}
});

const decays = [undefined, ...WEIGHT_DECAY_MODES.map(mode => ({rate: 0.05, mode}))];
for (const {name, simd, weightDecay} of variants.flatMap(variant => decays.map(weightDecay => ({...variant, weightDecay})))) {
	for (const restoreBeforeFirstUpdate of [true, false]) {
		test(`the Float32Array ${name} (${simd ? 'SIMD kernel' : 'plain loops'}${weightDecay ? `, ${weightDecay.mode} weight decay` : ''}) saved after 3 steps and restored ${restoreBeforeFirstUpdate ? 'into a fresh optimizer' : 'over one that ran'} continues bit for bit`, t => {
			const initial = [Float32Array.from({length: 13}, (_, i) => (i - 6) / 7), Float32Array.from({length: 4}, (_, i) => i / 3)];
			const grads = initial.map((values, k) => gradientSequence(k + 10, 6, values.length));
			// Copies: l2 weight decay adds to the gradients it is given.
			const stepAt = (step: number) => grads.map(sequence => sequence[step].slice());
			const through = initial.map(values => values.slice());
			const uninterrupted = makeArrayOptimizer(name, 0.01, 1e-7, {simd, weightDecay});
			const identity = new Uint8Array(16);
			let saved: Uint8Array | undefined;
			for (let step = 0; step < 6; step++) {
				uninterrupted.update(through, stepAt(step));
				if (step === 2) {
					const state = new StateWriter();
					uninterrupted.saveState(state, through);
					state.put('weights', Float32Array.from(through.flatMap(values => [...values])));
					saved = encodeCheckpoint({trainingPath: 'lean', epoch: 3, identity}, state);
				}
			}

			const resumed = makeArrayOptimizer(name, 0.01, 1e-7, {simd, weightDecay});
			const params = initial.map(values => values.slice());
			if (!restoreBeforeFirstUpdate) {
				resumed.update(params, stepAt(5));
			}

			const {state} = decodeCheckpoint(saved!, {trainingPath: 'lean', identity});
			const flat = state.take('weights', Float32Array);
			params[0].set(flat.subarray(0, 13));
			params[1].set(flat.subarray(13));
			resumed.loadState(state, params);
			state.assertAllTaken();
			for (let step = 3; step < 6; step++) {
				resumed.update(params, stepAt(step));
			}

			t.deepEqual(params.map(values => Buffer.from(values.buffer).toString('hex')), through.map(values => Buffer.from(values.buffer).toString('hex')));
		});
	}
}
