// The database's tables (README "The run database" shows them to users of the sqlite3 shell).
// A run is one row in `runs` (what lists, filters and sorts read; `info` is the whole RunInfo as
// JSON, the source of truth for the row) and one in `run_data` (the series, read only when the run
// is opened). Every write also appends to `changes`, which other processes on the same database
// poll (change-feed.ts). Saved custom experiments are rows of `custom_experiments` (custom-store.ts;
// `experiment` is the whole SavedExperiment as JSON, the source of truth; the other columns are
// for the sqlite3 shell and the order of the list). imported_files and imported_custom_files
// name the old JSON files already imported (legacy-import.ts, custom-import.ts).

/**
 * 2 added runs_by_matrix, 3 custom_experiments and imported_custom_files; the SCHEMA below brings
 * an older database up to it (everything is IF NOT EXISTS, open-database.ts runs it on an older one).
 */
export const SCHEMA_VERSION = 3;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

CREATE TABLE IF NOT EXISTS runs (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  kind         TEXT NOT NULL DEFAULT 'run',
  experiment   TEXT NOT NULL,
  runtime      TEXT NOT NULL,
  status       TEXT NOT NULL,
  created_at   REAL NOT NULL,
  ended_at     REAL,
  sample_hz    REAL NOT NULL,
  sample_count INTEGER NOT NULL,
  overall_pct  REAL,
  final_pct    REAL,
  verdict      TEXT,
  error        TEXT,
  search       TEXT NOT NULL,
  info         TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS runs_by_date ON runs (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_by_verdict ON runs (verdict, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_by_experiment_verdict ON runs (experiment, verdict, created_at DESC, id DESC);
-- The runs of allocator matrices (a matrix is nothing but its runs' matrixId: shared/matrix.ts).
CREATE INDEX IF NOT EXISTS runs_by_matrix ON runs (json_extract(info, '$.matrixId')) WHERE json_extract(info, '$.matrixId') IS NOT NULL;

CREATE TABLE IF NOT EXISTS run_data (
  seq           INTEGER PRIMARY KEY REFERENCES runs (seq) ON DELETE CASCADE,
  samples_codec TEXT NOT NULL,
  samples       BLOB NOT NULL,
  phases        TEXT NOT NULL,
  breakdowns    TEXT NOT NULL,
  heap          BLOB NOT NULL,
  extra         BLOB NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS changes (
  rev    INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  change TEXT NOT NULL,
  at     REAL NOT NULL,
  pid    INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS imported_files (
  name        TEXT PRIMARY KEY,
  run_id      TEXT NOT NULL,
  imported_at REAL NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS custom_experiments (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  runtime    TEXT NOT NULL,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  experiment TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS imported_custom_files (
  name          TEXT PRIMARY KEY,
  experiment_id TEXT NOT NULL,
  imported_at   REAL NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS holders (
  lock       TEXT PRIMARY KEY,
  pid        INTEGER NOT NULL,
  host       TEXT NOT NULL,
  what       TEXT NOT NULL,
  since      REAL NOT NULL
) STRICT;
`;

/** Only this many change rows are kept: a process that was away longer re-reads its page. */
export const CHANGES_KEPT = 10_000;
