import test from 'ava';
import {FINISHED_STATES, TRIAL_STATES} from '../../src/types.js';
import {type Dialect, loadMigrations} from '../../src/store/migrations.js';

// The schema spells the states out; TRIAL_STATES gaining one without a migration would leave the CHECK refusing it.
for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
	test(`${dialect}: the first migration's state lists are TRIAL_STATES (the CHECK) and FINISHED_STATES (the triggers)`, t => {
		const [schema] = loadMigrations(dialect);
		const lists = [...schema.matchAll(/IN \(('[^)]*')\)/g)].map(match => match[1].split(', ').map(quoted => quoted.slice(1, -1)));
		t.deepEqual(lists, [[...TRIAL_STATES], [...FINISHED_STATES], [...FINISHED_STATES]]);
	});
}

test('both dialects have the same number of migrations', t => {
	t.is(loadMigrations('sqlite').length, loadMigrations('postgres').length);
});
