#!/usr/bin/env bash
# Ask sweeplab for a trial, train it with train.py, tell sweeplab every epoch, stop when told the trial is pruned,
# tell how it ended; until no trial is left. SWEEPLAB names the command (default: npx sweeplab), DB the database.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
read -r -a sweeplab <<<"${SWEEPLAB:-npx sweeplab}"
db=${DB:-db/ask-tell.db}

while asked=$("${sweeplab[@]}" ask "$here/sweep.yaml" --db "$db") && [ -n "$asked" ]; do
	read -r trial args <<<"$asked"
	ended=completed
	# shellcheck disable=SC2086 # $args is one --name=value per parameter, split on purpose
	while read -r epoch accuracy loss; do
		if [ "$epoch" = failed ]; then
			"${sweeplab[@]}" tell ask-tell "$trial" --db "$db" --state failed --error "train.py exited with status $accuracy" >/dev/null
			echo "trial $trial: failed"
			ended=failed
			break
		fi

		answer=$("${sweeplab[@]}" tell ask-tell "$trial" --db "$db" --step "$epoch" --metrics "{\"val_accuracy\": $accuracy, \"loss\": $loss}")
		if [ "$answer" != continue ]; then
			echo "trial $trial: $answer"
			ended=stopped
			break
		fi
	done < <(python3 "$here/train.py" $args || echo "failed $?")

	if [ "$ended" = completed ]; then
		"${sweeplab[@]}" tell ask-tell "$trial" --db "$db" --state completed >/dev/null
		echo "trial $trial: completed"
	fi
done

"${sweeplab[@]}" best ask-tell --db "$db"
