/**
 * A trial's kept weights as a model tfjs loads with `tf.loadLayersModel`: the Keras-style network of its config
 * (paths/layers.ts' buildModel, which every training path's weight layout follows) with those weights, and a
 * softmax at the end so predict() gives class probabilities (the trained network outputs logits; argmax, and so
 * accuracy, is the same). Input: images flattened to height * width * channels floats in [0, 1].
 */
import type * as TF from '@tensorflow/tfjs';
import {TrainingError} from '../errors.js';
import type {TrialConfig} from '../types.js';
import type {Tf} from './backend.js';
import type {ModelShape} from './model.js';
import {buildModel} from './paths/layers.js';

/** model.json's text and weights.bin's bytes, the file layout of tfjs' `file://` and `http://` handlers. */
export interface LayersModelFiles {
	modelJson: string;
	weightsBin: Uint8Array;
}

export const WEIGHTS_FILE = 'weights.bin';

/**
 * @param weights in the order of the model's getWeights() (TrainResult.weights). Throws TrainingError when they do
 * not fit the network of `config`.
 */
export async function layersModelFiles(tf: Tf, config: TrialConfig, shape: ModelShape, weights: Float32Array[]): Promise<LayersModelFiles> {
	// The seed only initialises weights that setWeights replaces at once.
	const model = buildModel(tf, config, shape, 0);
	try {
		const expected = model.getWeights();
		if (expected.length !== weights.length || expected.some((weight, k) => weight.size !== weights[k].length)) {
			throw new TrainingError(`the kept weights (${weights.length} arrays) do not fit the network of this config (${expected.length} arrays of ${expected.map(weight => weight.size).join(', ')} values)`);
		}

		const tensors = expected.map((weight, k) => tf.tensor(weights[k], weight.shape));
		model.setWeights(tensors);
		tf.dispose(tensors);
		model.add(tf.layers.activation({activation: 'softmax'}));
		let files: LayersModelFiles | undefined;
		await model.save(tf.io.withSaveHandler(async (artifacts: TF.io.ModelArtifacts) => {
			const data = artifacts.weightData!;
			const weightsBin = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
			const json: TF.io.ModelJSON = {
				modelTopology: artifacts.modelTopology!,
				format: artifacts.format,
				generatedBy: artifacts.generatedBy,
				convertedBy: 'sweeplab',
				weightsManifest: [{paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs!}],
			};
			files = {modelJson: JSON.stringify(json), weightsBin};
			return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
		}));
		return files!;
	} finally {
		model.dispose();
	}
}
