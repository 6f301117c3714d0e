-- Why a trial stopped before its last epoch without failing: early stopping or a pruner.
ALTER TABLE trials ADD COLUMN stop_reason TEXT;
