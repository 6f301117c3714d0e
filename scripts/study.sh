#!/usr/bin/env bash
# The Fashion-MNIST study: every sweep of the assignment's six questions on the full data, into one database, then
# the reports. `npm run study -- --fresh` starts a new reports/study.db; `npm run study` continues the one there
# (finished trials are kept, interrupted ones train again), so an interrupted study is finished by running it again.
# Every trial must train on one SIMD path (simd-fma where relaxed SIMD fuses, else simd), so that times compare: scripts/study-paths.ts refuses to start when this
# runtime would take another path, and stops the study when the database holds a trial of another path (an older
# study's: start afresh then). Needs the full dataset (apt-get install dataset-fashion-mnist, or SWEEPLAB_DATA_DIR).
#
# Wall time on a quiet 2-core machine, estimated from CPU per step measured on the SIMD path (`npm run build && node
# dist/scripts/study-estimate.js sweeps/{learning-rate,width-vs-depth,activation,epochs,batch-size,modification,cnn,best}.yaml`,
# 2026-12-01; docs/measurements.md, "The study's budget"): about 17 minutes with 2 workers (23 if ASHA prunes nothing
# in `best`). The run that wrote the committed reports/study.db took 1,004 s (2026-12-01, every trial on simd-fma, 2
# workers, nothing else on the cores): well inside the 60 minutes asked, so no sweep is shortened or split.
# Question 7's searches run separately: scripts/beyond.sh (`npm run study:beyond`).
set -euo pipefail
cd "$(dirname "$0")/.."
db=${SWEEPLAB_STUDY_DB:-reports/study.db}
cli=(node dist/src/cli/main.js)
case "${1:-}" in
	--fresh) rm -f "$db" "$db-wal" "$db-shm" ;;
	'' | --resume) ;;
	*) echo "usage: npm run study [-- --fresh]" >&2; exit 2 ;;
esac

paths() { node dist/scripts/study-paths.js --db "$db"; }
paths
start=$(date +%s)
for sweep in learning-rate width-vs-depth activation epochs batch-size modification cnn best; do
	"${cli[@]}" run "sweeps/$sweep.yaml" --db "$db" --workers 2
	paths
done

# The TPE winner, retrained with repeats: its config is written out as a sweep file of its own (the same file again
# when the study is continued, so the sweep resumes).
node dist/scripts/retrain-sweep.js --db "$db" --from best --out sweeps/best-retrain.yaml
"${cli[@]}" run sweeps/best-retrain.yaml --db "$db" --workers 2
paths

"${cli[@]}" report --all --db "$db" --out reports --intro reports/answers.md
node dist/scripts/study-facts.js --db "$db" > reports/facts.md
echo "study: this run took $(( $(date +%s) - start )) s; the numbers the answers quote are in reports/facts.md"
