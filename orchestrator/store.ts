/**
 * The orchestrator's persistent state: an embedded SQLite database (node:sqlite), so a
 * restart — even after SIGKILL — resumes where it was. Every change that must be atomic
 * (a lease, an accepted proof, a job becoming proven) is one transaction; nothing accepted is
 * kept only in memory.
 *
 * Tables: `meta` (chain cursor), `images` (ELFs seen on chain), `intake` (jobs seen on chain,
 * with their input once known), `jobs` (one per on-chain job
 * this orchestrator proves, with the executed run's chain and final state), `tasks` (one per
 * chunk: the circuit inputs a delegator proves, and once accepted its proof), `leases`,
 * `nodes` (delegators and child orchestrators with their accepted/rejected counts), `nonces`
 * (replay protection of signed requests) and `epochs` (Universal Proof submissions). In a child
 * orchestrator (ring ≥ 1) a job is a segment leased from the parent: `parent_lease` and
 * `parent_job` name it there, and its local id is its own.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
  image_id TEXT PRIMARY KEY,
  elf BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS intake (
  id INTEGER PRIMARY KEY,
  epoch INTEGER NOT NULL,
  image_id TEXT NOT NULL,
  input_digest TEXT NOT NULL,
  s0 TEXT NOT NULL,
  input BLOB
);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  epoch INTEGER NOT NULL,
  image_id TEXT NOT NULL,
  status TEXT NOT NULL,
  chunks INTEGER NOT NULL DEFAULT 0,
  run TEXT,
  error TEXT,
  tx_hash TEXT,
  created_at INTEGER NOT NULL,
  proven_at INTEGER,
  parent_lease TEXT,
  parent_job INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_by_epoch ON jobs (epoch, status);
CREATE TABLE IF NOT EXISTS leases (
  id TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  kind TEXT NOT NULL,
  deadline INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
  job_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  circuit TEXT NOT NULL,
  witness TEXT NOT NULL,
  s_in TEXT NOT NULL,
  s_out TEXT NOT NULL,
  image_id TEXT NOT NULL,
  status TEXT NOT NULL,
  lease_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  proof TEXT,
  prover TEXT,
  proved_at INTEGER,
  PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status, job_id, idx);
CREATE INDEX IF NOT EXISTS tasks_by_lease ON tasks (lease_id);
CREATE TABLE IF NOT EXISTS nodes (
  address TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  name TEXT,
  registered_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  accepted INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS nonces (
  address TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY (address, nonce)
);
CREATE TABLE IF NOT EXISTS epochs (
  epoch INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  jobs INTEGER NOT NULL DEFAULT 0,
  chunks INTEGER NOT NULL DEFAULT 0,
  tx_hash TEXT,
  gas TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
`;

/** Opens (creating if needed) the database at `path` (":memory:" for a throwaway one). */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
  db.exec(SCHEMA);
  return db;
}

/** Runs `fn` in one transaction (committed if it returns, rolled back if it throws). */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const r = fn();
    db.exec("COMMIT");
    return r;
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}

export function getMeta(db: DatabaseSync, key: string): string | undefined {
  const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as
    { value: string } | undefined;
  return row?.value;
}

export function setMeta(db: DatabaseSync, key: string, value: string): void {
  db.prepare(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  ).run(key, value);
}
