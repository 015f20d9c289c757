/**
 * The /v1 wire format: zod schemas of every request body and response the orchestrator
 * speaks, shared by the server (validation, OpenAPI document) and its clients (the delegator
 * daemon, child orchestrators). Field elements and coordinates travel as decimal strings; their
 * ranges (below the scalar field / base field modulus) are checked by the verifier, and public
 * signals must equal the task's canonical decimals exactly, so aliases (x + r) are refused.
 */
import { z } from "zod";
import { MAX_INPUT_BYTES } from "../client/orchestrator.ts";

/**
 * The largest job input accepted by `POST /v1/jobs/{jobId}/input`, in bytes (64 KiB, the SDK's
 * limit, which the web app checks before uploading). Checking one costs a Poseidon hash per
 * byte (seconds of a core at this size); a longer upload is refused with 413 from its
 * content-length, before it is read.
 */
export { MAX_INPUT_BYTES };

const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "a decimal number without leading 0s");
const g1 = z.tuple([decimal, decimal, decimal]);
const fp2 = z.tuple([decimal, decimal]);

export const Groth16ProofSchema = z.object({
  pi_a: g1,
  pi_b: z.tuple([fp2, fp2, fp2]),
  pi_c: g1,
  protocol: z.literal("groth16"),
  curve: z.literal("bn128"),
});

export const ChunkProofSchema = z.object({
  circuit: z.string().min(1).max(100),
  index: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31),
  // the chunk circuit's five (sIn, sOut, imageId, prover, cyclesRetired), or a versioned-cells
  // chunk's eight (then commitment, gammaJob, jobSum)
  publicSignals: z.union([
    z.tuple([decimal, decimal, decimal, decimal, decimal]),
    z.tuple([decimal, decimal, decimal, decimal, decimal, decimal, decimal, decimal]),
  ]),
  proof: Groth16ProofSchema,
});

export const RegisterBody = z.strictObject({
  role: z.enum(["delegator", "orchestrator"]),
  name: z
    .string()
    .max(64)
    .regex(/^[\w .:@-]*$/, "letters, digits, space and . : @ - _")
    .optional(),
});

export const LeaseBody = z.strictObject({});

export const SubmitProofBody = z.strictObject({ proof: ChunkProofSchema });

export const ReleaseBody = z.strictObject({});

/** A versioned-cells chunk's round-1 commitment (CommitmentBody) or a dispute of one. */
export const CommitmentBody = z.strictObject({ commitment: decimal });

/** A dispute: the disputer's own commitment; a ring names the chunk of its segment lease. */
export const DisputeBody = z.strictObject({
  commitment: decimal,
  index: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .optional(),
});

/** A child ring's round-1 commitments for a segment of versioned-cells chunks. */
export const SegmentCommitmentsBody = z.strictObject({
  commitments: z
    .array(
      z.strictObject({
        index: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31),
        commitment: decimal,
        /** Reported by a key the ring did not trust (a newcomer): the parent checks it. */
        unchecked: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(4096),
});

export const SegmentLeaseBody = z.strictObject({
  maxChunks: z.number().int().min(1).max(4096),
});

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "a 20-byte address");

/** Most orchestrators a bundle may name as having carried its chunks below the sender. */
export const MAX_BUNDLE_CARRIERS = 64;

export const BundleBody = z.strictObject({
  /** Rings below the sender that carried chunks of this bundle (the sender is implied). */
  carriers: z.array(address).max(MAX_BUNDLE_CARRIERS).default([]),
  proofs: z
    .array(
      z.strictObject({
        index: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31),
        prover: address,
        proof: Groth16ProofSchema,
        /** A versioned-cells chunk's share of the job-wide sum (its proof's eighth signal). */
        jobSum: decimal.optional(),
      }),
    )
    .min(1)
    .max(4096),
});

export const LeaseIdParam = z.string().regex(/^[0-9a-f]{32}$/, "a lease id (32 hex digits)");

export const JobIdParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ChunkLeaseSchema = z.object({
  leaseId: z.string(),
  deadline: z.number(),
  jobId: z.number(),
  index: z.number(),
  circuit: z.string(),
  input: z.record(z.string(), z.unknown()),
  program: z
    .object({ keySet: z.string(), elf: z.string(), input: z.string() })
    .optional()
    .describe("a versioned-cells chunk's job program: ELF (base64), input (hex), key set"),
});

export const ErrorSchema = z.object({ error: z.string(), issues: z.array(z.unknown()).optional() });

const json = (s: z.ZodType) => ({ "application/json": { schema: z.toJSONSchema(s) } });

const signedHeaders = [
  ["x-concentric-address", "The caller's address (checksummed or lowercase)."],
  ["x-concentric-timestamp", "Milliseconds since 1970; within 120 s of the server's clock."],
  ["x-concentric-nonce", "32 lowercase hex digits, never reused."],
  ["x-concentric-signature", "EIP-191 signature of the canonical request text (see auth.ts)."],
].map(([name, description]) => ({
  name,
  in: "header",
  required: true,
  description,
  schema: { type: "string" },
}));

const errors = {
  "400": { description: "Malformed body or parameters", content: json(ErrorSchema) },
  "401": { description: "Unsigned, badly signed or stale request", content: json(ErrorSchema) },
  "409": {
    description: "Replayed request, or the lease is no longer valid",
    content: json(ErrorSchema),
  },
  "429": {
    description:
      "Rate limited (per signer, or per peer address when unsigned); for a node without an " +
      "accepted proof, also the verification budget all such nodes share; on a lease, the " +
      "node already holds as many leases as one node may (deliver or release one first)",
    content: json(ErrorSchema),
  },
};

/** The OpenAPI 3.1 document served at /v1/openapi.json. */
export function openApiDocument(serverUrl: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Concentric orchestrator",
      version: "1",
      description:
        "Leases chunk tasks to delegators (and segments to child orchestrators), accepts " +
        "their Groth16 chunk proofs after verifying them, and settles epochs on chain.",
    },
    servers: [{ url: serverUrl }],
    paths: {
      "/v1/status": {
        get: {
          summary: "Orchestrator, chain and queue status",
          responses: { "200": { description: "Status" } },
        },
      },
      "/v1/nodes": {
        post: {
          summary: "Register the signing node (delegator or child orchestrator)",
          parameters: signedHeaders,
          requestBody: { required: true, content: json(RegisterBody) },
          responses: { "200": { description: "The node record" }, ...errors },
        },
        get: {
          summary: "Registered nodes with their accepted/rejected counts",
          responses: { "200": { description: "Nodes" } },
        },
      },
      "/v1/tasks/lease": {
        post: {
          summary: "Lease the next chunk to prove",
          parameters: signedHeaders,
          requestBody: { required: true, content: json(LeaseBody) },
          responses: {
            "200": { description: "A chunk lease", content: json(ChunkLeaseSchema) },
            "204": { description: "Nothing to prove now" },
            "403": { description: "Not registered, or suspended", content: json(ErrorSchema) },
            ...errors,
          },
        },
      },
      "/v1/tasks/{leaseId}/proof": {
        post: {
          summary: "Submit the proof of a leased chunk",
          parameters: [
            { name: "leaseId", in: "path", required: true, schema: { type: "string" } },
            ...signedHeaders,
          ],
          requestBody: { required: true, content: json(SubmitProofBody) },
          responses: {
            "200": { description: "Accepted" },
            "404": { description: "Unknown lease", content: json(ErrorSchema) },
            "422": {
              description: "Wrong statement or invalid proof (counted)",
              content: json(ErrorSchema),
            },
            ...errors,
          },
        },
      },
      "/v1/segments/lease": {
        post: {
          summary:
            "Lease consecutive chunks of one job (active child orchestrators registered on chain under this one; at most the node's segment size)",
          parameters: signedHeaders,
          requestBody: { required: true, content: json(SegmentLeaseBody) },
          responses: {
            "200": { description: "A segment lease: its chunks with their circuit inputs" },
            "204": { description: "Nothing to prove now" },
            "403": {
              description:
                "Not a registered orchestrator, not an active ring under this one on chain, or suspended",
              content: json(ErrorSchema),
            },
            "503": {
              description: "The chain cannot be read to check the ring: retry later",
              content: json(ErrorSchema),
            },
            ...errors,
          },
        },
      },
      "/v1/segments/{leaseId}/bundle": {
        post: {
          summary: "Return a segment's chunk proofs, each naming the prover it binds",
          parameters: [
            { name: "leaseId", in: "path", required: true, schema: { type: "string" } },
            ...signedHeaders,
          ],
          requestBody: { required: true, content: json(BundleBody) },
          responses: {
            "200": { description: "Every chunk accepted" },
            "422": {
              description: "A wrong or invalid proof: the bundle is refused (counted)",
              content: json(ErrorSchema),
            },
            ...errors,
          },
        },
      },
      "/v1/tasks/{leaseId}/commitment": {
        post: {
          summary: "Report the round-1 commitment of a leased versioned-cells chunk",
          parameters: [
            { name: "leaseId", in: "path", required: true, schema: { type: "string" } },
            ...signedHeaders,
          ],
          requestBody: { required: true, content: json(CommitmentBody) },
          responses: {
            "200": { description: "Recorded" },
            "404": { description: "Unknown lease", content: json(ErrorSchema) },
            ...errors,
          },
        },
      },
      "/v1/tasks/{leaseId}/dispute": {
        post: {
          summary:
            "Dispute the commitment a round-2 chunk was leased with (your own round 1's); the lease is given back",
          parameters: [
            { name: "leaseId", in: "path", required: true, schema: { type: "string" } },
            ...signedHeaders,
          ],
          requestBody: { required: true, content: json(DisputeBody) },
          responses: {
            "200": { description: "Recorded; the orchestrator settles it with its own round 1" },
            ...errors,
          },
        },
      },
      "/v1/segments/{leaseId}/commitments": {
        post: {
          summary: "Deliver the round-1 commitments of a segment of versioned-cells chunks",
          parameters: [
            { name: "leaseId", in: "path", required: true, schema: { type: "string" } },
            ...signedHeaders,
          ],
          requestBody: { required: true, content: json(SegmentCommitmentsBody) },
          responses: { "200": { description: "Recorded" }, ...errors },
        },
      },
      "/v1/tasks/{leaseId}/release": {
        post: {
          summary: "Give a lease back before its deadline",
          parameters: [
            { name: "leaseId", in: "path", required: true, schema: { type: "string" } },
            ...signedHeaders,
          ],
          requestBody: { required: true, content: json(ReleaseBody) },
          responses: { "200": { description: "Released" }, ...errors },
        },
      },
      "/v1/jobs/{jobId}": {
        get: {
          summary: "A job's state on this orchestrator",
          responses: { "200": { description: "Job" }, "404": { description: "Unknown job" } },
        },
      },
      "/v1/jobs/{jobId}/input": {
        post: {
          summary:
            "Supply the input bytes of a job submitted by digest (checked against it, off the " +
            `event loop); at most ${MAX_INPUT_BYTES} bytes`,
          parameters: [
            { name: "jobId", in: "path", required: true, schema: { type: "integer" } },
            ...signedHeaders,
          ],
          requestBody: {
            required: true,
            content: {
              "application/octet-stream": {
                schema: { type: "string", format: "binary", maxLength: MAX_INPUT_BYTES },
              },
            },
          },
          responses: {
            ...errors,
            "200": { description: "Stored" },
            "404": { description: "Unknown job" },
            "409": { description: "Replayed request, input already known or being checked" },
            "413": {
              description: `Longer than ${MAX_INPUT_BYTES} bytes (refused from its content-length, unread)`,
              content: json(ErrorSchema),
            },
            "415": { description: "Not application/octet-stream", content: json(ErrorSchema) },
            "422": { description: "Digest mismatch", content: json(ErrorSchema) },
            "503": { description: "Hashing queue full: retry later", content: json(ErrorSchema) },
          },
        },
      },
      "/v1/epochs": {
        get: {
          summary: "Epochs with their submission, gas and jobs",
          responses: { "200": { description: "Epochs" } },
        },
      },
      "/metrics": {
        get: { summary: "Prometheus metrics", responses: { "200": { description: "text/plain" } } },
      },
    },
  };
}
