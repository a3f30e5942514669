-- Live change streams (src/server/change-stream.ts): every statement that adds rows to the change feed wakes the
-- instances listening on `registry_changes`. The notification carries nothing; it only says "read the feed",
-- which stays the one source of truth. PostgreSQL delivers it when the transaction commits and drops it on a
-- rollback, and folds identical notifications of one transaction into one. A trigger rather than a line in
-- registry_commit_writes, so whatever writes the feed (that function or its successor) wakes the streams.
CREATE FUNCTION "registry_notify_changes"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('registry_changes', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER "changes_notify"
AFTER INSERT ON "changes"
FOR EACH STATEMENT EXECUTE FUNCTION "registry_notify_changes"();
