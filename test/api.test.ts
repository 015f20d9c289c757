/**
 * The orchestrator's HTTP API over real HTTP (express on a free port, SQLite on disk, no chain):
 * signed requests (unsigned, forged, stale, tampered and replayed ones refused), body
 * validation, a proof for someone else's lease refused and counted, 1,000 bad requests all
 * answered 4xx with the service still up, rate limits, the OpenAPI document and /metrics.
 */
import { randomBytes } from "node:crypto";
import { Agent, request, type Server } from "node:http";
import type { DatabaseSync } from "node:sqlite";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChunkProofSchema } from "../orchestrator/api.ts";
import { HEADERS, signRequest } from "../orchestrator/auth.ts";
import { BatchingVerifier } from "../orchestrator/batch-verifier.ts";
import { OrchestratorClient } from "../orchestrator/client.ts";
import { InputIntake, MAX_INPUT_BYTES } from "../orchestrator/inputs.ts";
import { createMetrics } from "../orchestrator/metrics.ts";
import { RateLimiter } from "../orchestrator/rate-limit.ts";
import { Scheduler, type ChunkLease } from "../orchestrator/scheduler.ts";
import { verifyLeaseReceipt } from "../orchestrator/receipts.ts";
import { createApp } from "../orchestrator/server.ts";
import { openDatabase } from "../orchestrator/store.ts";
import { executeChunked, imageOpening, inputDigest, loadElf } from "../prover/executor/index.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { chunkLimits, runSkeleton } from "../prover/zkvm/run.ts";
import { chunkCircuitConfig, chunkWitness } from "../prover/zkvm/witness.ts";
import { DEFAULT_NETWORK_CIRCUIT } from "../scripts/lib/deploy.ts";
import { getTestArtifacts } from "./helpers/artifacts.ts";
import { GUEST_INPUTS } from "./helpers/guests.ts";

const alice = privateKeyToAccount(generatePrivateKey());
const bob = privateKeyToAccount(generatePrivateKey());
/** The orchestrator's own key: it signs a receipt for every lease. */
const orchestratorKey = privateKeyToAccount(generatePrivateKey());
let server: Server;
let base: string;
let scheduler: Scheduler;
let db: DatabaseSync;

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: r.status, json: (await r.json().catch(() => undefined)) as { error?: string } };
}

/** Serves `app` on a free port of 127.0.0.1; returns its base URL and server. */
async function listen(app: ReturnType<typeof createApp>) {
  const s: Server = await new Promise((r) => {
    const x = app.listen(0, "127.0.0.1", () => r(x));
  });
  return { server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

/**
 * A POST over node:http, so that the test chooses the peer address (any of 127/8 reaches
 * 127.0.0.1 on Linux) and the content-length header.
 */
function rawPost(
  url: string,
  headers: Record<string, string | number>,
  body: Uint8Array | undefined,
  o: { localAddress?: string; agent?: Agent } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", headers, localAddress: o.localAddress, agent: o.agent },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on("error", reject);
    if (body) req.end(body);
  });
}

beforeAll(async () => {
  const artifacts = await getTestArtifacts(DEFAULT_NETWORK_CIRCUIT);
  const config = chunkCircuitConfig(DEFAULT_NETWORK_CIRCUIT);
  const image = loadElf(new Uint8Array(readFileSync(`${REPO_ROOT}/guests/elf/fibonacci.elf`)));
  const exec = await executeChunked(image, GUEST_INPUTS.fibonacci!, chunkLimits(config));
  const opening = await imageOpening(image);
  db = openDatabase(join(mkdtempSync(join(tmpdir(), "concentric-api-")), "o.sqlite"));
  scheduler = new Scheduler(db, new BatchingVerifier(artifacts.vkey), {
    leaseMs: 60_000,
    maxRejected: 1000,
  });
  scheduler.addJob({
    id: 1,
    epoch: 0,
    imageId: exec.imageId.toString(),
    circuit: config.name,
    run: runSkeleton(exec, { config, opening }, artifacts.vkey, alice.address),
    tasks: exec.chunks.map((c) => ({
      index: c.index,
      input: chunkWitness(config, opening, c, 0n),
      sIn: c.sIn.toString(),
      sOut: c.sOut.toString(),
    })),
  });
  const app = createApp({
    db,
    scheduler,
    metrics: createMetrics(),
    log: pino({ level: "silent" }),
    info: () => ({ role: "orchestrator", chainId: 31337 }),
    maxBodyBytes: 64 * 1024,
    account: orchestratorKey,
    // Every key counts as staked here (a stand-in for the chain read, inside a test of the
    // API's signatures and bodies): these tests hold several leases per key; what an unstaked
    // key may lease is tested in test/scheduler.test.ts and the soak test.
    stakeCheck: { staked: async () => true },
  });
  ({ server, url: base } = await listen(app));
}, 1_800_000);

afterAll(() => {
  server?.closeAllConnections();
  server?.close();
});

describe("orchestrator API", () => {
  it("serves its OpenAPI document and status", async () => {
    const doc = await (await fetch(`${base}/v1/openapi.json`)).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/nodes", "/v1/tasks/lease", "/v1/tasks/{leaseId}/proof"]),
    );
    const body =
      doc.paths["/v1/tasks/{leaseId}/proof"].post.requestBody.content["application/json"];
    expect(body.schema.properties.proof.required).toContain("publicSignals");
    const status = await (await fetch(`${base}/v1/status`)).json();
    expect(status.tasks.open).toBeGreaterThan(0);
  });

  it("accepts signed requests and refuses unsigned, forged, stale, tampered and replayed ones", async () => {
    const a = new OrchestratorClient(base, alice);
    expect(await a.register("delegator", "alice-1")).toMatchObject({ address: alice.address });
    const lease = (await a.lease()) as ChunkLease;
    expect(lease.index).toBe(0);
    expect(lease.input.prover).toBe("0");
    // A signed lease receipt: this orchestrator leased exactly this chunk to alice.
    const r = lease.receipt!;
    expect(r).toMatchObject({
      orchestrator: orchestratorKey.address,
      leaseId: lease.leaseId,
      jobId: lease.jobId,
      index: 0,
      sIn: lease.input.sIn,
      sOut: lease.input.sOut,
      prover: alice.address,
    });
    expect(await verifyLeaseReceipt(r, orchestratorKey.address)).toBe(true);
    expect(await verifyLeaseReceipt(r, bob.address)).toBe(false); // another ring's claim
    expect(await verifyLeaseReceipt({ ...r, prover: bob.address })).toBe(false); // re-assigned
    expect(await verifyLeaseReceipt({ ...r, index: 1 })).toBe(false);

    const body = "{}";
    const bytes = new TextEncoder().encode(body);
    expect((await post("/v1/tasks/lease", body)).status).toBe(401);
    const signed = await signRequest(alice, "POST", "/v1/tasks/lease", bytes);
    expect((await post("/v1/tasks/lease", body, signed)).status).toBe(200);
    const replay = await post("/v1/tasks/lease", body, signed);
    expect(replay.status).toBe(409);
    expect(replay.json.error).toMatch(/replayed/);

    // Bob's signature under Alice's address; a body changed after signing; another path.
    const forged = await signRequest(bob, "POST", "/v1/tasks/lease", bytes);
    const r1 = await post("/v1/tasks/lease", body, { ...forged, [HEADERS.address]: alice.address });
    expect(r1.status).toBe(401);
    const tampered = await signRequest(alice, "POST", "/v1/tasks/lease", bytes);
    expect((await post("/v1/tasks/lease", '{ "x": 1 }', tampered)).status).toBe(401);
    const otherPath = await signRequest(alice, "POST", "/v1/nodes", bytes);
    expect((await post("/v1/tasks/lease", body, otherPath)).status).toBe(401);
    const stale = await signRequest(alice, "POST", "/v1/tasks/lease", bytes, Date.now() - 600_000);
    const r2 = await post("/v1/tasks/lease", body, stale);
    expect(r2.status).toBe(401);
    expect(r2.json.error).toMatch(/stale/);

    // Unregistered signer.
    await expect(new OrchestratorClient(base, bob).lease()).rejects.toMatchObject({ status: 403 });
  });

  it("validates bodies and counts a proof for someone else's lease", async () => {
    const a = new OrchestratorClient(base, alice);
    const b = new OrchestratorClient(base, bob);
    await b.register("delegator");
    const lease = (await a.lease()) as ChunkLease;
    const signedPost = async (path: string, body: string, ct = "application/json") => {
      const h = await signRequest(bob, "POST", path, new TextEncoder().encode(body));
      const r = await fetch(base + path, {
        method: "POST",
        headers: { ...h, "content-type": ct },
        body,
      });
      return { status: r.status, json: (await r.json()) as { error: string; issues?: unknown[] } };
    };
    const garbage = await signedPost("/v1/tasks/lease", "{not json");
    expect(garbage.status).toBe(400);
    expect((await signedPost("/v1/tasks/lease", "{}", "text/plain")).status).toBe(415);
    const extra = await signedPost("/v1/tasks/lease", '{"give":"me everything"}');
    expect(extra.status).toBe(400);
    const path = `/v1/tasks/${lease.leaseId}/proof`;
    const noProof = await signedPost(path, '{"proof":{"circuit":"x"}}');
    expect(noProof.status).toBe(400);
    expect(noProof.json.issues?.length).toBeGreaterThan(0);
    expect((await signedPost("/v1/tasks/not-a-lease/proof", "{}")).status).toBe(400);
    const big = await signedPost(
      "/v1/nodes",
      JSON.stringify({ role: "delegator", name: "x".repeat(100_000) }),
    );
    expect(big.status).toBe(413);

    // A well-formed proof object on Alice's lease, from Bob: refused and counted.
    const fake = {
      circuit: lease.circuit,
      index: lease.index,
      // As many signals as the wire format's first form has (the chunk circuit's public inputs).
      publicSignals: ChunkProofSchema.shape.publicSignals.def.options[0].def.items.map((_, i) =>
        String(i + 1),
      ),
      proof: {
        pi_a: ["1", "2", "1"],
        pi_b: [
          ["1", "0"],
          ["1", "0"],
          ["1", "0"],
        ],
        pi_c: ["1", "2", "1"],
        protocol: "groth16",
        curve: "bn128",
      },
    };
    await expect(b.submit(lease.leaseId, fake as never)).rejects.toMatchObject({ status: 422 });
    expect(scheduler.node(bob.address)!.rejected).toBe(1);
    // Alice's own lease, wrong statement: refused and counted.
    await expect(a.submit(lease.leaseId, fake as never)).rejects.toMatchObject({ status: 422 });
    expect(scheduler.node(alice.address)!.rejected).toBe(1);
  });

  it("answers 1,000 malformed, unsigned or replayed requests with 4xx and stays up", async () => {
    const body = "{}";
    const signed = await signRequest(
      alice,
      "POST",
      "/v1/tasks/lease",
      new TextEncoder().encode(body),
    );
    await post("/v1/tasks/lease", body, signed);
    const kinds: (() => Promise<number>)[] = [
      async () => (await post("/v1/tasks/lease", body, signed)).status, // replay
      async () => (await post("/v1/tasks/lease", body)).status, // unsigned
      async () => (await post("/v1/nodes", "\u0000\u0001garbage")).status,
      async () =>
        (await post("/v1/tasks/lease", body, { ...signed, [HEADERS.signature]: "0x12" })).status,
      async () => (await post(`/v1/tasks/${"a".repeat(32)}/proof`, '{"proof":1}')).status,
      async () => (await fetch(`${base}/v1/jobs/-1`)).status,
      async () => (await fetch(`${base}/v1/nope`, { method: "DELETE" })).status,
      async () => (await post("/v1/tasks/lease", "[".repeat(5000))).status,
    ];
    const statuses: number[] = [];
    for (let i = 0; i < 1000; i += 50)
      statuses.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, j) => kinds[(i + j) % kinds.length]!()),
        )),
      );
    expect(statuses).toHaveLength(1000);
    const bad = statuses.filter((s) => s < 400 || s >= 500);
    expect(bad).toEqual([]);
    // Still up (after a second for the per-IP bucket to refill), and a good request from
    // another node still works.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await fetch(`${base}/v1/status`)).status).toBe(200);
    const carol = new OrchestratorClient(base, privateKeyToAccount(generatePrivateKey()));
    expect(await carol.register("delegator")).toMatchObject({ role: "delegator" });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/concentric_http_responses_total\{status="409"\} \d+/);
    expect(metrics).toMatch(/concentric_tasks_leased_total \d+/);
  });

  it("rate-limits a node that floods", async () => {
    const dave = privateKeyToAccount(generatePrivateKey());
    const body = JSON.stringify({ role: "delegator" });
    const signed = await Promise.all(
      Array.from({ length: 300 }, () =>
        signRequest(dave, "POST", "/v1/nodes", new TextEncoder().encode(body)),
      ),
    );
    const statuses = (await Promise.all(signed.map((h) => post("/v1/nodes", body, h)))).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(100);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
  });

  it("keys rate limits on the verified signer and the peer address: 10,000 forged headers reset no one", async () => {
    // Nothing refills during the test (one token per 100 s).
    const limiter = new RateLimiter(0.01, 5);
    const app = createApp({
      db,
      scheduler,
      metrics: createMetrics(),
      log: pino({ level: "silent" }),
      info: () => ({}),
      limiter,
    });
    const { server: s, url } = await listen(app);
    try {
      const register = async (who: typeof alice) => {
        const body = new TextEncoder().encode(JSON.stringify({ role: "delegator" }));
        const h = await signRequest(who, "POST", "/v1/nodes", body);
        return rawPost(`${url}/v1/nodes`, { ...h, "content-type": "application/json" }, body);
      };
      const dave = privateKeyToAccount(generatePrivateKey());
      const daves: { status: number; text: string }[] = [];
      for (let i = 0; i < 6; i++) daves.push(await register(dave));
      expect(daves.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
      expect(daves[5]!.text).toContain(dave.address);

      // Another peer sends 10,000 requests, each naming a fresh address in the headers: half
      // with a well-formed signature that does not verify, half with the address header alone.
      const bucketsBefore = limiter.size;
      const agent = new Agent({ keepAlive: true, maxSockets: 32 });
      const statuses: number[] = [];
      for (let i = 0; i < 10_000; i += 250)
        statuses.push(
          ...(
            await Promise.all(
              Array.from({ length: 250 }, (_, j) => {
                const forged = `0x${randomBytes(20).toString("hex")}`;
                const headers: Record<string, string> = {
                  "content-type": "application/json",
                  [HEADERS.address]: forged,
                };
                if ((i + j) % 2 === 0)
                  Object.assign(headers, {
                    [HEADERS.timestamp]: String(Date.now()),
                    [HEADERS.nonce]: "0".repeat(32),
                    [HEADERS.signature]: `0x${"1b".repeat(65)}`,
                  });
                return rawPost(
                  `${url}/v1/nodes`,
                  headers,
                  new TextEncoder().encode('{"role":"delegator"}'),
                  { localAddress: "127.0.0.2", agent },
                );
              }),
            )
          ).map((r) => r.status),
        );
      agent.destroy();
      expect(statuses).toHaveLength(10_000);
      expect(statuses.filter((x) => x !== 401 && x !== 429)).toEqual([]);
      expect(statuses.filter((x) => x === 429).length).toBeGreaterThan(9_900);
      // One new bucket (the peer's), none per forged address; Dave's is still empty.
      expect(limiter.size).toBe(bucketsBefore + 1);
      expect(limiter.tokens(`node:${dave.address}`)).toBeLessThan(1);
      const again = await register(dave);
      expect(again.status).toBe(429);
      expect(again.text).toContain(dave.address);
      // The honest path: a new node on Dave's peer address has its own budget.
      expect((await register(privateKeyToAccount(generatePrivateKey()))).status).toBe(200);
    } finally {
      s.closeAllConnections();
      s.close();
    }
  });
});

describe("job inputs", () => {
  let intake: InputIntake;
  let s: Server;
  let url: string;
  const announce = (id: number, digest: bigint) =>
    db
      .prepare(
        "INSERT INTO intake (id, epoch, image_id, input_digest, s0) VALUES (?, 0, '1', ?, '1')",
      )
      .run(id, digest.toString());
  const stored = (id: number) =>
    (db.prepare("SELECT input FROM intake WHERE id = ?").get(id) as { input: Uint8Array | null })
      .input;
  /** A signed upload of `bytes`, optionally sent as other bytes or under other headers. */
  const upload = async (
    id: number,
    bytes: Uint8Array,
    o: { send?: Uint8Array; headers?: Record<string, string>; signer?: typeof alice } = {},
  ) => {
    const path = `/v1/jobs/${id}/input`;
    const h = await signRequest(o.signer ?? alice, "POST", path, bytes);
    const r = await fetch(url + path, {
      method: "POST",
      headers: { ...h, "content-type": "application/octet-stream", ...o.headers },
      body: (o.send ?? bytes) as Uint8Array<ArrayBuffer>,
    });
    return { status: r.status, json: (await r.json()) as { error?: string } };
  };

  beforeAll(async () => {
    intake = new InputIntake(db);
    const app = createApp({
      db,
      scheduler,
      inputs: intake,
      metrics: createMetrics(),
      log: pino({ level: "silent" }),
      info: () => ({ role: "orchestrator" }),
      // The test polls /v1/status often; the limits are not what it checks.
      rateLimit: { rate: 1000, burst: 1000 },
    });
    ({ server: s, url } = await listen(app));
  });

  afterAll(async () => {
    s?.closeAllConnections();
    s?.close();
    await intake?.close();
  });

  it("stores a signed input of the largest size, hashed off the event loop: /v1/status answers meanwhile", async () => {
    const big = new Uint8Array(MAX_INPUT_BYTES).map((_, i) => (i * 31 + 7) & 0xff);
    announce(101, await inputDigest(big)); // the reference digest, computed here
    const small = new TextEncoder().encode("hello, prover");
    announce(100, await inputDigest(small));
    expect(await new OrchestratorClient(url, bob).provideInput(100, small)).toEqual({
      stored: 100,
      bytes: small.length,
    });

    let done = false;
    const t0 = performance.now();
    const pending = new OrchestratorClient(url, alice)
      .provideInput(101, big)
      .finally(() => (done = true));
    const latencies: number[] = [];
    while (!done) {
      const t = performance.now();
      const r = await fetch(`${url}/v1/status`);
      expect(r.status).toBe(200);
      await r.json();
      latencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await pending).toEqual({ stored: 101, bytes: MAX_INPUT_BYTES });
    const hashingMs = performance.now() - t0;
    expect(Buffer.from(stored(101)!).equals(Buffer.from(big))).toBe(true);
    // Hashing 64 KiB takes seconds; the status answered all along, each time within 100 ms.
    expect(hashingMs).toBeGreaterThan(500);
    expect(latencies.length).toBeGreaterThan(10);
    expect(Math.max(...latencies)).toBeLessThan(100);
  });

  it("refuses an oversized upload with 413 from its content-length, before reading it", async () => {
    const t0 = performance.now();
    const r = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${url}/v1/jobs/102/input`,
        {
          method: "POST",
          headers: {
            "content-type": "application/octet-stream",
            "content-length": 100 * 1024 * 1024,
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            resolve({ status: res.statusCode!, text });
            req.destroy();
          });
        },
      );
      req.on("error", reject);
      req.write(new Uint8Array(1024)); // 1 KiB of the announced 100 MiB, never the rest
    });
    expect(r.status).toBe(413);
    expect(r.text).toContain(`at most ${MAX_INPUT_BYTES} bytes`);
    expect(performance.now() - t0).toBeLessThan(1000);
    // Without a content-length (chunked), the body is cut at the limit.
    announce(102, 1n);
    const over = new Uint8Array(MAX_INPUT_BYTES + 1);
    const path = "/v1/jobs/102/input";
    const h = await signRequest(alice, "POST", path, over);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        url + path,
        { method: "POST", headers: { ...h, "content-type": "application/octet-stream" } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on("error", reject);
      for (let i = 0; i < over.length; i += 4096) req.write(over.subarray(i, i + 4096));
      req.end();
    });
    expect(chunked).toBe(413);
    expect(stored(102)).toBeNull();
  });

  it("refuses unsigned, forged, mismatched, unexpected and repeated uploads", async () => {
    announce(103, await inputDigest(new Uint8Array([1, 2, 3])));
    const right = new Uint8Array([1, 2, 3]);
    const unsigned = await fetch(`${url}/v1/jobs/103/input`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: right,
    });
    expect(unsigned.status).toBe(401);
    // Bob's signature under Alice's address; bytes changed after signing.
    const forged = await upload(103, right, {
      signer: bob,
      headers: { [HEADERS.address]: alice.address },
    });
    expect(forged.status).toBe(401);
    expect((await upload(103, right, { send: new Uint8Array([1, 2, 4]) })).status).toBe(401);
    expect(
      (await upload(103, right, { headers: { "content-type": "application/json" } })).status,
    ).toBe(415);
    // Signed, but not the job's input: hashed, then refused.
    const wrong = await upload(103, new Uint8Array([3, 2, 1]));
    expect(wrong.status).toBe(422);
    expect(wrong.json.error).toMatch(/input digest/);
    expect(stored(103)).toBeNull();
    expect((await upload(999, right)).status).toBe(404);
    expect((await upload(103, right)).status).toBe(200);
    expect((await upload(103, right)).status).toBe(409);
  });
});
