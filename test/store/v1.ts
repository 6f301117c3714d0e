/**
 * A database as sweeplab's first schema (v1) left it, for the tests that upgrade one: the first migration's tables
 * and triggers with the first trial_summary view, which v2 replaced and new databases never create
 * (test/fixtures/store/<dialect>-v1-trial-summary.sql keeps it as released), and a few rows that read the same in
 * both dialects.
 */
import {readFileSync} from 'node:fs';
import type {ExecutionContext} from 'ava';
import {type Dialect, loadMigrations} from '../../src/store/migrations.js';
import type {Store} from '../../src/store/store.js';

export const v1Schema = (dialect: Dialect): string =>
	loadMigrations(dialect)[0] + readFileSync(new URL(`../../../test/fixtures/store/${dialect}-v1-trial-summary.sql`, import.meta.url), 'utf8');

/** One sweep with one completed trial of two epochs; epochs go in while it runs (a finished trial is immutable). */
export const V1_ROWS = `
	INSERT INTO sweeps (id, name, definition, definition_hash, source, file, created_at)
	VALUES (1, 'widths', '{"name":"widths"}', 'hash-widths', 'name: widths', 'sweeps/widths.yaml', '2026-01-01T00:00:00.000Z');
	INSERT INTO trials (id, sweep_id, ordinal, config, config_hash, repeat, seed, state, epochs_run, test_accuracy, train_seconds)
	VALUES (1, 1, 0, '{"hidden":[32]}', 'c0', 0, 7, 'running', 2, 0.8, 3.5);
	INSERT INTO epochs (trial_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds)
	VALUES (1, 1, 0.9, 0.6, 0.8, 0.7, 1.5), (1, 2, 0.5, 0.8, 0.6, 0.75, 2);
	UPDATE trials SET state = 'completed' WHERE id = 1;
`;

/** The store, opened on the upgraded database, reads V1_ROWS back whole. */
export async function assertV1Rows(t: ExecutionContext, store: Store): Promise<void> {
	const sweep = await store.getSweep('widths');
	t.like(sweep, {id: 1, definitionHash: 'hash-widths', file: 'sweeps/widths.yaml'});
	const trials = await store.trials(1);
	t.is(trials.length, 1);
	t.like(trials[0], {state: 'completed', config: {hidden: [32]}, seed: 7, testAccuracy: 0.8, trainSeconds: 3.5, cores: null, stopReason: null});
	t.deepEqual(
		(await store.steps(1)).map(({step, metrics, seconds}) => [step, metrics, seconds]),
		[[1, {loss: 0.9, accuracy: 0.6, val_loss: 0.8, val_accuracy: 0.7}, 1.5], [2, {loss: 0.5, accuracy: 0.8, val_loss: 0.6, val_accuracy: 0.75}, 2]],
	);
}
