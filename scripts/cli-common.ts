/**
 * What every CLI command shares: its errors (each one printed as one line, with an exit
 * status), reading files with a message that says what to do, parsing addresses and amounts,
 * printing ETH amounts and image IDs in one format, and progress on long work.
 *
 * Exit statuses (documented in the README and `concentric --help`):
 *   0  the command did what was asked (a check passed)
 *   1  a check failed: a transaction reverted, a proof is invalid, a guest trapped, a job
 *      refunded or settled with another output than --expect
 *   2  usage: a bad option, a missing or unreadable file, a malformed address or amount, a
 *      missing tool or service (no RPC node, no deployment, busy port)
 */
import { readFileSync } from "node:fs";
import { formatEther, isAddress, parseEther, type Hex } from "viem";
import { SingleBar } from "cli-progress";
import { CliError, fileErrorMessage, UsageError } from "./cli-errors.ts";

export { CliError, fileErrorMessage, UsageError };

/** The bytes of a file; a missing or unreadable file is a one-line CliError (exit 2). */
export function readFileOrExplain(path: string, what = "file"): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError(fileErrorMessage(e, path, what));
  }
}

/** A 20-byte address, checked (checksum too when mixed case); else a one-line usage error. */
export function parseAddress(s: string | undefined, what: string): Hex {
  if (s === undefined)
    throw new UsageError(`${what}: an address is required (0x and 40 hex digits)`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(s))
    throw new UsageError(`${what}: "${s}" is not an address (0x and 40 hex digits)`);
  if (!isAddress(s))
    throw new UsageError(
      `${what}: "${s}" has a wrong checksum (mixed case): check it, or write it all lowercase`,
    );
  return s as Hex;
}

/** An ETH amount ("1.5", "0.000000000000000001"), exactly, as wei; else a usage error. */
export function parseEth(s: string | undefined, what: string): bigint {
  if (s === undefined || !/^[0-9]+(\.[0-9]{1,18})?$/.test(s))
    throw new UsageError(`${what}: an amount in ETH with at most 18 decimals, e.g. 1.5`);
  return parseEther(s);
}

/**
 * An amount of wei as ETH, exactly (no rounding: every digit down to the wei), with the unit:
 * `formatEth(700000000000000n)` is "0.0007 ETH".
 */
export function formatEth(wei: bigint): string {
  return `${formatEther(wei)} ETH`;
}

/** The one format of an image ID (and of every other field digest): 0x and 64 hex digits. */
export function formatDigest(x: bigint): string {
  return `0x${x.toString(16).padStart(64, "0")}`;
}

/** A positive integer option, or a usage error naming it. */
export function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw new UsageError(`--${name} must be a positive integer, got ${v}`);
  return Number(v);
}

/**
 * Progress of long work on stderr: a bar with rate and ETA on a terminal (cli-progress), one
 * line per event otherwise (logs, CI, pipes), so that nothing is redrawn into a file.
 */
export interface Progress {
  /** Work done so far (of `total`), with an optional note on what is happening. */
  update(done: number, note?: string): void;
  /** Ends the bar (prints the final state on a terminal). */
  stop(): void;
}

export function progress(
  label: string,
  total: number,
  unit: string,
  o: { stream?: NodeJS.WriteStream; startedAt?: number } = {},
): Progress {
  const stream = o.stream ?? process.stderr;
  const start = o.startedAt ?? performance.now();
  if (!stream.isTTY) {
    let last = -1;
    return {
      update(done, note) {
        if (done === last && note === undefined) return;
        last = done;
        const secs = ((performance.now() - start) / 1000).toFixed(1);
        stream.write(`${label}: ${done}/${total} ${unit}${note ? ` (${note})` : ""}, ${secs} s\n`);
      },
      stop() {},
    };
  }
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted} | {note}`,
    barCompleteChar: "#",
    barIncompleteChar: ".",
    hideCursor: true,
    etaBuffer: 20,
    clearOnComplete: false,
    noTTYOutput: false,
  });
  bar.start(total, 0, { note: "", rate: "0.00" });
  return {
    update(done, note) {
      const secs = (performance.now() - start) / 1000;
      bar.update(done, {
        rate: secs > 0 ? (done / secs).toFixed(2) : "0.00",
        ...(note !== undefined ? { note } : {}),
      });
    },
    stop() {
      bar.stop();
    },
  };
}
