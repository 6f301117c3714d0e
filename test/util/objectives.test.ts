import test from 'ava';
import type {MetricSpec, StepRecord} from '../../src/types.js';
import {lossVector, objectiveValue, objectiveValueBy, orientedValue} from '../../src/util/objectives.js';

const accuracy: MetricSpec = {name: 'val_accuracy', goal: 'maximize'};
const loss: MetricSpec = {name: 'val_loss', goal: 'minimize'};
const seconds: MetricSpec = {name: 'train_seconds', goal: 'minimize'};
const perEpoch: MetricSpec = {name: 'seconds_per_epoch', goal: 'minimize'};
const params: MetricSpec = {name: 'params', goal: 'minimize'};

const steps: StepRecord[] = [
	{step: 1, metrics: {val_accuracy: 0.6, val_loss: 0.9}, seconds: 2},
	{step: 2, metrics: {val_accuracy: 0.8, val_loss: Number.NaN}, seconds: 3},
	{step: 3, metrics: {val_accuracy: 0.7, val_loss: 0.5}, seconds: 4},
];

test('a finished trial: a metric\'s best finite value by its goal; train_seconds as stored, else the steps\' sum; their mean per step; params', t => {
	const facts = {steps, trainSeconds: 9.5, paramCount: 1234};
	t.is(objectiveValue(accuracy, facts), 0.8);
	t.is(objectiveValue(loss, facts), 0.5);
	t.is(objectiveValue(seconds, facts), 9.5);
	t.is(objectiveValue(perEpoch, facts), 9.5 / 3);
	t.is(objectiveValue(params, facts), 1234);
	t.is(objectiveValue(seconds, {steps}), 9);
	t.true(Number.isNaN(objectiveValue(params, {steps})));
	t.true(Number.isNaN(objectiveValue({name: 'f1', goal: 'maximize'}, facts)));
});

test('by a step: a metric\'s best so far, the seconds so far (unknown when a step has none), the parameter count', t => {
	const facts = {steps, trainSeconds: 100, paramCount: 7};
	t.is(objectiveValueBy(accuracy, facts, 1), 0.6);
	t.is(objectiveValueBy(accuracy, facts, 3), 0.8);
	t.is(objectiveValueBy(loss, facts, 2), 0.9);
	t.is(objectiveValueBy(seconds, facts, 2), 5);
	t.is(objectiveValueBy(perEpoch, facts, 2), 2.5);
	t.is(objectiveValueBy(params, facts, 1), 7);
	t.true(Number.isNaN(objectiveValueBy(seconds, {steps: [{step: 1, metrics: {}}]}, 1)));
	t.true(Number.isNaN(objectiveValueBy(accuracy, facts, 0)));
});

test('oriented values put higher first whatever the goal, non-finite lowest; loss vectors negate what is maximised', t => {
	t.is(orientedValue(accuracy, 0.8), 0.8);
	t.is(orientedValue(seconds, 3), -3);
	t.is(orientedValue(seconds, Number.NaN), Number.NEGATIVE_INFINITY);
	t.deepEqual(lossVector([accuracy, seconds], [0.8, 3]), [-0.8, 3]);
});
