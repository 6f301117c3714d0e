-- Hosts record their core count beside hostname and backend.
ALTER TABLE trials ADD COLUMN cores integer;
