#!/usr/bin/env bash
# Question 7 of the study, "Beyond the assignment": TPE searches with ASHA pruning for the most accurate MLP and CNN
# under 100K parameters (sweeps/beyond-mlp.yaml, sweeps/beyond-cnn.yaml), each winner (by validation accuracy only)
# then retrained with 3 seeds for 30 epochs, all into the study's database (reports/study.db) beside the six
# questions, then the reports again. Running it again continues where it stopped (finished trials are kept; the
# retrain files come out the same once a search has finished). Like scripts/study.sh it trains on the SIMD path only
# and stops when the database holds a trial of another path.
#
# Wall time on a quiet 2-core machine, estimated from CPU per step measured on the SIMD path (`node
# dist/scripts/study-estimate.js sweeps/beyond-mlp.yaml sweeps/beyond-cnn.yaml` plus the retrains; 2026-12-01):
# see docs/measurements.md ("Question 7's budget"). The CNN dominates: its 5x5 32-64 network costs about 30 times the
# study's CNN per step.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${SWEEPLAB_STUDY_DB:-reports/study.db}
cli=(node dist/src/cli/main.js)
paths() { node dist/scripts/study-paths.js --db "$db" --path simd; }
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
