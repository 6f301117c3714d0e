// A module objective: the user's own tfjs Keras-style model (not sweeplab's builder), trained on the Fashion-MNIST
// images sweeplab decoded once and shares between its worker threads (trial.data), one step per epoch.
// Run it with: npx sweeplab run examples/tfjs-model/sweep.yaml
import * as tf from '@tensorflow/tfjs';

/** @param {import('sweeplab').Trial<{units: number, dropout: number, learningRate: number, epochs: number, batchSize: number}>} trial */
export default async function objective(trial) {
	const {units, dropout, learningRate, epochs, batchSize} = trial.params;
	const {train, validation} = trial.data;
	const pixels = train.x.length / train.n;
	const seed = trial.seed % 2_147_483_647;

	const model = tf.sequential();
	model.add(tf.layers.dense({inputShape: [pixels], units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({seed})}));
	model.add(tf.layers.dropout({rate: dropout, seed}));
	model.add(tf.layers.dense({units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({seed: seed + 1})}));
	model.compile({optimizer: tf.train.adam(learningRate), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy']});

	const tensors = set => [tf.tensor2d(set.x, [set.n, pixels]), tf.tensor1d(Float32Array.from(set.y))];
	const [xs, ys] = tensors(train);
	const [valXs, valYs] = tensors(validation);
	try {
		for (let epoch = 1; epoch <= epochs; epoch++) {
			const {history} = await model.fit(xs, ys, {epochs: 1, batchSize, shuffle: true, validationData: [valXs, valYs], verbose: 0});
			// Throws TrialPruned when a pruner stops the trial: let it propagate.
			await trial.report(epoch, {loss: history.loss[0], accuracy: history.acc[0], val_loss: history.val_loss[0], val_accuracy: history.val_acc[0]});
		}
	} finally {
		tf.dispose([xs, ys, valXs, valYs]);
		model.dispose();
	}
}
