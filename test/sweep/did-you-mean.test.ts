import test from 'ava';
import {closestMatch, editDistance, suggestionHint} from '../../src/sweep/did-you-mean.js';

test('editDistance counts an adjacent transposition as one edit', (t) => {
	t.is(editDistance('rleu', 'relu'), 1);
	t.is(editDistance('learnignRate', 'learningRate'), 1);
	t.is(editDistance('abc', 'abc'), 0);
	t.is(editDistance('', 'abc'), 3);
	t.is(editDistance('kitten', 'sitting'), 3);
});

test('closestMatch forgives case, underscores and dashes, and knows a few aliases', (t) => {
	const keys = ['learningRate', 'batchSize', 'hidden', 'epochs'];
	t.is(closestMatch('LearningRate', keys), 'learningRate');
	t.is(closestMatch('batch_size', keys), 'batchSize');
	t.is(closestMatch('lr', keys), 'learningRate');
	t.is(closestMatch('layers', keys), 'hidden');
	t.is(closestMatch('epoch', keys), 'epochs');
});

test('closestMatch suggests nothing for an unrelated word', (t) => {
	t.is(closestMatch('momentum', ['learningRate', 'batchSize']), undefined);
	t.is(closestMatch('x', ['relu', 'tanh']), undefined);
});

test('suggestionHint falls back to the list of allowed values', (t) => {
	t.is(suggestionHint('rleu', ['relu', 'tanh']), ' (did you mean "relu"?)');
	t.is(suggestionHint('zzzz', ['relu', 'tanh']), ' (expected one of relu, tanh)');
});
