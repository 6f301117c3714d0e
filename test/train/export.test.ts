import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import test from 'ava';
import {loadDataset, splitDataset} from '../../src/data/load.js';
import {loadBackend} from '../../src/train/backend.js';
import {layersModelFiles, WEIGHTS_FILE} from '../../src/train/export.js';
import {trainTrial} from '../../src/train/loop.js';
import {DEFAULT_TRIAL_CONFIG, type TrialConfig} from '../../src/types.js';
import {shape} from './helpers.js';

const cases: Array<[string, TrialConfig]> = [
	['an MLP with batch norm and dropout, best weights restored', {...DEFAULT_TRIAL_CONFIG, hidden: [32, 16], batchNorm: true, dropout: 0.2, epochs: 3, earlyStopping: {monitor: 'val_loss', patience: 1, minDelta: 0, restoreBest: true}}],
	['a CNN with batch norm', {...DEFAULT_TRIAL_CONFIG, model: 'cnn', conv: [4, 8], hidden: [16], batchNorm: true, epochs: 2}],
];

for (const [title, config] of cases) {
	test.serial(`kept weights written as model.json + weights.bin load with tf.loadLayersModel to the recorded test accuracy: ${title}`, async t => {
		const {tf} = await loadBackend('wasm');
		const dataset = await loadDataset('fashion-mnist-mini');
		const data = splitDataset(dataset, {name: 'fashion-mnist-mini', trainLimit: 600, testLimit: 500, validation: 0.2});
		const result = await trainTrial(tf, {config, seed: 8, data, shape, keepWeights: true}, {onEpoch() {}});
		t.is(result.state, 'completed');
		const files = await layersModelFiles(tf, config, shape, result.weights!);
		const directory = mkdtempSync(join(tmpdir(), 'sweeplab-export-'));
		t.teardown(() => {
			rmSync(directory, {recursive: true, force: true});
		});
		writeFileSync(join(directory, 'model.json'), files.modelJson);
		writeFileSync(join(directory, WEIGHTS_FILE), files.weightsBin);

		// Read back the way tfjs' file and http loaders do: model.json, then the files its manifest names.
		const json = JSON.parse(readFileSync(join(directory, 'model.json'), 'utf8')) as TF.io.ModelJSON;
		const model = await tf.loadLayersModel({
			load: async () => tf.io.getModelArtifactsForJSON(json, async manifest => {
				const [group] = manifest;
				const bytes = readFileSync(join(directory, group.paths[0]));
				return [group.weights, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
			}),
		});
		t.teardown(() => {
			model.dispose();
		});
		const correct = tf.tidy(() => {
			const probabilities = model.predict(tf.tensor2d(data.test.x, [data.test.n, 784])) as TF.Tensor2D;
			const sums = probabilities.sum(1).dataSync();
			t.true(sums.every(sum => Math.abs(sum - 1) < 1e-4), 'the exported model outputs probabilities');
			return tf.sum(tf.equal(tf.argMax(probabilities, 1), tf.tensor1d(Int32Array.from(data.test.y), 'int32'))).dataSync()[0]!;
		});
		t.is(correct / data.test.n, result.testAccuracy!);
		t.true(result.testAccuracy! > 0.2, `test accuracy ${result.testAccuracy}: trained, not initial weights`);
	});
}

test.serial('weights that do not fit the config are refused', async t => {
	const {tf} = await loadBackend('wasm');
	await t.throwsAsync(layersModelFiles(tf, {...DEFAULT_TRIAL_CONFIG, hidden: [8]}, shape, [new Float32Array(3)]), {message: /do not fit the network of this config/});
});
