/**
 * Soak (issue 14): the real root orchestrator R (following a devnet, proving locally as a last
 * resort), two honest delegators (`concentric delegator` processes) and an attacker, all at
 * once, on the loopback, for a bounded time. The attacker runs here as bounded async loops that
 * stop by themselves, from its own loopback addresses (127.0.0.2 and up; the honest parties
 * speak from 127.0.0.1), so per-address rate limits fall on it:
 *
 * - hoarding: fresh keys register and lease as many chunks as they may, and never deliver (they
 *   share the newcomers' pool of 4 leases; honest d2 has a delegator's stake, d3 has none);
 * - fresh keys registered as "orchestrators" (not on chain) ask for segment leases;
 * - unsigned, forged (signed by one key in the name of an honest one) and replayed requests;
 * - oversized and unsigned input uploads;
 * - proofs crediting 0x0 and invalid proofs (one persistent key with a delegator's stake, so it
 *   gets leases at once, until it is suspended);
 * - a flood of GET /v1/status.
 *
 * Every honest job (one small fibonacci job; SOAK_JOBS=2 for two) settles on chain before its epoch's deadline, the
 * attacker's keys are refused or suspended, and the honest delegators are credited on chain.
 * The figures (HTTP statuses per attack kind, accepted proofs, submission to settlement) are
 * printed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { PrivateKeyAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../orchestrator/auth.ts";
import { startOrchestrator, type Orchestrator } from "../orchestrator/node.ts";
import type { ChunkLease } from "../orchestrator/scheduler.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import {
  devAccount,
  stakeAndRegister,
  stakeDelegator,
  submitGuestJob,
} from "../scripts/lib/actors.ts";
import { DEFAULT_NETWORK_CIRCUIT } from "../scripts/lib/deploy.ts";
import { startDevnet, type Devnet } from "../scripts/lib/devnet.ts";
import { connect, contracts } from "../client/chain.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { until } from "./helpers/until.ts";

const ATTACK_MS = Number(process.env.SOAK_ATTACK_MS ?? 120_000);
const NEWCOMER_LEASES = 4;
const dir = mkdtempSync(join(tmpdir(), "concentric-soak-"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let devnet: Devnet;
let R: PrivateKeyAccount;
let R_: Orchestrator;
let port: number;
const procs: ChildProcess[] = [];

interface Proc {
  child: ChildProcess;
  out: () => string;
}
function delegator(i: number): Proc {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "scripts/cli.ts",
      "delegator",
      "--orchestrator",
      R_.url,
      "--dev-account",
      String(i),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  procs.push(child);
  let text = "";
  child.stdout!.on("data", (b: Buffer) => (text += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (text += b.toString()));
  return { child, out: () => text };
}

// ---- the attacker's HTTP: its own loopback source addresses, kept-alive connections ----

const agents = new Map<string, http.Agent>();
const agentOf = (src: string) => {
  let a = agents.get(src);
  if (!a) agents.set(src, (a = new http.Agent({ keepAlive: true, maxSockets: 8 })));
  return a;
};

/** One request from `src`; its status (0: no answer) and body. */
function send(
  src: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Uint8Array,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        localAddress: src,
        agent: agentOf(src),
        headers: { ...headers, ...(body ? { "content-length": String(body.length) } : {}) },
        timeout: 30_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", () => resolve({ status: 0, text: "" }));
    req.on("timeout", () => req.destroy());
    if (body) req.write(body);
    req.end();
  });
}

/** A signed JSON POST of `who`, from `src`; also returns the exact headers and bytes sent. */
async function signedPost(src: string, who: PrivateKeyAccount, path: string, json: unknown) {
  const bytes = new TextEncoder().encode(JSON.stringify(json));
  const headers = {
    ...(await signRequest(who, "POST", path, bytes)),
    "content-type": "application/json",
  };
  return { ...(await send(src, "POST", path, headers, bytes)), headers, bytes };
}

/** A POST announcing `length` bytes of input, on a raw socket: the status line, then closed. */
function oversized(src: string, path: string, length: number): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress: src });
    let got = "";
    const done = (status: number) => {
      s.destroy();
      resolve(status);
    };
    s.setTimeout(10_000, () => done(0));
    s.on("error", () => done(Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1] ?? 0)));
    s.on("connect", () =>
      s.write(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\n` +
          `content-length: ${length}\r\n\r\n` +
          "x".repeat(1024),
      ),
    );
    s.on("data", (b: Buffer) => {
      got += b.toString();
      const m = /^HTTP\/1\.1 (\d+)/.exec(got);
      if (m) done(Number(m[1]));
    });
  });
}

// ---- the figures ----

const counts = new Map<string, Map<number, number>>();
function count(kind: string, status: number) {
  let m = counts.get(kind);
  if (!m) counts.set(kind, (m = new Map()));
  m.set(status, (m.get(status) ?? 0) + 1);
}
const statusesOf = (kind: string) => counts.get(kind) ?? new Map<number, number>();
const total = (kind: string, ...statuses: number[]) =>
  statuses.reduce((s, st) => s + (statusesOf(kind).get(st) ?? 0), 0);

/** Runs `body` again and again until `stopAt` (pausing `pauseMs` between rounds). */
async function loop(stopAt: number, pauseMs: number, body: () => Promise<void>) {
  while (Date.now() < stopAt) {
    try {
      await body();
    } catch (e) {
      count("attacker error", -1);
      if (process.env.SOAK_DEBUG) console.error(e);
    }
    await sleep(pauseMs);
  }
}

const fakeProof = {
  pi_a: ["1", "2", "1"],
  pi_b: [
    ["1", "2"],
    ["3", "4"],
    ["1", "0"],
  ],
  pi_c: ["1", "2", "1"],
  protocol: "groth16",
  curve: "bn128",
};

beforeAll(async () => {
  const artifacts = await getTestArtifacts(DEFAULT_NETWORK_CIRCUIT);
  devnet = await startDevnet({ port: 18552, deploymentFile: join(dir, "deployment.json") });
  R = await devAccount(1);
  await stakeAndRegister(devnet.rpc, devnet.deployment, R, "http://127.0.0.1:0");
  R_ = await startOrchestrator({
    db: join(dir, "r.sqlite"),
    rpc: devnet.rpc,
    deployment: devnet.deployment,
    account: R,
    artifacts,
    log: process.env.SOAK_LOG
      ? pino({ level: "info" }, pino.destination(process.env.SOAK_LOG))
      : pino({ level: "silent" }),
    port: 0,
    pollMs: 500,
    // Longer than a chunk proof takes here: 30-60 s on 2 idle cores, minutes on 2 shared ones
    // (SOAK_LEASE_MS to fit the machine).
    leaseMs: Number(process.env.SOAK_LEASE_MS ?? 300_000),
    reserveMs: 30_000,
    proveLocally: true,
    newcomerLeases: NEWCOMER_LEASES,
  });
  port = Number(new URL(R_.url).port);
}, 600_000);

afterAll(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
  for (const a of agents.values()) a.destroy();
  await R_?.stop().catch(() => undefined);
  devnet?.stop();
});

describe("soak: the network under a bounded attack (issue 14)", () => {
  it("settles every honest job before its deadline while the attacker is refused", async () => {
    const [d2, d3, user] = [await devAccount(2), await devAccount(3), await devAccount(5)];
    // d2 has a delegator's stake (0.1 ETH) and leases past the newcomers' pool; d3 has none and
    // must earn its leases (it competes with the hoarders for the pool until its first proof).
    await stakeDelegator(devnet.rpc, devnet.deployment, d2, "0.1");
    const honest = [delegator(2), delegator(3)];
    const { publicClient } = await connect(devnet.rpc);
    const c = contracts(devnet.deployment, { public: publicClient });

    const t0 = Date.now();
    const stopAt = t0 + ATTACK_MS;
    const fresh = () => privateKeyToAccount(generatePrivateKey());
    let imageId = "0";
    const hoarders: string[] = [];
    // Submits bad proofs until suspended: a staked attacker (funded by dev account 4), so that
    // it gets leases at once and its suspension is what stops it.
    const persistent = fresh();
    await stakeDelegator(devnet.rpc, devnet.deployment, persistent, "0.1", {
      fundFrom: await devAccount(4),
    });
    const attack: Promise<void>[] = [];
    // The newcomers' pool, sampled: fresh keys together never hold more than it.
    let newcomersMax = 0;
    attack.push(
      loop(stopAt, 250, async () => {
        newcomersMax = Math.max(newcomersMax, R_.scheduler.newcomerLeases());
      }),
    );

    // Hoarding: a fresh key every 3 s registers and leases until refused or nothing is left.
    attack.push(
      loop(stopAt, 3000, async () => {
        const k = fresh();
        hoarders.push(k.address);
        count(
          "hoard: register",
          (await signedPost("127.0.0.2", k, "/v1/nodes", { role: "delegator" })).status,
        );
        for (let i = 0; i < 10; i++) {
          const r = await signedPost("127.0.0.2", k, "/v1/tasks/lease", {});
          count("hoard: lease", r.status);
          if (r.status !== 200) break;
        }
      }),
    );
    // Unregistered "orchestrators": registered over the API only, or not at all.
    attack.push(
      loop(stopAt, 300, async () => {
        const k = fresh();
        count(
          "segment lease, unregistered",
          (await signedPost("127.0.0.3", k, "/v1/segments/lease", { maxChunks: 64 })).status,
        );
        await signedPost("127.0.0.3", k, "/v1/nodes", { role: "orchestrator" });
        count(
          "segment lease, API-only ring",
          (await signedPost("127.0.0.3", k, "/v1/segments/lease", { maxChunks: 64 })).status,
        );
      }),
    );
    // Unsigned, forged and replayed requests.
    attack.push(
      loop(stopAt, 50, async () => {
        const unsigned = await send(
          "127.0.0.4",
          "POST",
          "/v1/tasks/lease",
          { "content-type": "application/json" },
          new TextEncoder().encode("{}"),
        );
        count("unsigned", unsigned.status);
      }),
    );
    attack.push(
      loop(stopAt, 50, async () => {
        // Signed by a fresh key in the name of honest delegator d2.
        const k = fresh();
        const bytes = new TextEncoder().encode("{}");
        const h = await signRequest(k, "POST", "/v1/tasks/lease", bytes);
        h["x-concentric-address"] = d2.address;
        const r = await send(
          "127.0.0.5",
          "POST",
          "/v1/tasks/lease",
          { ...h, "content-type": "application/json" },
          bytes,
        );
        count("forged", r.status);
      }),
    );
    attack.push(
      (async () => {
        const k = fresh();
        const first = await signedPost("127.0.0.6", k, "/v1/nodes", { role: "delegator" });
        count("replay: original", first.status);
        await loop(stopAt, 50, async () => {
          const r = await send("127.0.0.6", "POST", "/v1/nodes", first.headers, first.bytes);
          count("replayed", r.status);
        });
      })(),
    );
    // Input uploads: oversized (by content-length) and unsigned.
    attack.push(
      loop(stopAt, 100, async () => {
        count(
          "input: oversized",
          await oversized("127.0.0.7", "/v1/jobs/1/input", 64 * 1024 * 1024),
        );
        const r = await send(
          "127.0.0.7",
          "POST",
          "/v1/jobs/1/input",
          { "content-type": "application/octet-stream" },
          new Uint8Array(100),
        );
        count("input: unsigned", r.status);
      }),
    );
    // Bad proofs from one key: crediting 0x0, then invalid points, until it is suspended.
    attack.push(
      (async () => {
        await signedPost("127.0.0.8", persistent, "/v1/nodes", { role: "delegator" });
        let lease: ChunkLease | undefined;
        let n = 0;
        // Asks for a lease often (racing the hoarders), submits a bad proof every 1.5 s.
        await loop(stopAt, 200, async () => {
          if (!lease) {
            const r = await signedPost("127.0.0.8", persistent, "/v1/tasks/lease", {});
            count("bad proofs: lease", r.status);
            if (r.status === 200) lease = JSON.parse(r.text) as ChunkLease;
            return;
          }
          const zero = n++ % 2 === 0;
          const signals = [
            String(lease.input.sIn),
            String(lease.input.sOut),
            imageId,
            zero ? "0" : BigInt(persistent.address).toString(),
            String(lease.input.cyclesRetired),
          ];
          const r = await signedPost("127.0.0.8", persistent, `/v1/tasks/${lease.leaseId}/proof`, {
            proof: {
              circuit: lease.circuit,
              index: lease.index,
              publicSignals: signals,
              proof: fakeProof,
            },
          });
          count(zero ? "proof crediting 0x0" : "invalid proof", r.status);
          await sleep(1300);
          if (r.status === 409 || r.status === 404) lease = undefined;
          if (!zero && r.status === 422) lease = undefined; // re-opened with the refusal
        });
      })(),
    );
    // A flood of GET /v1/status, two at a time.
    let honestStatusMs = 0;
    for (let i = 0; i < 2; i++)
      attack.push(
        loop(stopAt, 1, async () => {
          count("GET /v1/status flood", (await send("127.0.0.9", "GET", "/v1/status")).status);
        }),
      );

    // The honest jobs (SOAK_JOBS, default one: 12 chunks of fibonacci(0) take two delegators
    // a few minutes on 2 cores), submitted once the attack is under way.
    await sleep(5_000);
    const submitted = Date.now();
    const jobs: Awaited<ReturnType<typeof submitGuestJob>>[] = [];
    for (let i = 0; i < Number(process.env.SOAK_JOBS ?? 1); i++)
      jobs.push(
        await submitGuestJob(
          devnet.rpc,
          devnet.deployment,
          user,
          "fibonacci",
          new Uint8Array(Uint32Array.from([0]).buffer),
        ),
      );
    imageId = jobs[0]!.imageId.toString();

    // Settlement of every honest job, observed while (and after) the attack runs.
    const settledAt = new Map<bigint, number>();
    const deadlines = new Map<bigint, bigint>();
    const settledBy = new Map<bigint, bigint>();
    for (const j of jobs)
      deadlines.set(j.jobId, (await c.epochs.read.deadline([j.epoch])) as bigint);
    const settle = until(
      "every honest job settled",
      async () => {
        const a = performance.now();
        const s = await fetch(`${R_.url}/v1/status`);
        if (s.ok) honestStatusMs = Math.max(honestStatusMs, performance.now() - a);
        for (const j of jobs) {
          if (settledAt.has(j.jobId)) continue;
          const [settled] = (await c.jobs.read.result([j.jobId])) as [boolean, unknown];
          if (!settled) continue;
          settledAt.set(j.jobId, Date.now());
          // Settled by a block no later than the latest one.
          settledBy.set(j.jobId, (await publicClient.getBlock()).timestamp);
        }
        return settledAt.size === jobs.length ? true : undefined;
      },
      Math.max(0, stopAt - Date.now()) + Number(process.env.SOAK_SETTLE_MS ?? 1_800_000),
    );
    await settle.catch((e: Error) => {
      for (const p of honest) console.log(p.out().slice(-4000));
      throw e;
    });
    for (const j of jobs)
      expect(settledBy.get(j.jobId)!).toBeLessThanOrEqual(deadlines.get(j.jobId)!);
    await Promise.all(attack); // every loop stops by itself at stopAt

    // Nothing lost: every chunk proven by an honest delegator (or R itself), credited on chain.
    const done = R_.db
      .prepare(
        `SELECT prover, COUNT(*) AS n FROM tasks WHERE job_id IN (${jobs.map(() => "?").join(",")})
         AND status = 'done' GROUP BY prover`,
      )
      .all(...jobs.map((j) => Number(j.jobId))) as { prover: string; n: number }[];
    const chunks = R_.db
      .prepare(`SELECT COUNT(*) AS n FROM tasks WHERE job_id IN (${jobs.map(() => "?").join(",")})`)
      .get(...jobs.map((j) => Number(j.jobId))) as { n: number };
    const allowed = [d2.address, d3.address, R.address].map((a) => a.toLowerCase());
    for (const d of done) expect(allowed).toContain(d.prover.toLowerCase());
    expect(done.reduce((s, d) => s + d.n, 0)).toBe(chunks.n);
    const rewards: Record<string, bigint> = {};
    for (const d of done) {
      rewards[d.prover] = (await c.epochs.read.rewardsOf([d.prover as `0x${string}`])) as bigint;
      expect(rewards[d.prover]).toBeGreaterThan(0n);
    }
    expect(done.some((d) => d.prover.toLowerCase() !== R.address.toLowerCase())).toBe(true);

    const M = R_.scheduler.node(persistent.address)!;
    const hoarded = hoarders.map((a) => R_.scheduler.node(a)).filter((n) => n !== undefined);
    const hoardRejected = hoarded.reduce((s, n) => s + n!.rejected, 0);
    // The figures.
    const lines = ["soak figures:", `  attack: ${(ATTACK_MS / 1000).toFixed(0)} s`];
    lines.push("  requests by attack kind (HTTP status: count; -1 = attacker-side error):");
    for (const [kind, m] of [...counts].sort())
      lines.push(
        `    ${kind.padEnd(30)} ${[...m]
          .sort((a, b) => a[0] - b[0])
          .map(([s, n]) => `${s}: ${n}`)
          .join(", ")}`,
      );
    lines.push(
      `  hoarding keys: ${hoarders.length}, leases they got: ${total("hoard: lease", 200)} ` +
        `(newcomers' pool ${NEWCOMER_LEASES}; most held at once by newcomers: ${newcomersMax}), ` +
        `expired leases counted against them: ${hoardRejected}`,
    );
    lines.push(
      `  bad-proof key ${persistent.address}: rejected ${M.rejected} (suspended from 10 on)`,
    );
    lines.push(
      `  honest proofs accepted: ${done.map((d) => `${d.prover}: ${d.n}`).join(", ")} (of ${chunks.n} chunks)`,
    );
    lines.push(
      `  rewards on chain: ${Object.entries(rewards)
        .map(([a, r]) => `${a}: ${r}`)
        .join(", ")}`,
    );
    for (const j of jobs)
      lines.push(
        `  job ${j.jobId} (epoch ${j.epoch}): submission to settlement ${((settledAt.get(j.jobId)! - submitted) / 1000).toFixed(1)} s, ` +
          `settled ≥ ${deadlines.get(j.jobId)! - settledBy.get(j.jobId)!} s (chain time) before the deadline`,
      );
    lines.push(`  slowest honest GET /v1/status while polling: ${honestStatusMs.toFixed(0)} ms`);
    console.log(lines.join("\n"));

    // The attacker: refused everywhere, its bad-proof key suspended, its hoarders counted.
    expect(M.rejected).toBeGreaterThanOrEqual(10);
    expect(M.accepted).toBe(0);
    const last = await signedPost("127.0.0.8", persistent, "/v1/tasks/lease", {});
    expect(last.status).toBe(403);
    expect(last.text).toMatch(/suspended/);
    expect(await c.epochs.read.rewardsOf([persistent.address])).toBe(0n);
    expect(total("proof crediting 0x0", 200)).toBe(0);
    expect(total("invalid proof", 200)).toBe(0);
    expect(total("proof crediting 0x0", 422) + total("invalid proof", 422)).toBeGreaterThanOrEqual(
      10,
    );
    for (const k of ["segment lease, unregistered", "segment lease, API-only ring"]) {
      expect(total(k, 200, 204)).toBe(0);
      expect(total(k, 403)).toBeGreaterThan(0);
    }
    expect(total("unsigned", 200, 204)).toBe(0);
    expect(total("forged", 200, 204)).toBe(0);
    expect(total("forged", 401)).toBeGreaterThan(0);
    expect(total("replayed", 200)).toBe(0);
    expect(total("replayed", 409)).toBeGreaterThan(0);
    expect(total("input: oversized", 200)).toBe(0);
    expect(total("input: oversized", 413)).toBeGreaterThan(0);
    expect(total("input: unsigned", 200)).toBe(0);
    expect(total("GET /v1/status flood", 429)).toBeGreaterThan(0);
    for (const n of hoarded) expect(n!.accepted).toBe(0);
    // Hoarding is bounded by the newcomers' pool: the leases last longer than the attack, so
    // the fresh keys got at most the pool, however many keys they used.
    expect(newcomersMax).toBeLessThanOrEqual(NEWCOMER_LEASES);
    expect(total("hoard: lease", 200)).toBeLessThanOrEqual(NEWCOMER_LEASES);
    expect(total("hoard: lease", 429)).toBeGreaterThan(0);
    // The staked honest delegator was not held back by the pool: it proved chunks.
    expect(
      done.find((d) => d.prover.toLowerCase() === d2.address.toLowerCase())?.n ?? 0,
    ).toBeGreaterThan(0);

    for (const p of honest) p.child.kill("SIGINT");
    await Promise.all(
      honest.map((p) =>
        p.child.exitCode !== null ? undefined : new Promise((r) => p.child.once("exit", r)),
      ),
    );
  }, 2_400_000);
});
