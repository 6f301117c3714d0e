import {createHash} from 'node:crypto';
import type {SweepDefinition, TrialParams} from '../types.js';

/**
 * JSON with object keys sorted at every level, so equal data always serialises to equal text whatever
 * order the sweep file (or the code building an object) used. Undefined object members are dropped and
 * undefined array items become null, as JSON.stringify does. Null object members are dropped too: a config
 * key added later with a null default (earlyStopping) leaves the hashes of earlier configs and sweeps as they were.
 */
export function canonicalJson(value: unknown): string {
	if (value === null || typeof value !== 'object') {
		if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
			return 'null';
		}
		if (typeof value === 'bigint') {
			throw new TypeError(`canonicalJson: cannot serialise bigint ${value}`);
		}
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) {
		return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
	}
	if (ArrayBuffer.isView(value)) {
		return canonicalJson(Array.from(value as unknown as ArrayLike<number>));
	}
	const record = value as Record<string, unknown>;
	const members: string[] = [];
	for (const key of Object.keys(record).sort()) {
		const member = record[key];
		if (member === undefined || member === null || typeof member === 'function' || typeof member === 'symbol') {
			continue;
		}
		members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
	}
	return `{${members.join(',')}}`;
}

function sha256Prefix(text: string): string {
	return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** sha256 (hex, first 16 chars) of the canonical config: the identity of a config across runs and resumes. */
export function configHash(config: TrialParams): string {
	return sha256Prefix(canonicalJson(config));
}

/**
 * Same as configHash over the whole definition minus `question`, `timeoutMinutes`, `checkpoint` and
 * `keepBestWeights`, which users may edit without changing what the sweep trains.
 */
export function definitionHash(definition: SweepDefinition): string {
	const {question: _question, timeoutMinutes: _timeout, checkpoint: _checkpoint, keepBestWeights: _keep, ...rest} = definition;
	return sha256Prefix(canonicalJson(rest));
}
