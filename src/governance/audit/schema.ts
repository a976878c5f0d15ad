/**
 * The audit table in the two SQL dialects the stores speak: PostgreSQL (the production server, and
 * PGlite, read only to import an old embedded trail) and SQLite (the embedded default). Both make
 * the table append-only for every client, not just for gitfleet's code, which has no UPDATE or
 * DELETE path at all. Changes to the table are new migrations (migrations.ts), never edits here.
 */
export const AUDIT_TABLE = 'gitfleet_audit';

/** Version 1 on PostgreSQL; idempotent, because replicas starting together may both run it. */
export const POSTGRES_V1 = `
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

/**
 * Version 1 on SQLite: the same columns. Instants are ISO-8601 UTC text (toISOString), objects JSON
 * text; AUTOINCREMENT so an id is never handed out twice. SQLite has no TRUNCATE: a DELETE without
 * WHERE fires the row trigger like any other.
 */
export const SQLITE_V1 = `
CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE} (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at    TEXT    NOT NULL,
  duration_ms   INTEGER NOT NULL,
  operation     TEXT    NOT NULL,
  trigger       TEXT    NOT NULL,
  username      TEXT,
  app_namespace TEXT    NOT NULL,
  app           TEXT    NOT NULL,
  project       TEXT    NOT NULL,
  cluster       TEXT    NOT NULL,
  namespace     TEXT    NOT NULL,
  revision      TEXT    NOT NULL,
  repo_url      TEXT    NOT NULL,
  result        TEXT    NOT NULL,
  message       TEXT    NOT NULL,
  objects       TEXT    NOT NULL CHECK (json_valid(objects)),
  unchanged     INTEGER NOT NULL,
  recorded_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_app ON ${AUDIT_TABLE} (app, app_namespace, started_at);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_cluster ON ${AUDIT_TABLE} (cluster, started_at);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_revision ON ${AUDIT_TABLE} (revision);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_user ON ${AUDIT_TABLE} (username, started_at);
CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_time ON ${AUDIT_TABLE} (started_at);
CREATE TRIGGER IF NOT EXISTS ${AUDIT_TABLE}_no_update BEFORE UPDATE ON ${AUDIT_TABLE}
  BEGIN SELECT RAISE(ABORT, 'the gitfleet audit trail is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS ${AUDIT_TABLE}_no_delete BEFORE DELETE ON ${AUDIT_TABLE}
  BEGIN SELECT RAISE(ABORT, 'the gitfleet audit trail is append-only: DELETE refused'); END;
CREATE TABLE IF NOT EXISTS ${AUDIT_TABLE}_imports (
  source      TEXT    PRIMARY KEY,
  entries     INTEGER NOT NULL,
  imported_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
`;
