/**
 * The audit table, in the one SQL dialect both stores speak (PGlite is PostgreSQL). Run as one
 * simple-protocol string, so it is a single transaction; the advisory lock keeps hub replicas that
 * start together from racing on CREATE. The trigger makes the table append-only for every client,
 * not just for gitfleet's code, which has no UPDATE or DELETE path at all.
 */
export const AUDIT_TABLE = 'gitfleet_audit';

export const AUDIT_SCHEMA = `
SELECT pg_advisory_xact_lock(7406119);
CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE} (
  id            bigserial   PRIMARY KEY,
  started_at    timestamptz NOT NULL,
  duration_ms   integer     NOT NULL,
  operation     text        NOT NULL,
  trigger       text        NOT NULL,
  username      text,
  app_namespace text        NOT NULL,
  app           text        NOT NULL,
  project       text        NOT NULL,
  cluster       text        NOT NULL,
  namespace     text        NOT NULL,
  revision      text        NOT NULL,
  repo_url      text        NOT NULL,
  result        text        NOT NULL,
  message       text        NOT NULL,
  objects       jsonb       NOT NULL,
  unchanged     integer     NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_app ON ${AUDIT_TABLE} (app, app_namespace, started_at);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_cluster ON ${AUDIT_TABLE} (cluster, started_at);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_revision ON ${AUDIT_TABLE} (revision text_pattern_ops);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_user ON ${AUDIT_TABLE} (username, started_at);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_time ON ${AUDIT_TABLE} (started_at);
CREATE OR REPLACE FUNCTION ${AUDIT_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the gitfleet audit trail is append-only: % refused', TG_OP;
END
$$;
CREATE OR REPLACE TRIGGER ${AUDIT_TABLE}_no_change BEFORE UPDATE OR DELETE ON ${AUDIT_TABLE}
  FOR EACH ROW EXECUTE FUNCTION ${AUDIT_TABLE}_append_only();
CREATE OR REPLACE TRIGGER ${AUDIT_TABLE}_no_truncate BEFORE TRUNCATE ON ${AUDIT_TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION ${AUDIT_TABLE}_append_only();
`;
