import {createHash} from 'node:crypto';
import {builtinConfig, DEFAULT_TRIAL_CONFIG, type SweepDefinition, type TrialConfig, type TrialParams} from '../types.js';

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

/**
 * Config keys added after configs were first stored (the training features of issue 16). A key at its default
 * is left out of the hash, as a null member is, so a config hashed before the key existed keeps its hash.
 */
export const HASH_NEUTRAL_KEYS = ['standardize', 'lrSchedule', 'weightDecay', 'weightDecayMode', 'labelSmoothing', 'augment', 'globalPool'] as const satisfies ReadonlyArray<keyof TrialConfig>;

/** The config as it is hashed: the HASH_NEUTRAL_KEYS at their defaults dropped. */
function hashedConfig(config: TrialConfig): Partial<TrialConfig> {
	const hashed: Partial<TrialConfig> = {...config};
	for (const key of HASH_NEUTRAL_KEYS) {
		if (canonicalJson(config[key]) === canonicalJson(DEFAULT_TRIAL_CONFIG[key])) {
			delete hashed[key];
		}
	}

	return hashed;
}

/**
 * sha256 (hex, first 16 chars) of the canonical config: the identity of a config across runs and resumes. A built-in
 * sweep's config is a TrialConfig and hashes without its HASH_NEUTRAL_KEYS at their defaults; a program sweep's
 * params are free-form (a `weightDecay: 0` there is the user's, not ours) and hash as they are.
 */
export function configHash(config: TrialParams, sweep: Pick<SweepDefinition, 'program'>): string {
	return sha256Prefix(canonicalJson(sweep.program ? config : hashedConfig(builtinConfig(config))));
}

/**
 * Same as configHash over the whole definition minus `question`, `timeoutMinutes`, `checkpoint` and
 * `keepBestWeights`, which users may edit without changing what the sweep trains.
 */
export function definitionHash(definition: SweepDefinition): string {
	const {question: _question, timeoutMinutes: _timeout, checkpoint: _checkpoint, keepBestWeights: _keep, ...rest} = definition;
	return sha256Prefix(canonicalJson(rest.program ? rest : {...rest, base: hashedConfig(builtinConfig(rest.base))}));
}
