/**
 * The circuit registry (`circuits/circuits.json`): every circuit the project builds, with the
 * parameters that appear in its artifact name.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";

export const CircuitEntrySchema = z.object({
  name: z.string().regex(/^[a-z][A-Za-z0-9_]*$/, "circuit names are words joined by _"),
  file: z.string(),
  template: z.string(),
  params: z.record(z.string(), z.number().int()),
  publicInputs: z.array(z.string()).min(1),
  test: z.boolean().default(false),
  /** Built by `npm run setup -- --production`: the network's production configuration. */
  production: z.boolean().default(false),
  description: z.string().optional(),
});
export type CircuitEntry = z.infer<typeof CircuitEntrySchema>;

/** Circuits whose keys one contract verifies in one pairing product (a multi verifier). */
export const KeySetSchema = z.object({
  name: z.string().regex(/^[a-z][A-Za-z0-9_]*$/, "key set names are words joined by _"),
  circuits: z.array(z.string()).min(1),
  test: z.boolean().default(false),
  production: z.boolean().default(false),
  description: z.string().optional(),
});
export type KeySet = z.infer<typeof KeySetSchema>;

const RegistrySchema = z.object({
  $comment: z.string().optional(),
  circuits: z.array(CircuitEntrySchema),
  keySets: z.array(KeySetSchema).default([]),
});

/** Repository root (this file is prover/setup/registry.ts). */
export const REPO_ROOT = resolve(import.meta.dirname, "../..");

function parseRegistry(path: string) {
  const parsed = RegistrySchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    throw new Error(`invalid circuit registry ${path}: ${z.prettifyError(parsed.error)}`);
  }
  const names = new Set<string>();
  for (const c of parsed.data.circuits) {
    if (names.has(c.name)) throw new Error(`circuit registry ${path}: duplicate name ${c.name}`);
    names.add(c.name);
    // Parameters must be visible in the artifact name (e.g. poseidon_chain_N4).
    for (const [k, v] of Object.entries(c.params)) {
      if (!c.name.includes(`${k}${v}`)) {
        throw new Error(
          `circuit ${c.name}: parameter ${k}=${v} must appear in its name as ${k}${v}`,
        );
      }
    }
  }
  for (const ks of parsed.data.keySets) {
    for (const c of ks.circuits)
      if (!names.has(c))
        throw new Error(`circuit registry ${path}: key set ${ks.name}: unknown circuit ${c}`);
  }
  return parsed.data;
}

export function loadRegistry(path = resolve(REPO_ROOT, "circuits/circuits.json")): CircuitEntry[] {
  return parseRegistry(path).circuits;
}

export function loadKeySets(path = resolve(REPO_ROOT, "circuits/circuits.json")): KeySet[] {
  return parseRegistry(path).keySets;
}

export function getKeySet(name: string, path?: string): KeySet {
  const sets = loadKeySets(path);
  const ks = sets.find((e) => e.name === name);
  if (!ks)
    throw new Error(`unknown key set "${name}"; registered: ${sets.map((e) => e.name).join(", ")}`);
  return ks;
}

export function getCircuit(name: string, registry = loadRegistry()): CircuitEntry {
  const c = registry.find((e) => e.name === name);
  if (!c) {
    throw new Error(
      `unknown circuit "${name}"; registered: ${registry.map((e) => e.name).join(", ")}`,
    );
  }
  return c;
}

/** A job key set's circuits by role (the set lists chunk, boundary, input, output). */
export function job2Circuits(keySet: string) {
  const circuits = getKeySet(keySet).circuits;
  const roles = ["Chunk2", "Boundary", "InputProof", "OutputProof"];
  if (
    circuits.length !== roles.length ||
    circuits.some((c, k) => getCircuit(c).template !== roles[k])
  )
    throw new Error(
      `key set ${keySet}: a job needs four circuits of templates ${roles.join(", ")}, in that ` +
        `order (JobVerifier2 checks them as chunk, boundary, input, output); it lists ` +
        circuits.join(", "),
    );
  const [chunk, boundary, input, output] = circuits as [string, string, string, string];
  return { chunk, boundary, input, output } as const;
}
