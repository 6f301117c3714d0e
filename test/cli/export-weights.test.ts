import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import test from 'ava';
import {loadDataset, splitDataset} from '../../src/data/load.js';
import {loadBackend} from '../../src/train/backend.js';
import {readSweepFile} from '../../src/sweep/read.js';
import {fixture, query, runCli, tempDir} from './helpers.js';

test('sweeplab export --weights writes a model tf.loadLayersModel reads, with the recorded test accuracy', async t => {
	const dir = tempDir(t);
	const db = join(dir, 'weights.db');
	const run = await runCli(['run', fixture('e2e/weights.yaml'), '--db', db, '--workers', '1']);
	t.is(run.code, 0, run.stderr);
	const {definition} = await readSweepFile(fixture('e2e/weights.yaml'));
	const {test: testSet} = splitDataset(await loadDataset('fashion-mnist-mini'), definition.dataset!);
	const {tf} = await loadBackend('cpu');
	const trials = query<{ordinal: number; test_accuracy: number; final_metrics: string}>(db, 'SELECT ordinal, test_accuracy, final_metrics FROM trials ORDER BY ordinal');
	t.is(trials.length, 2);
	for (const {ordinal, test_accuracy: recorded, final_metrics: finalMetrics} of trials) {
		const out = join(dir, `model-${ordinal}`);
		const exported = await runCli(['export', 'weights', '--db', db, '--weights', String(ordinal), '--out', out]);
		t.is(exported.code, 0, exported.stderr);
		// The weights kept are those the test accuracy is of, and the trial says which epoch they are from.
		const testEpoch = (JSON.parse(finalMetrics) as {test_epoch: number}).test_epoch;
		t.regex(exported.stderr, new RegExp(`wrote .*model-${ordinal}/model\\.json and weights\\.bin: trial #${ordinal}'s weights after epoch ${testEpoch} `));
		// As tfjs' file and http loaders read it: model.json, then the weight files its manifest names.
		const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as TF.io.ModelJSON;
		const model = await tf.loadLayersModel({
			load: async () => tf.io.getModelArtifactsForJSON(json, async manifest => {
				const bytes = readFileSync(join(out, manifest[0].paths[0]));
				return [manifest[0].weights, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
			}),
		});
		const correct = tf.tidy(() => {
			const predicted = tf.argMax(model.predict(tf.tensor2d(testSet.x, [testSet.n, 784])) as TF.Tensor2D, 1);
			return tf.sum(tf.equal(predicted, tf.tensor1d(Int32Array.from(testSet.y), 'int32'))).dataSync()[0]!;
		});
		model.dispose();
		t.is(correct / testSet.n, recorded, `trial #${ordinal}`);
	}

	// A copy made with export --to keeps the weights: exported from it, the model files are the same bytes.
	const copy = join(dir, 'copy.db');
	const copied = await runCli(['export', 'weights', '--db', db, '--to', copy]);
	t.is(copied.code, 0, copied.stderr);
	t.regex(copied.stderr, /copied sweep 'weights' \(2 trials, \d+ epochs, 2 checkpoints and kept weights\) into /);
	for (const {ordinal} of trials) {
		const out = join(dir, `copy-model-${ordinal}`);
		const exported = await runCli(['export', 'weights', '--db', copy, '--weights', String(ordinal), '--out', out]);
		t.is(exported.code, 0, exported.stderr);
		for (const file of ['model.json', 'weights.bin']) {
			t.true(readFileSync(join(out, file)).equals(readFileSync(join(dir, `model-${ordinal}`, file))), `trial #${ordinal}'s ${file} from the copy`);
		}
	}

	const noWeights = await runCli(['export', 'weights', '--db', db, '--weights', '5', '--out', join(dir, 'none')]);
	t.is(noWeights.code, 2);
	t.regex(noWeights.stderr, /^sweeplab: sweep "weights" has no trial #5 \(it has #0 to #1\)/);
});
