#!/usr/bin/env bash
# The Fashion-MNIST study: every sweep of the assignment's questions on the full data, into one database,
# then the reports. `npm run study` starts from scratch; `npm run study -- --resume` continues an interrupted
# study (finished trials are kept). Needs the full dataset (apt-get install dataset-fashion-mnist, or --data-dir
# via SWEEPLAB_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
db=reports/study.db
cli=(node dist/src/cli/main.js)
if [ "${1:-}" != "--resume" ]; then
	rm -f "$db" "$db-wal" "$db-shm"
fi

start=$(date +%s)
for sweep in learning-rate width-vs-depth activation epochs batch-size modification cnn best; do
	"${cli[@]}" run "sweeps/$sweep.yaml" --db "$db"
done

# The TPE winner, retrained with repeats: its config is written out as a sweep file of its own.
node dist/scripts/retrain-sweep.js --db "$db" --from best --out sweeps/best-retrain.yaml
"${cli[@]}" run sweeps/best-retrain.yaml --db "$db"

"${cli[@]}" report --all --db "$db" --out reports --intro reports/answers.md
echo "study: finished in $(( $(date +%s) - start )) s"
