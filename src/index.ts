/**
 * The package's entry point (`import type {Trial} from 'sweeplab'`): what a module objective and a program that
 * embeds sweeplab use. The command line is the `sweeplab` bin (src/cli/main.ts).
 */
export {type CheckpointState, type Objective, type Trial, TrialPruned} from './train/objective.js';
export {type Dataset, type ImageSet, loadDataset, type SplitData, splitDataset} from './data/load.js';
export type {DatasetSpec, Goal, MetricSpec, StepRecord, SweepDefinition, TrialParams} from './types.js';
