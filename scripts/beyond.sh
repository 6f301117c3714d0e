#!/usr/bin/env bash
# Question 7 of the study, "Beyond the assignment": TPE searches with ASHA pruning for the most accurate MLP and the
# most accurate CNN under 100K parameters (sweeps/beyond-mlp.yaml, sweeps/beyond-cnn.yaml), each winner (by validation accuracy only)
# then retrained with 3 seeds for 30 epochs (and the CNN also for its search's 12, below), all into the study's database (reports/study.db) beside the six
# questions, then the reports again. Running it again continues where it stopped (finished trials are kept; the
# retrain files come out the same once a search has finished). Like scripts/study.sh it trains on the SIMD path only
# and stops when the database holds a trial of another path.
#
# Wall time, measured on 2026-12-01 on this 2-core machine with nothing else on the cores (the run that wrote the
# committed reports/study.db): beyond-mlp 13.1 min (40 trials, 32 pruned), its retrain 3.0 min, beyond-cnn 30.8 min
# (12 trials, 9 pruned; 3x3 kernels 32-35 s an epoch, 5x5 84 s), its 30-epoch retrain about 32 min, the 12-epoch
# retrain about 13 min on 2 workers (it ran on 1 worker, 19 min, beside the end of the other): about 1.5 hours in all.
# A 5x5 winner would make the retrains about 2.5 times as long.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${SWEEPLAB_STUDY_DB:-reports/study.db}
cli=(node dist/src/cli/main.js)
paths() { node dist/scripts/study-paths.js --db "$db"; }
paths
start=$(date +%s)
for model in mlp cnn; do
	"${cli[@]}" run "sweeps/beyond-$model.yaml" --db "$db" --workers 2
	paths
	node dist/scripts/retrain-sweep.js --db "$db" --from "beyond-$model" --out "sweeps/beyond-$model-retrain.yaml" --repeats 3 --epochs 30
	"${cli[@]}" run "sweeps/beyond-$model-retrain.yaml" --db "$db" --workers 2
	paths
done
# The CNN search trained each trial 12 epochs (its cosine schedule over those 12); its winner retrained for 30 reached
# 0.5-0.9 points less validation accuracy than the search's trial, so it is also retrained as it was searched: 12
# epochs, the same 3 seeds.
# The answer picks between the two retrains on validation accuracy only.
node dist/scripts/retrain-sweep.js --db "$db" --from beyond-cnn --out sweeps/beyond-cnn-retrain-12.yaml --repeats 3 --epochs 12 --name beyond-cnn-retrain-12
"${cli[@]}" run sweeps/beyond-cnn-retrain-12.yaml --db "$db" --workers 2
paths

"${cli[@]}" report --all --db "$db" --out reports --intro reports/answers.md
node dist/scripts/study-facts.js --db "$db" > reports/facts.md
echo "study:beyond: this run took $(( $(date +%s) - start )) s; the numbers the answers quote are in reports/facts.md"
