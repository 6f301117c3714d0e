-- Hosts record their core count beside hostname and backend, so a sweep spread over machines can compare them.
ALTER TABLE trials ADD COLUMN cores INTEGER;
