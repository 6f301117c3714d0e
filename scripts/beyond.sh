#!/usr/bin/env bash
# Question 7 of the study, "Beyond the assignment": TPE searches with ASHA pruning for the most accurate MLP and CNN
# under 100K parameters (sweeps/beyond-mlp.yaml, sweeps/beyond-cnn.yaml), each winner (by validation accuracy only)
# then retrained with 3 seeds for 30 epochs, all into the study's database (reports/study.db) beside the six
# questions, then the reports again. Running it again continues where it stopped (finished trials are kept; the
# retrain files come out the same once a search has finished). Like scripts/study.sh it trains on the SIMD path only
# and stops when the database holds a trial of another path.
#
# Wall time on a quiet 2-core machine, estimated from CPU per step measured on the SIMD path (`node
# dist/scripts/study-estimate.js sweeps/beyond-mlp.yaml sweeps/beyond-cnn.yaml` plus the retrains; 2026-12-01;
# docs/measurements.md, "The study's budget"): about 2.3 hours, at most about 4 (ASHA pruning nothing, 5x5 kernels
# throughout). The CNN dominates: the search 29-125 min, the retrain of a 5x5 winner 104 min (3 trials of 30 epochs at
# 104 CPU s an epoch on 2 workers); the MLP search and retrain about 3-11 min.
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

"${cli[@]}" report --all --db "$db" --out reports --intro reports/answers.md
node dist/scripts/study-facts.js --db "$db" > reports/facts.md
echo "study:beyond: this run took $(( $(date +%s) - start )) s; the numbers the answers quote are in reports/facts.md"
