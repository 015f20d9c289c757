/**
 * The orchestrator's persistent state: an embedded SQLite database (node:sqlite), so a
 * restart — even after SIGKILL — resumes where it was. Every change that must be atomic
 * (a lease, an accepted proof, a job becoming proven) is one transaction; nothing accepted is
 * kept only in memory.
 *
 * A database belongs to one chain deployment ({@link DatabaseBinding}): the chain id, the
 * contract addresses and the deployment block (number and hash), recorded in `meta` on first
 * open. Opened for another deployment it is refused with {@link DatabaseBindingError}, naming
 * both: its jobs, leases, proofs and cursor would be wrong there, silently (a devnet restarted
 * from scratch reuses the chain id and, deploying the same way, the contract addresses; only
 * the deployment block's hash tells the chains apart). There is no option to reuse or reset it
 * in place: the operator starts with another `--db` file (or deletes this one), a choice made
 * with the file in view rather than by a flag that destroys state. A database from before the
 * binding existed is bound on its first open.
 *
 * Tables: `meta` (chain cursor, binding), `images` (ELFs seen on chain), `intake` (jobs seen on chain,
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
  parent_job INTEGER,
  -- When every chunk must be proven (ms, this machine's clock): leases end before it.
  deadline INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_by_epoch ON jobs (epoch, status);
CREATE TABLE IF NOT EXISTS leases (
  id TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  kind TEXT NOT NULL,
  deadline INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  -- 1: leased from the newcomers' pool (no accepted proof, no stake; see scheduler.ts).
  newcomer INTEGER NOT NULL DEFAULT 0
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
  -- JSON array: the orchestrators below this node that carried the chunk (a child ring and the
  -- rings it named), credited on chain as assemblers; NULL for a chunk a delegator proved.
  carriers TEXT,
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
  updated_at INTEGER NOT NULL,
  -- The last revert of a submission: JSON { reason, content } (content: a hash of what was sent).
  reverted TEXT
);
`;

/** Columns added after the first release: [table, column, type]; added in place if missing. */
const ADDED_COLUMNS: [string, string, string][] = [
  ["jobs", "deadline", "INTEGER"],
  ["epochs", "reverted", "TEXT"],
  ["leases", "newcomer", "INTEGER NOT NULL DEFAULT 0"],
];

function addMissingColumns(db: DatabaseSync): void {
  for (const [table, column, type] of ADDED_COLUMNS) {
    const cols = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (!cols.some((c) => c.name === column))
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
}

/**
 * What an orchestrator's state belongs to. A root knows all of it from its deployment and RPC;
 * a child (ring >= 1) takes it from its parent's status, and adds the parent's address.
 */
export interface DatabaseBinding {
  chainId: number;
  /** Contract name -> address. */
  contracts?: Record<string, string>;
  /** The deployment block: number (decimal) and hash. */
  deploymentBlock?: string;
  deploymentBlockHash?: string;
  /** A child orchestrator's parent (the parent's address). */
  parent?: string;
}

/** The database at `path` belongs to another chain or deployment. */
export class DatabaseBindingError extends Error {
  override readonly name = "DatabaseBindingError";
  constructor(
    readonly path: string,
    readonly stored: DatabaseBinding,
    readonly wanted: DatabaseBinding,
  ) {
    super(
      `the database ${path} belongs to ${describeBinding(stored)}, not to this orchestrator's ` +
        `${describeBinding(wanted)}: its jobs, leases and proofs would be wrong here. Start ` +
        `with another --db file (or delete this one to start afresh).`,
    );
  }
}

function describeBinding(b: DatabaseBinding): string {
  const parts = [`chain ${b.chainId}`];
  if (b.contracts)
    parts.push(
      `contracts ${Object.entries(b.contracts)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  if (b.deploymentBlock !== undefined || b.deploymentBlockHash !== undefined)
    parts.push(
      `deployment block ${b.deploymentBlock ?? "?"}${b.deploymentBlockHash ? ` (${b.deploymentBlockHash})` : ""}`,
    );
  if (b.parent) parts.push(`parent ${b.parent}`);
  return parts.join(", ");
}

/**
 * Where `stored` and `wanted` differ (case-insensitively). A field `stored` has and `wanted`
 * lacks is a difference (it cannot be confirmed); one only `wanted` has is not (it was not
 * known when the database was bound), except the parent: a root's state is no child's.
 */
function bindingMismatches(stored: DatabaseBinding, wanted: DatabaseBinding): string[] {
  const same = (a: unknown, b: unknown) => String(a).toLowerCase() === String(b).toLowerCase();
  const out: string[] = [];
  if (stored.chainId !== wanted.chainId) out.push("chainId");
  for (const [name, address] of Object.entries(stored.contracts ?? {}))
    if (!same(address, wanted.contracts?.[name])) out.push(`contracts.${name}`);
  for (const k of ["deploymentBlock", "deploymentBlockHash"] as const)
    if (stored[k] !== undefined && !same(stored[k], wanted[k])) out.push(k);
  // A root's state (no parent) is no child's, and the reverse.
  if (!same(stored.parent ?? "", wanted.parent ?? "")) out.push("parent");
  return out;
}

/**
 * Records `binding` in a database that has none, or checks it against the recorded one (fields
 * the recorded one lacks are added).
 * @throws DatabaseBindingError on any difference.
 */
export function bindDatabase(db: DatabaseSync, binding: DatabaseBinding, path: string): void {
  transaction(db, () => {
    const raw = getMeta(db, "binding");
    const stored = raw ? (JSON.parse(raw) as DatabaseBinding) : undefined;
    if (stored && bindingMismatches(stored, binding).length > 0)
      throw new DatabaseBindingError(path, stored, binding);
    const contracts = { ...binding.contracts, ...stored?.contracts };
    setMeta(
      db,
      "binding",
      JSON.stringify({
        ...binding,
        ...stored,
        ...(Object.keys(contracts).length > 0 ? { contracts } : {}),
      }),
    );
  });
}

/**
 * Opens (creating if needed) the database at `path` (":memory:" for a throwaway one); with
 * `binding`, bound to that chain deployment (see {@link bindDatabase}).
 */
export function openDatabase(path: string, o: { binding?: DatabaseBinding } = {}): DatabaseSync {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    db.exec(SCHEMA);
    // Files made before the carriers column get it (SQLite adds a nullable column in place).
    const cols = db.prepare("PRAGMA table_info(tasks)").all() as { name: string }[];
    if (!cols.some((c) => c.name === "carriers"))
      db.exec("ALTER TABLE tasks ADD COLUMN carriers TEXT");
    addMissingColumns(db);
    if (o.binding) bindDatabase(db, o.binding, path);
  } catch (e) {
    db.close();
    throw e;
  }
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
