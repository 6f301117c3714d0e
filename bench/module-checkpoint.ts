/**
 * What trial.checkpoint(state) and trial.restore() cost a module objective: encoding a typical state (Float32
 * weights, Float64 momentum of the same size, a generator's Uint32 state, a few numbers) into the checkpoint
 * format, checksum included, and decoding it back, for states of 0.1, 1 and 10 million parameters. Medians of
 * `--rounds` runs each, in this process (the thread does the same work).
 *
 *   npm run bench:module-checkpoint -- [--rounds 7] [--params 100000,1000000,10000000]
 */
import {parseArgs} from 'node:util';
import {decodeModuleState, encodeModuleState, moduleIdentity} from '../src/train/module-state.js';
import {machineLine, median} from './common.js';

const {values} = parseArgs({options: {rounds: {type: 'string', default: '7'}, params: {type: 'string', default: '100000,1000000,10000000'}}});
const rounds = Number(values.rounds);
const identity = moduleIdentity({lr: 0.01}, 1);
console.log(machineLine());
for (const params of values.params.split(',').map(Number)) {
	const weights = Float32Array.from({length: params}, (_, i) => Math.sin(i));
	const state = {weights: [weights], velocity: [new Float64Array(params).fill(0.25)], rng: Uint32Array.of(1, 2, 3, 4), step: 3, bestLoss: Number.POSITIVE_INFINITY};
	const encode: number[] = [];
	const decode: number[] = [];
	let bytes: Uint8Array = new Uint8Array(0);
	for (let round = 0; round < rounds; round++) {
		let started = performance.now();
		bytes = encodeModuleState(state, {epoch: 3, identity, trainSeconds: 1});
		encode.push(performance.now() - started);
		started = performance.now();
		decodeModuleState(bytes, identity);
		decode.push(performance.now() - started);
	}

	console.log(`params=${params} checkpoint_bytes=${bytes.length} encode_ms=${median(encode).toFixed(2)} decode_ms=${median(decode).toFixed(2)} rounds=${rounds}`);
}
