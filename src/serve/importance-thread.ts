/**
 * The parameter importance of a sweep, in a thread of its own: a forest of 64 trees takes a second or more of CPU
 * on a large sweep, and on the server's thread that second would hold up every other request and the live events.
 * Gets the swept parameters and the observations (each config's swept values and its mean best value), posts back
 * the ImportanceResult or {error} with the one-line reason the sweep has none.
 */
import {parentPort, workerData} from 'node:worker_threads';
import {UsageError} from '../errors.js';
import {type ImportanceObservation, parameterImportance} from '../report/importance.js';
import type {ParameterSpec} from '../types.js';

const {parameters, observations} = workerData as {parameters: Record<string, ParameterSpec>; observations: ImportanceObservation[]};
try {
	parentPort!.postMessage({result: parameterImportance(parameters, observations)});
} catch (error) {
	if (!(error instanceof UsageError)) {
		throw error;
	}

	parentPort!.postMessage({error: error.message});
}
