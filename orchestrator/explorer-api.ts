/**
 * The read-only endpoints the web app (web/) needs beyond the delegators' API, under
 * `/v1/app/...`, and the serving of the app itself (web/dist, built by `npm run build`).
 *
 * Nothing here changes the orchestrator's state: the app reads the chain through the user's
 * wallet and sends every transaction from it; the orchestrator only tells what it knows (the
 * deployment and its ABIs, the committed guests and their image IDs, a job's chunks and run).
 *
 * - `GET /v1/app/config`: chain id, contract addresses and ABIs (every contract ABI carries every
 *   error of the system, so a revert decodes by name in the browser), circuit, this node.
 * - `GET /v1/app/guests`: the committed guests (guests/elf) with image ID and size.
 * - `POST /v1/app/prepare` `{ guest | elf (hex), input (hex) }`: the image ID, the arguments of
 *   `registerImage`, the input digest (a job whose input is over 64 bytes commits it on chain
 *   and uploads the bytes after) and the cycle bound to declare (the run executed once, in a
 *   worker process, at most {@link PREPARE_MAX_CYCLES} cycles; 503 when too many wait), the
 *   exit code and output the run will prove.
 * - `GET /v1/app/jobs/:jobId`: what this orchestrator knows of a job: seen on chain, executed,
 *   each chunk's status and prover, the run's exit code, cycles, output and output digest, and
 *   the epoch's submission.
 *
 * Page routes (`/`, `/jobs/7`, `/stake`, …) answer the app's index.html, so every page has a
 * stable URL; when the app was not built, `/` falls back to the read-only dashboard.
 */
import { createHash } from "node:crypto";
import { fromJson } from "./execute-job2.ts";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import express, { type Router } from "express";
import { z } from "zod";
import { loadAbis } from "../client/chain.ts";
import { MAX_INPUT_BYTES } from "../client/orchestrator.ts";
import {
  getPoseidon,
  imageIdOf,
  imageOpening,
  loadElf,
  outputDigest,
} from "../prover/executor/index.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { dashboardHtml } from "./dashboard.ts";
import { JobPreparer, PrepareError } from "./prepare-job.ts";
import { PoolBusyError } from "./worker-pool.ts";

/** Where `npm run build` writes the app. */
export const WEB_DIST = join(REPO_ROOT, "web", "dist");
/** A run prepared for a job from the app is executed here up to this many cycles. */
export const PREPARE_MAX_CYCLES = 5_000_000;
/** Largest ELF the app may upload for preparation (the chain's own limit is its gas). */
const MAX_ELF_BYTES = 256 * 1024;
/** Paths of the app's pages (client-side routes), answered with its index.html. */
const PAGE_ROUTES = [
  "/",
  "/stake",
  "/orchestrate",
  "/submit",
  "/jobs",
  "/jobs/:jobId",
  "/epochs",
  "/rings",
];

export interface ExplorerDeps {
  db: DatabaseSync;
  info: () => Record<string, unknown>;
}

class AppRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const Hex = z.string().regex(/^(0x)?([0-9a-fA-F]{2})*$/, "hex bytes");
const PrepareBody = z
  .object({
    guest: z
      .string()
      .regex(/^[a-z0-9_-]{1,40}$/)
      .optional(),
    elf: Hex.max(2 + MAX_ELF_BYTES * 2).optional(),
    input: Hex.max(2 + MAX_INPUT_BYTES * 2),
  })
  .refine((b) => (b.guest === undefined) !== (b.elf === undefined), "either guest or elf");

const bytesOf = (hex: string) => new Uint8Array(Buffer.from(hex.replace(/^0x/, ""), "hex"));
const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}`;

/** The committed guests: name → ELF bytes. */
function committedGuests(): Map<string, Uint8Array> {
  const dir = join(REPO_ROOT, "guests", "elf");
  const m = new Map<string, Uint8Array>();
  for (const f of readdirSync(dir).sort())
    if (f.endsWith(".elf")) m.set(f.slice(0, -4), new Uint8Array(readFileSync(join(dir, f))));
  return m;
}

/** The image ID of a committed guest (trusted bytes: computed here, once per guest). */
async function imageIdOfElf(elf: Uint8Array): Promise<bigint> {
  return imageIdOf(await getPoseidon(), await imageOpening(loadElf(elf)));
}

export function explorerRouter(d: ExplorerDeps): Router {
  const r = express.Router();
  let preparer: JobPreparer | undefined;
  let guestList: Promise<{ name: string; imageId: string; bytes: number }[]> | undefined;

  r.get("/v1/app/config", (_req, res) => {
    const info = d.info();
    res.json({
      chainId: info.chainId,
      circuit: info.circuit,
      orchestrator: info.address,
      parent: info.parent ?? null,
      contracts: info.contracts ?? null,
      deploymentBlock: info.deploymentBlock ?? null,
      // Each contract's own ABI plus every error of the system, as the node client binds them.
      abis: loadAbis(),
    });
  });

  r.get("/v1/app/guests", async (_req, res) => {
    guestList ??= (async () => {
      const out = [];
      for (const [name, elf] of committedGuests()) {
        const imageId = await imageIdOfElf(elf);
        out.push({ name, imageId: imageId.toString(), bytes: elf.length });
      }
      return out;
    })();
    res.json(await guestList);
  });

  r.post("/v1/app/prepare", express.json({ limit: "1mb" }), async (req, res) => {
    const parsed = PrepareBody.safeParse(req.body);
    if (!parsed.success)
      throw new AppRequestError(400, parsed.error.issues.map((i) => i.message).join("; "));
    const b = parsed.data;
    let elf: Uint8Array;
    if (b.guest !== undefined) {
      const g = committedGuests().get(b.guest);
      if (!g) throw new AppRequestError(404, `no committed guest named ${b.guest}`);
      elf = g;
    } else elf = bytesOf(b.elf!);
    if (elf.length > MAX_ELF_BYTES)
      throw new AppRequestError(413, `an ELF is at most ${MAX_ELF_BYTES} bytes here`);
    preparer ??= new JobPreparer();
    let p;
    try {
      p = await preparer.prepare({ elf, input: bytesOf(b.input), maxCycles: PREPARE_MAX_CYCLES });
    } catch (e) {
      if (e instanceof PrepareError) throw new AppRequestError(422, e.message);
      if (e instanceof PoolBusyError)
        throw new AppRequestError(503, "busy preparing other jobs; retry in a moment");
      throw e;
    }
    res.json({
      imageId: p.imageId,
      registerImage: { ...p.registerImage, elf: hexOf(elf) },
      inputDigest: p.inputDigest,
      cycleBound: String(Math.max(1, p.cycles)),
      exitCode: p.exitCode,
      output: hexOf(p.output),
    });
  });

  r.get("/v1/app/jobs/:jobId", async (req, res) => {
    const id = Number(req.params.jobId);
    if (!Number.isSafeInteger(id) || id < 0) throw new AppRequestError(400, "invalid job id");
    const intake = d.db
      .prepare(
        "SELECT id, epoch, image_id, input IS NOT NULL AS has_input FROM intake WHERE id = ?",
      )
      .get(id) as { id: number; epoch: number; image_id: string; has_input: number } | undefined;
    const job = d.db
      .prepare(
        "SELECT id, epoch, image_id, status, chunks, run, error, tx_hash, created_at, proven_at FROM jobs WHERE id = ? AND parent_lease IS NULL",
      )
      .get(id) as
      | {
          id: number;
          epoch: number;
          status: string;
          chunks: number;
          run: string | null;
          error: string | null;
          tx_hash: string | null;
          created_at: number;
          proven_at: number | null;
        }
      | undefined;
    const tasks = job
      ? (d.db
          .prepare(
            "SELECT idx, status, prover, proved_at, attempts FROM tasks WHERE job_id = ? ORDER BY idx",
          )
          .all(id) as { idx: number; status: string; prover: string | null }[])
      : [];
    let run = null;
    if (job?.run) {
      const r = JSON.parse(job.run) as {
        kind?: string;
        job?: string;
        final?: { exitCode: number; cycles: number; outputDigest: string };
        output?: string;
      };
      const output = r.output ?? "";
      // A versioned-cells job's record (execute-job2.ts): its final state is in its public
      // values, and its output digest is the bytes' SHA-256, as the chain records it.
      const final =
        r.kind === "job2" && r.job
          ? fromJson<{ final: { exitCode: number; cycles: number } }>(r.job).final
          : r.final;
      run = {
        exitCode: final?.exitCode ?? null,
        cycles: final !== undefined ? String(final.cycles) : null,
        output: `0x${output}`,
        /** The digest of these output bytes, recomputed here (the app compares it with the chain's). */
        outputDigest:
          r.kind === "job2"
            ? BigInt(`0x${createHash("sha256").update(bytesOf(output)).digest("hex")}`).toString()
            : (await outputDigest(bytesOf(output))).toString(),
      };
    }
    const epochNo = job?.epoch ?? intake?.epoch;
    const epoch =
      epochNo === undefined
        ? null
        : (d.db
            .prepare(
              "SELECT epoch, status, jobs, chunks, tx_hash, gas, error, updated_at FROM epochs WHERE epoch = ?",
            )
            .get(epochNo) ?? null);
    res.json({
      id,
      seen: Boolean(intake || job),
      inputKnown: intake ? Boolean(intake.has_input) : Boolean(job),
      job: job ? { ...job, run: undefined } : null,
      tasks,
      run,
      epoch,
    });
  });

  // The app itself.
  const indexFile = join(WEB_DIST, "index.html");
  r.use("/assets", express.static(join(WEB_DIST, "assets"), { fallthrough: false, maxAge: 0 }));
  r.get(PAGE_ROUTES, (_req, res) => {
    if (existsSync(indexFile)) res.type("html").sendFile(indexFile);
    else res.type("html").send(dashboardHtml());
  });

  r.use(
    "/v1/app",
    (err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (err instanceof AppRequestError) res.status(err.status).json({ error: err.message });
      else next(err);
    },
  );
  return r;
}
