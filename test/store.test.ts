/**
 * The database is bound to one chain deployment: reopened for another chain id, other contract
 * addresses, another deployment block (a devnet restarted from scratch) or another parent, it is
 * refused with an error naming both; for the same deployment it opens as before. An
 * orchestrator started on a database of another chain refuses to start.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { startOrchestrator } from "../orchestrator/node.ts";
import {
  DatabaseBindingError,
  getMeta,
  openDatabase,
  setMeta,
  type DatabaseBinding,
} from "../orchestrator/store.ts";
import { DEFAULT_NETWORK_CIRCUIT } from "../scripts/lib/deploy.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";

const JOBS = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const EPOCHS = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const ROOT: DatabaseBinding = {
  chainId: 31337,
  contracts: { jobs: JOBS, epochs: EPOCHS },
  deploymentBlock: "5",
  deploymentBlockHash: `0x${"ab".repeat(32)}`,
};
const fresh = () => join(mkdtempSync(join(tmpdir(), "concentric-store-")), "o.sqlite");

/** The error opening `path` for `binding` throws. */
function refusal(path: string, binding: DatabaseBinding): DatabaseBindingError {
  try {
    openDatabase(path, { binding }).close();
  } catch (e) {
    expect(e).toBeInstanceOf(DatabaseBindingError);
    return e as DatabaseBindingError;
  }
  throw new Error("expected a refusal");
}

describe("database binding", () => {
  it("records the deployment on first open and reopens for the same one", () => {
    const path = fresh();
    const db = openDatabase(path, { binding: ROOT });
    setMeta(db, "cursor", "42");
    db.close();
    // Addresses compare case-insensitively.
    const again = openDatabase(path, {
      binding: { ...ROOT, contracts: { jobs: JOBS.toLowerCase(), epochs: EPOCHS } },
    });
    expect(getMeta(again, "cursor")).toBe("42");
    again.close();
  });

  it("refuses another chain id, naming both", () => {
    const path = fresh();
    openDatabase(path, { binding: ROOT }).close();
    const e = refusal(path, { ...ROOT, chainId: 1 });
    expect(e.message).toContain(`the database ${path} belongs to chain 31337`);
    expect(e.message).toContain("not to this orchestrator's chain 1");
    expect(e.message).toMatch(/another --db file/);
  });

  it("refuses another contract address, another deployment block, another parent", () => {
    const path = fresh();
    openDatabase(path, { binding: ROOT }).close();
    const other = "0x0000000000000000000000000000000000001234";
    const e = refusal(path, { ...ROOT, contracts: { jobs: other, epochs: EPOCHS } });
    expect(e.message).toContain(`jobs ${JOBS}`);
    expect(e.message).toContain(`jobs ${other}`);
    // Same chain id and addresses, another chain: a devnet restarted from scratch.
    const restarted = `0x${"cd".repeat(32)}`;
    const r = refusal(path, { ...ROOT, deploymentBlockHash: restarted });
    expect(r.message).toContain(ROOT.deploymentBlockHash);
    expect(r.message).toContain(restarted);
    // A root's state is no child's.
    expect(refusal(path, { ...ROOT, parent: other }).message).toContain(`parent ${other}`);
    // What cannot be confirmed is refused too.
    refusal(path, { chainId: 31337 });
    // Nothing was changed by the refusals.
    openDatabase(path, { binding: ROOT }).close();
  });

  it("binds a database from before the binding on its first open", () => {
    const path = fresh();
    const db = openDatabase(path);
    setMeta(db, "cursor", "7");
    db.close();
    openDatabase(path, { binding: ROOT }).close();
    expect(refusal(path, { ...ROOT, chainId: 10 }).message).toContain("chain 31337");
  });

  it("an orchestrator refuses to start on a database of another chain", async () => {
    // A parent that answers only its status, for a child orchestrator to read its chain from.
    let status: Record<string, unknown> = {
      chainId: 31337,
      circuit: DEFAULT_NETWORK_CIRCUIT,
      address: privateKeyToAccount(generatePrivateKey()).address,
      contracts: ROOT.contracts,
      deploymentBlock: ROOT.deploymentBlock,
      deploymentBlockHash: ROOT.deploymentBlockHash,
    };
    const parent: Server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/v1/status") res.end(JSON.stringify(status));
      else res.writeHead(404).end(JSON.stringify({ error: "no" }));
    });
    await new Promise<void>((r) => parent.listen(0, "127.0.0.1", r));
    const start = () =>
      startOrchestrator({
        db: path,
        account: privateKeyToAccount(generatePrivateKey()),
        parent: `http://127.0.0.1:${(parent.address() as AddressInfo).port}`,
        port: 0,
        pollMs: 60_000,
        artifacts,
        log: pino({ level: "silent" }),
      });
    const artifacts = await getTestArtifacts(DEFAULT_NETWORK_CIRCUIT);
    const path = fresh();
    try {
      const node = await start();
      expect(await (await fetch(`${node.url}/v1/status`)).json()).toMatchObject({
        chainId: 31337,
        deploymentBlockHash: ROOT.deploymentBlockHash,
      });
      await node.stop();
      await (await start()).stop(); // the same parent and chain: resumes
      status = { ...status, chainId: 1 };
      await expect(start()).rejects.toThrow(
        /belongs to chain 31337, .*not to this orchestrator's chain 1/,
      );
    } finally {
      parent.close();
    }
  });
});
