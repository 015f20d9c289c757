/**
 * The orchestrator's HTTP API (express, /v1). Handlers are thin: they validate the body with
 * the schemas of api.ts, check the signature (auth.ts) and the node's rate limit, and call the
 * scheduler or the chain service; every refusal is a JSON `{ error }` with a 4xx status.
 *
 * Rate limits (rate-limit.ts) are keyed by who is speaking, never by a header the caller
 * chooses: every request first spends a token of its peer's socket address (`ip:…`); a request
 * whose signature verifies gets that token back and spends one of its signer's (`node:…`)
 * instead. So unsigned requests, and requests whose signature fails, are limited per peer
 * address, and a node's budget follows its key wherever it connects from. A peer whose bucket
 * is empty cannot make the orchestrator parse bodies or recover signatures any more.
 */
import type { DatabaseSync } from "node:sqlite";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { LocalAccount } from "viem/accounts";
import { z } from "zod";
import type { Address } from "../prover/zkvm/prover.ts";
import {
  BundleBody,
  JobIdParam,
  SegmentLeaseBody,
  LeaseBody,
  LeaseIdParam,
  RegisterBody,
  ReleaseBody,
  SubmitProofBody,
  CommitmentBody,
  DisputeBody,
  SegmentCommitmentsBody,
  openApiDocument,
} from "./api.ts";
import { AuthError, signatureHeaders, verifyRequest } from "./auth.ts";
import { InputError, MAX_INPUT_BYTES, type InputIntake } from "./inputs.ts";
import type { Metrics } from "./metrics.ts";
import { RateLimiter } from "./rate-limit.ts";
import { signLeaseReceipt } from "./receipts.ts";
import { SchedulerError, type Scheduler } from "./scheduler.ts";
import { explorerRouter } from "./explorer-api.ts";

export interface AppDeps {
  db: DatabaseSync;
  scheduler: Scheduler;
  /** Whether a delegator has stake behind its key (more leases; see scheduler.ts). */
  stakeCheck?: { staked(address: Address): Promise<boolean> };
  /** Inputs of jobs submitted by digest (a root that follows a chain). */
  inputs?: InputIntake;
  metrics: Metrics;
  log: Logger;
  info: () => Record<string, unknown>;
  /** The node's key: signs a receipt for every chunk lease (see receipts.ts). */
  account?: Pick<LocalAccount, "address" | "signMessage">;
  /** Requests per second per node (signed) or per peer address (unsigned), and burst. */
  rateLimit?: { rate: number; burst: number };
  /** The limiter itself (tests inspect it); built from `rateLimit` when absent. */
  limiter?: RateLimiter;
  maxBodyBytes?: number;
}

/** A 4xx answer. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues?: unknown[],
  ) {
    super(message);
  }
}

type RawRequest = Request & { rawBody?: Buffer };

export function createApp(d: AppDeps) {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  const limiter = d.limiter ?? new RateLimiter(d.rateLimit?.rate ?? 50, d.rateLimit?.burst ?? 100);
  const limit = d.maxBodyBytes ?? 4 * 1024 * 1024;
  const peerKey = (req: Request) => `ip:${req.socket.remoteAddress ?? "?"}`;

  app.use((req, res, next) => {
    res.on("finish", () => d.metrics.http.inc({ status: String(res.statusCode) }));
    if (!limiter.take(peerKey(req))) {
      res.status(429).json({ error: `rate limited: ${req.socket.remoteAddress}, slow down` });
      return;
    }
    next();
  });

  const body = <T extends z.ZodType>(schema: T, req: Request): z.infer<T> => {
    if (!req.is("application/json")) throw new HttpError(415, "expected an application/json body");
    const r = schema.safeParse(req.body);
    if (!r.success) throw new HttpError(400, "invalid body", r.error.issues);
    return r.data;
  };
  /** The verified signer, charged for the request instead of its peer address. */
  const signer = async (req: RawRequest): Promise<Address> => {
    // The signature covers the exact body bytes, which only JSON bodies keep.
    if (!req.is("application/json")) throw new HttpError(415, "expected an application/json body");
    return verifiedSigner(req, req.rawBody ?? Buffer.alloc(0));
  };
  const verifiedSigner = async (req: Request, bytes: Buffer): Promise<Address> => {
    const who = await verifyRequest(
      d.db,
      req.method,
      req.originalUrl,
      req.headers,
      new Uint8Array(bytes),
    );
    limiter.refund(peerKey(req));
    if (!limiter.take(`node:${who}`)) throw new HttpError(429, `rate limited: ${who}, slow down`);
    return who;
  };
  const param = <T extends z.ZodType>(schema: T, v: unknown, what: string): z.infer<T> => {
    const r = schema.safeParse(v);
    if (!r.success) throw new HttpError(400, `invalid ${what}`, r.error.issues);
    return r.data;
  };
  // Express 5 forwards rejected promises to the error handler.
  const route =
    (fn: (req: RawRequest, res: Response) => Promise<void> | void) =>
    async (req: Request, res: Response) => {
      await fn(req as RawRequest, res);
    };

  // Job inputs, before the JSON parser: everything that needs no body is checked first, so an
  // oversized, unsigned or pointless upload is refused unread (and its connection closed).
  app.post(
    "/v1/jobs/:jobId/input",
    (req, res, next) => {
      const id = param(JobIdParam, req.params.jobId, "job id");
      if (Number(req.headers["content-length"] ?? 0) > MAX_INPUT_BYTES) {
        res.set("connection", "close");
        throw new HttpError(413, `an input is at most ${MAX_INPUT_BYTES} bytes`);
      }
      const type = String(req.headers["content-type"] ?? "")
        .split(";")[0]!
        .trim();
      if (type.toLowerCase() !== "application/octet-stream") {
        res.set("connection", "close");
        throw new HttpError(415, "expected an application/octet-stream body");
      }
      signatureHeaders(req.headers);
      if (!d.inputs) throw new HttpError(404, "this orchestrator does not follow a chain");
      d.inputs.expect(id);
      next();
    },
    // Also bounds a body sent without a content-length (chunked): 413 past the limit.
    express.raw({ type: "application/octet-stream", limit: MAX_INPUT_BYTES }),
    route(async (req, res) => {
      const id = param(JobIdParam, req.params.jobId, "job id");
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      await verifiedSigner(req, bytes);
      await d.inputs!.provide(id, new Uint8Array(bytes));
      res.json({ stored: id, bytes: bytes.length });
    }),
  );
  app.use(
    express.json({
      limit,
      strict: true,
      type: "application/json",
      verify: (req, _res, buf) => {
        (req as RawRequest).rawBody = buf;
      },
    }),
  );

  app.get("/v1/openapi.json", (req, res) => {
    res.json(openApiDocument(`${req.protocol}://${req.get("host")}`));
  });
  app.get("/v1/status", (_req, res) => {
    res.json({ ...d.info(), ...d.scheduler.counts() });
  });
  app.get("/v1/nodes", (_req, res) => {
    res.json(d.db.prepare("SELECT * FROM nodes ORDER BY registered_at").all());
  });
  app.get("/v1/epochs", (_req, res) => {
    res.json(d.db.prepare("SELECT * FROM epochs ORDER BY epoch DESC LIMIT 100").all());
  });
  app.get("/v1/throughput", (_req, res) => {
    // Accepted chunk proofs per minute, the last hour.
    res.json(
      d.db
        .prepare(
          `SELECT (proved_at / 60000) * 60000 AS minute, COUNT(*) AS proofs FROM tasks
           WHERE proved_at IS NOT NULL AND proved_at > ? GROUP BY minute ORDER BY minute`,
        )
        .all(Date.now() - 3_600_000),
    );
  });
  app.get("/v1/jobs", (_req, res) => {
    res.json(
      d.db
        .prepare(
          `SELECT j.id, j.epoch, j.status, j.chunks, j.error, j.tx_hash,
             (SELECT COUNT(*) FROM tasks t WHERE t.job_id = j.id AND t.status = 'done') AS proven
           FROM jobs j ORDER BY j.id DESC LIMIT 100`,
        )
        .all(),
    );
  });
  app.get(
    "/v1/jobs/:jobId",
    route((req, res) => {
      const id = param(JobIdParam, req.params.jobId, "job id");
      const job = d.db
        .prepare(
          "SELECT id, epoch, image_id, status, chunks, error, tx_hash, created_at, proven_at FROM jobs WHERE id = ?",
        )
        .get(id);
      if (!job) throw new HttpError(404, `job ${id} is not known to this orchestrator`);
      const tasks = d.db
        .prepare("SELECT status, COUNT(*) AS n FROM tasks WHERE job_id = ? GROUP BY status")
        .all(id);
      res.json({ ...job, tasks });
    }),
  );
  app.get("/metrics", async (_req, res) => {
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });
  // The web app (web/, served from web/dist) and its read-only endpoints (/v1/app/...).
  app.use(explorerRouter({ db: d.db, info: d.info }));

  app.post(
    "/v1/nodes",
    route(async (req, res) => {
      const who = await signer(req);
      const b = body(RegisterBody, req);
      res.json(d.scheduler.registerNode(who, b.role, b.name ?? ""));
    }),
  );
  app.post(
    "/v1/tasks/lease",
    route(async (req, res) => {
      const who = await signer(req);
      body(LeaseBody, req);
      const staked = d.stakeCheck ? await d.stakeCheck.staked(who) : false;
      const lease = d.scheduler.leaseChunk(who, Date.now(), { staked });
      if (!lease) {
        res.status(204).end();
        return;
      }
      d.metrics.leased.inc();
      const receipt = d.account
        ? await signLeaseReceipt(d.account, {
            leaseId: lease.leaseId,
            jobId: lease.jobId,
            index: lease.index,
            sIn: String(lease.input.sIn),
            sOut: String(lease.input.sOut),
            cyclesRetired: String(lease.input.cyclesRetired),
            prover: who,
            deadline: lease.deadline,
          })
        : undefined;
      res.json({ ...lease, receipt });
    }),
  );
  app.post(
    "/v1/tasks/:leaseId/proof",
    route(async (req, res) => {
      const who = await signer(req);
      const leaseId = param(LeaseIdParam, req.params.leaseId, "lease id");
      const b = body(SubmitProofBody, req);
      const r = await d.scheduler.submitChunk(who, leaseId, b.proof);
      res.json({ accepted: true, ...r });
    }),
  );
  app.post(
    "/v1/tasks/:leaseId/commitment",
    route(async (req, res) => {
      const who = await signer(req);
      const leaseId = param(LeaseIdParam, req.params.leaseId, "lease id");
      const b = body(CommitmentBody, req);
      res.json({ recorded: true, ...d.scheduler.submitCommitment(who, leaseId, b.commitment) });
    }),
  );
  app.post(
    "/v1/tasks/:leaseId/dispute",
    route(async (req, res) => {
      const who = await signer(req);
      const leaseId = param(LeaseIdParam, req.params.leaseId, "lease id");
      const b = body(DisputeBody, req);
      d.scheduler.dispute(who, leaseId, b.commitment, Date.now(), b.index);
      res.json({ disputed: leaseId });
    }),
  );
  app.post(
    "/v1/segments/lease",
    route(async (req, res) => {
      const who = await signer(req);
      const b = body(SegmentLeaseBody, req);
      const lease = await d.scheduler.leaseSegment(who, b.maxChunks);
      if (!lease) {
        res.status(204).end();
        return;
      }
      d.metrics.leased.inc(lease.tasks.length);
      res.json(lease);
    }),
  );
  app.post(
    "/v1/segments/:leaseId/bundle",
    route(async (req, res) => {
      const who = await signer(req);
      const leaseId = param(LeaseIdParam, req.params.leaseId, "lease id");
      const b = body(BundleBody, req);
      const r = await d.scheduler.submitSegment(
        who,
        leaseId,
        b.proofs.map((p) => ({ ...p, prover: p.prover as Address })),
        Date.now(),
        b.carriers as Address[],
      );
      res.json({ accepted: true, ...r });
    }),
  );
  app.post(
    "/v1/segments/:leaseId/commitments",
    route(async (req, res) => {
      const who = await signer(req);
      const leaseId = param(LeaseIdParam, req.params.leaseId, "lease id");
      const b = body(SegmentCommitmentsBody, req);
      res.json({
        recorded: true,
        ...d.scheduler.submitSegmentCommitments(who, leaseId, b.commitments),
      });
    }),
  );
  app.post(
    "/v1/tasks/:leaseId/release",
    route(async (req, res) => {
      const who = await signer(req);
      const leaseId = param(LeaseIdParam, req.params.leaseId, "lease id");
      body(ReleaseBody, req);
      d.scheduler.releaseLease(who, leaseId);
      res.json({ released: leaseId });
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: "no such endpoint (see /v1/openapi.json)" });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as Error & { status?: number; type?: string; issues?: unknown[] };
    let status = 500;
    const known =
      e instanceof HttpError ||
      e instanceof AuthError ||
      e instanceof SchedulerError ||
      e instanceof InputError;
    if (known) status = e.status;
    else if (typeof e.status === "number" && e.status >= 400 && e.status < 500) status = e.status; // body-parser
    if (!known && status >= 500) d.log.error({ err: e, path: req.path }, "internal error");
    else d.log.debug({ status, path: req.path, error: e.message }, "request refused");
    if (status === 503) res.set("retry-after", "5");
    res.status(status).json({
      error: !known && status >= 500 ? "internal error" : e.message,
      ...(e instanceof HttpError && e.issues ? { issues: e.issues } : {}),
    });
  });
  return app;
}
