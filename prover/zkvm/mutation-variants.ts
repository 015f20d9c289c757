/**
 * Source variants of the chunk circuit for the mutation harness, compiled to witness
 * calculators only (no keys), cached by a hash of the variant's sources.
 *
 * A variant starts from the registered circuit's sources (chunk.circom and everything it
 * includes, circomlib too) and applies:
 * - `edits`: exact text replacements, e.g. deleting one constraint (`signedDiv * rSign === 0;`)
 *   to show that the harness sees the difference;
 * - `instrument`: every `<--` hint becomes overridable at witness time. Each template that
 *   holds a hint, or a component that does, gets an input `hov[6]` (two overrides of
 *   (path, site, value)); a hint `x[i] <-- e;` becomes `x[i] <-- hintOverride(hov…, site, e);`
 *   and each such child component gets its parent's `hov` with the path routed to it. With
 *   `hov` all zero the witness is the honest one; every `<==` downstream of an overridden hint
 *   is recomputed by the witness calculator, and every `===` is still checked there;
 * - `noAsserts`: every `===` removed (a "probe": what the circuit's code computes from given
 *   inputs, with no check), used to find a forged step's memory accesses.
 *
 * Paths: a component is named by a code `2 + declaration number + 64·i + 16384·j` in its
 * parent (i, j: its array indices; declarations numbered in source order per template); a
 * path is the codes from the main component down, least significant first, in base 2^24,
 * ended by the digit 1 (the target itself). A site is `1024·n + k` for the n-th hint
 * statement of the template (source order) and array index k.
 *
 * Compilation: circom2 `--wasm --O0` (and `--sym`, `--r1cs` when asked), invoked as
 * prover/setup/artifacts.ts does. Measured on this 2-core machine, wasm + sym of the K=8 chunk
 * circuit: --O0 22 s, --O1 26 s, --O2 53 s (r1cs too: 59 s). --O0 is also the only level that
 * keeps every signal in the witness, so the harness can read each hint's honest value by name.
 * The constraints checked by the witness calculator are the source's `===`, at every level.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { collectSources } from "../setup/artifacts.ts";
import { REPO_ROOT } from "../setup/registry.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Base of a path digit: one component code per level. */
export const PATH_BASE = 1n << 24n;
/** Sites of one hint statement: 1024·statement + array index. */
export const SITE_STRIDE = 1024;

/** One exact text replacement in a source file (path relative to the repository). */
export interface SourceEdit {
  file: string;
  find: string;
  replace: string;
}

export interface VariantSpec {
  /** Short label for the cache directory and logs, e.g. "step-instrumented". */
  label: string;
  /** The main file (relative to the repository), template and parameters. */
  file: string;
  template: string;
  params: number[];
  publicInputs?: string[];
  edits?: SourceEdit[];
  instrument?: boolean;
  noAsserts?: boolean;
  sym?: boolean;
  r1cs?: boolean;
  /** Compiler optimisation: "O0" by default (see the module doc). */
  optimization?: "O0" | "O1" | "O2";
}

/** What the instrumentation did to one template. */
export interface TemplateMeta {
  /** Hint signals of this template: name -> statement number. */
  hints: Record<string, number>;
  /** Components declared here: name -> declaration number and template (if instantiated). */
  components: Record<string, { decl: number; template: string | null }>;
  /** True when the template has `hov` (it or a component of it holds a hint). */
  instrumented: boolean;
}

export interface CompiledVariant {
  label: string;
  key: string;
  dir: string;
  wasmPath: string;
  symPath: string | null;
  r1csPath: string | null;
  /** Instrumentation metadata (instrumented variants), by template name. */
  templates: Record<string, TemplateMeta>;
  /** Main template name. */
  main: string;
}

/** The text with comments replaced by spaces (same length, newlines kept). */
function maskComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("//", i)) {
      while (i < text.length && text[i] !== "\n") {
        out += " ";
        i++;
      }
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) out += text[i] === "\n" ? "\n" : " ";
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

interface TemplateSpan {
  name: string;
  file: string;
  /** Line numbers (0-based) of the body: the line after the one with `{` … the closing line. */
  open: number;
  close: number;
}

function templateSpans(file: string, masked: string): TemplateSpan[] {
  const spans: TemplateSpan[] = [];
  const lineOf = (pos: number) => masked.slice(0, pos).split("\n").length - 1;
  for (const m of masked.matchAll(/\btemplate\s+(?:parallel\s+|custom\s+)?(\w+)\s*\(/g)) {
    const brace = masked.indexOf("{", m.index);
    let depth = 0;
    let end = brace;
    for (; end < masked.length; end++) {
      if (masked[end] === "{") depth++;
      else if (masked[end] === "}" && --depth === 0) break;
    }
    spans.push({ name: m[1]!, file, open: lineOf(brace), close: lineOf(end) });
  }
  return spans;
}

const HINT = /^(\s*)([A-Za-z_]\w*)\s*(?:\[([^\]]*)\])?\s*<--\s*(.+?)\s*;\s*$/;
const COMPONENT_DECL =
  /^\s*component\s+([A-Za-z_]\w*)\s*((?:\[[^\]]*\])*)\s*(?:=\s*([A-Za-z_]\w*)\s*\(.*\))?\s*;\s*$/;
const COMPONENT_INST =
  /^(\s*)([A-Za-z_]\w*)((?:\[[^\]]*\])*)\s*=\s*([A-Za-z_]\w*)\s*\(.*\)\s*;\s*$/;

const HELPERS = `
// ---- mutation harness: hint overrides (generated, see prover/zkvm/mutation-variants.ts) ----
function hintOverride(p0, s0, v0, p1, s1, v1, site, honest) {
    if (p0 == 1 && s0 == site) return v0;
    if (p1 == 1 && s1 == site) return v1;
    return honest;
}
function hintRoute(path, code) {
    if (path % ${PATH_BASE} == code) return path \\ ${PATH_BASE};
    return 0;
}
`;

/**
 * Rewrites the sources (path -> text) so that every hint is overridable (see the module doc).
 * @throws when a `<--` is written in a form the rewriter does not know (so none is missed).
 */
function instrument(sources: Map<string, string>): {
  sources: Map<string, string>;
  templates: Record<string, TemplateMeta>;
} {
  const files = [...sources.keys()];
  const masked = new Map(files.map((f) => [f, maskComments(sources.get(f)!)]));
  const spans = files.flatMap((f) => templateSpans(f, masked.get(f)!));
  const templateNames = new Set(spans.map((s) => s.name));
  const templates: Record<string, TemplateMeta> = {};
  for (const s of spans) {
    const lines = masked
      .get(s.file)!
      .split("\n")
      .slice(s.open + 1, s.close);
    const meta: TemplateMeta = { hints: {}, components: {}, instrumented: false };
    let decl = 0;
    for (const line of lines) {
      const h = HINT.exec(line);
      if (h) meta.hints[h[2]!] ??= Object.keys(meta.hints).length;
      else if (line.includes("<--") || line.includes("-->"))
        throw new Error(`${relative(REPO_ROOT, s.file)}: hint not understood: ${line.trim()}`);
      const c = COMPONENT_DECL.exec(line);
      if (c) meta.components[c[1]!] = { decl: decl++, template: c[3] ?? null };
      const i = COMPONENT_INST.exec(line);
      if (i && meta.components[i[2]!] && templateNames.has(i[4]!))
        meta.components[i[2]!]!.template = i[4]!;
    }
    if (decl > 62) throw new Error(`template ${s.name}: too many components for a path digit`);
    templates[s.name] = meta;
  }
  // A template is instrumented when it has a hint or a component of an instrumented template.
  for (let changed = true; changed;) {
    changed = false;
    for (const meta of Object.values(templates)) {
      if (meta.instrumented) continue;
      const child = Object.values(meta.components).some(
        (c) => c.template && templates[c.template]?.instrumented,
      );
      if (Object.keys(meta.hints).length > 0 || child) meta.instrumented = changed = true;
    }
  }

  const out = new Map<string, string>();
  for (const f of files) {
    const lines = sources.get(f)!.split("\n");
    const mlines = masked.get(f)!.split("\n");
    const add = new Map<number, string[]>(); // line -> lines inserted after it
    for (const s of spans.filter((x) => x.file === f)) {
      const meta = templates[s.name]!;
      if (!meta.instrumented) continue;
      add.set(s.open, ["    signal input hov[6];"]);
      for (let n = s.open + 1; n < s.close; n++) {
        const m = mlines[n]!;
        const h = HINT.exec(m);
        if (h) {
          const [, indent, name, index, expr] = h;
          const site = `${SITE_STRIDE * meta.hints[name!]!} + (${index ?? "0"})`;
          const lhs = index === undefined ? name : `${name}[${index}]`;
          lines[n] =
            `${indent}${lhs} <-- hintOverride(hov[0], hov[1], hov[2], hov[3], hov[4], hov[5], ` +
            `${site}, (${expr}));`;
          continue;
        }
        const c = COMPONENT_DECL.exec(m) ?? COMPONENT_INST.exec(m);
        if (!c) continue;
        const isDecl = m.trimStart().startsWith("component");
        const name = isDecl ? c[1]! : c[2]!;
        const tmpl = isDecl ? c[3] : c[4];
        if (!tmpl || !templates[tmpl]?.instrumented) continue;
        const idx = isDecl ? [] : [...c[3]!.matchAll(/\[([^\]]*)\]/g)].map((x) => x[1]!);
        if (idx.length > 2) throw new Error(`${name}: component arrays of > 2 dimensions`);
        const code = `2 + ${meta.components[name]!.decl} + 64 * (${idx[0] ?? "0"}) + 16384 * (${idx[1] ?? "0"})`;
        const target = `${name}${idx.map((x) => `[${x}]`).join("")}`;
        const indent = /^\s*/.exec(m)![0];
        add.set(n, [
          `${indent}${target}.hov[0] <-- hintRoute(hov[0], ${code});`,
          `${indent}${target}.hov[1] <-- hov[1];`,
          `${indent}${target}.hov[2] <-- hov[2];`,
          `${indent}${target}.hov[3] <-- hintRoute(hov[3], ${code});`,
          `${indent}${target}.hov[4] <-- hov[4];`,
          `${indent}${target}.hov[5] <-- hov[5];`,
        ]);
      }
    }
    const text = lines.flatMap((l, n) => [l, ...(add.get(n) ?? [])]).join("\n");
    out.set(f, text);
  }
  // The helpers go into the main circuit's own file (the first source).
  out.set(files[0]!, out.get(files[0]!)! + HELPERS);
  return { sources: out, templates };
}

/** Removes every `===` statement (each must stand on its own line). */
function removeAsserts(sources: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [f, text] of sources) {
    const lines = text.split("\n");
    const mlines = maskComments(text).split("\n");
    mlines.forEach((m, n) => {
      if (!m.includes("===")) return;
      if (!/^\s*[^;{}]*===[^;{}]*;\s*$/.test(m))
        throw new Error(`${relative(REPO_ROOT, f)}: assert not alone on its line: ${m.trim()}`);
      lines[n] = "";
    });
    out.set(f, lines.join("\n"));
  }
  return out;
}

function packageVersion(name: string): string {
  const text = readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** Root of the variants cache: `<cacheDir>/mutation`. */
export function variantsCacheDir(cacheDir: string): string {
  return join(cacheDir, "mutation");
}

/**
 * Builds (or finds in the cache) a variant's witness calculator.
 * @example
 * const v = await compileVariant(
 *   { label: "step", file: "circuits/zkvm/step.circom", template: "Step", params: [20, 6],
 *     instrument: true, sym: true },
 *   { cacheDir: defaultCacheDir() },
 * );
 */
export async function compileVariant(
  spec: VariantSpec,
  { cacheDir, log }: { cacheDir: string; log?: (m: string) => void },
): Promise<CompiledVariant> {
  let sources = collectSources(resolve(REPO_ROOT, spec.file));
  sources = new Map(sources);
  for (const e of spec.edits ?? []) {
    const path = resolve(REPO_ROOT, e.file);
    const text = sources.get(path);
    if (text === undefined) throw new Error(`edit of ${e.file}: not a source of ${spec.file}`);
    const at = text.indexOf(e.find);
    if (at < 0 || text.indexOf(e.find, at + 1) >= 0)
      throw new Error(`edit of ${e.file}: "${e.find}" must occur exactly once`);
    sources.set(path, text.slice(0, at) + e.replace + text.slice(at + e.find.length));
  }
  let templates: Record<string, TemplateMeta> = {};
  if (spec.instrument) ({ sources, templates } = instrument(sources));
  if (spec.noAsserts) sources = removeAsserts(sources);

  const opt = spec.optimization ?? "O0";
  const h = createHash("sha256");
  h.update(
    JSON.stringify({
      template: spec.template,
      params: spec.params,
      publicInputs: spec.publicInputs ?? [],
      opt,
      sym: !!spec.sym,
      r1cs: !!spec.r1cs,
      circom2: packageVersion("circom2"),
    }),
  );
  for (const [path, text] of [...sources].sort(([a], [b]) => a.localeCompare(b))) {
    h.update(`\n--- ${relative(REPO_ROOT, path)}\n`);
    h.update(text);
  }
  const key = h.digest("hex").slice(0, 16);
  const dir = join(variantsCacheDir(cacheDir), `${spec.label}-${key}`);
  const result: CompiledVariant = {
    label: spec.label,
    key,
    dir,
    wasmPath: join(dir, "main_js", "main.wasm"),
    symPath: spec.sym ? join(dir, "main.sym") : null,
    r1csPath: spec.r1cs ? join(dir, "main.r1cs") : null,
    templates,
    main: spec.template,
  };
  if (existsSync(join(dir, "done"))) return result;

  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await rm(tmp, { recursive: true, force: true });
  const src = join(tmp, "src");
  for (const [path, text] of sources) {
    const rel = relative(REPO_ROOT, path);
    await mkdir(dirname(join(src, rel)), { recursive: true });
    await writeFile(join(src, rel), text);
  }
  const mainPath = join(src, "main.circom");
  const pub = spec.publicInputs?.length ? ` {public [${spec.publicInputs.join(", ")}]}` : "";
  await writeFile(
    mainPath,
    `pragma circom 2.2.0;\n// Mutation-harness variant "${spec.label}".\n` +
      `include "${spec.file}";\n` +
      `component main${pub} = ${spec.template}(${spec.params.join(", ")});\n`,
  );
  log?.(`variant ${spec.label}: compiling with circom2 --${opt}`);
  const started = performance.now();
  const flags = ["--wasm", `--${opt}`];
  if (spec.sym) flags.push("--sym");
  if (spec.r1cs) flags.push("--r1cs");
  try {
    await run(
      process.execPath,
      [
        require.resolve("circom2/cli.js"),
        mainPath,
        ...flags,
        "-l",
        join(src, "node_modules"),
        "-o",
        tmp,
      ],
      // cwd "/": circom2 (WASI) preopens the working directory and its parents only.
      { maxBuffer: 64 * 1024 * 1024, cwd: "/" },
    );
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    throw new Error(`circom failed on variant ${spec.label}:\n${err.stderr || err.stdout || e}`);
  }
  await writeFile(join(tmp, "meta.json"), JSON.stringify({ spec, templates }, null, 2));
  await writeFile(join(tmp, "done"), "");
  try {
    await rename(tmp, dir);
  } catch {
    // another process finished the same variant first (only whole builds are renamed)
    await rm(tmp, { recursive: true, force: true });
  }
  log?.(
    `variant ${spec.label}: ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${dir})`,
  );
  return result;
}

/** Signal name -> witness index, from a .sym file (eliminated signals left out). */
export async function readSymbols(symPath: string): Promise<Map<string, number>> {
  const map = new Map<string, number>();
  for (const line of (await readFile(symPath, "utf8")).split("\n")) {
    if (!line) continue;
    const [, wid, , name] = line.split(",");
    const w = Number(wid);
    if (w >= 0) map.set(name!, w);
  }
  return map;
}

/** Named circuit variants the harness can run against (`npm run mutate:hints -- --variant`). */
export const CIRCUIT_VARIANTS: Record<string, { description: string; edits: SourceEdit[] }> = {
  unchanged: { description: "the circuit as committed", edits: [] },
  "no-rsign": {
    description: "without `signedDiv * rSign === 0` (a signed remainder takes the dividend's sign)",
    edits: [{ file: "circuits/zkvm/step.circom", find: "signedDiv * rSign === 0;", replace: "" }],
  },
};
