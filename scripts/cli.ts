/**
 * The concentric CLI.
 *
 *   concentric exec <elf> [--input <file>] [--chunk-size K] [--max-cycles N] [--json]
 *
 * Prints exit code, cycles, output (text and hex), image ID and chunk count (chunks: 0
 * without --chunk-size). Exits 0 when the guest reached its exit ecall, whatever its exit
 * code; 1 on a trap (printed to stderr); 2 on a usage or load error.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  execute,
  executeChunked,
  imageId,
  loadElf,
  Trap,
  ElfError,
} from "../prover/executor/index.ts";

const usage =
  "usage: concentric exec <elf> [--input <file>] [--chunk-size K] [--max-cycles N] [--json]";

async function exec(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: "string" },
      "chunk-size": { type: "string" },
      "max-cycles": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const elfPath = positionals[0];
  if (!elfPath || positionals.length > 1) {
    console.error(usage);
    return 2;
  }
  const positiveInt = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new RangeError(`--${name} must be a positive integer, got ${v}`);
    return n;
  };
  const chunkSize = positiveInt("chunk-size", values["chunk-size"]);
  const maxCycles = positiveInt("max-cycles", values["max-cycles"]);
  const image = loadElf(new Uint8Array(readFileSync(elfPath)));
  const input = values.input ? new Uint8Array(readFileSync(values.input)) : new Uint8Array();
  const opts = maxCycles === undefined ? {} : { maxCycles };
  let result;
  let chunks = 0;
  try {
    if (chunkSize !== undefined) {
      const r = await executeChunked(image, input, { ...opts, chunkSize, records: false });
      result = r;
      chunks = r.chunks.length;
    } else {
      result = execute(image, input, opts);
    }
  } catch (e) {
    if (e instanceof Trap) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  const id = `0x${(await imageId(image)).toString(16).padStart(64, "0")}`;
  const outputHex = Buffer.from(result.output).toString("hex");
  if (values.json) {
    console.log(
      JSON.stringify({
        exitCode: result.exitCode,
        cycles: result.cycles,
        outputHex,
        imageId: id,
        chunks,
      }),
    );
  } else {
    console.log(`exit code: ${result.exitCode}`);
    console.log(`cycles:    ${result.cycles}`);
    console.log(`image ID:  ${id}`);
    console.log(`chunks:    ${chunks}`);
    console.log(`output (hex):  ${outputHex}`);
    console.log(`output (text): ${new TextDecoder().decode(result.output)}`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "exec") {
    try {
      return await exec(rest);
    } catch (e) {
      if (e instanceof ElfError || e instanceof RangeError || e instanceof TypeError) {
        console.error(e.message);
        return 2;
      }
      throw e;
    }
  }
  console.error(usage);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
