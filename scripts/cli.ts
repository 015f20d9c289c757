/**
 * The concentric CLI (`npx concentric <command>`; bin/concentric.mjs runs this file).
 *
 * `concentric --help` lists the commands, `concentric <command> --help` describes one (both
 * exit 0), `concentric --version` prints the package version. Every error is one line on
 * stderr; exit statuses: 0 ok, 1 a check failed (a revert, an invalid proof, a trap, a job
 * that refunded or settled with another output), 2 usage (bad options, a missing file, a
 * malformed address or amount, no RPC node, a busy port). Set CONCENTRIC_DEBUG=1 to see the
 * stack of an unexpected error.
 *
 * Command modules load lazily: a command loads only what it uses (node:sqlite, whose
 * ExperimentalWarning is silenced below, only for the orchestrator).
 */
import "./quiet-warnings.ts";
import { readFileSync } from "node:fs";
import { CliError, fileErrorMessage, UsageError } from "./cli-errors.ts";

type Run = (args: string[]) => Promise<number>;

interface Command {
  usage: string;
  summary: string;
  details?: string;
  load: () => Promise<Run>;
}

const KEY =
  "[--rpc <url>] [--deployment <file>] (--keystore <file> [--password-file <file>] | --dev-account <i>)";
const READ = "[--rpc <url>] [--deployment <file>]";
const INPUT = "[--input <file> | --input-hex <hex> | --input-u32 <n>]";

const run = (name: string) => async () => (await import("./run-cli.ts"))[name as "exec"];
const guest = (name: string) => async () => (await import("./guest-cli.ts")).guestCommands[name]!;
const chain = (name: string) => async () => (await import("./chain-cli.ts")).chainCommands[name]!;
const network = (name: string) => async () =>
  (await import("./network-cli.ts")).networkCommands[name as "orchestrator"];

export const COMMANDS: Record<string, Command> = {
  new: {
    usage: "concentric new <dir> [--name <guest>]",
    summary: "scaffold a C guest: main.c, concentric.h, guest.ld, Makefile",
    details:
      "Creates <dir> (refused if it exists and is not empty). Build it with concentric build <dir>.",
    load: guest("new"),
  },
  build: {
    usage: "concentric build [<dir>] [--out <elf>] [--opt <level>]",
    summary: "compile a guest with clang/lld (Debian: apt-get install -y clang lld)",
    details:
      "Compiles every .c file of <dir> (default .) for rv32im/ilp32 with the guest's linker script\n" +
      "(guest.ld, else the SDK's) into <dir>/build/<name>.elf and loads the result to check it.",
    load: guest("build"),
  },
  limits: {
    usage: "concentric limits [--circuit <name>] [--json]",
    summary: "the guest memory map and the limits of a job",
    load: guest("limits"),
  },
  exec: {
    usage: `concentric exec <elf> ${INPUT} [--chunk-size K | --circuit <name>] [--max-cycles N] [--profile [--top N]] [--json]`,
    summary: "run a guest on the reference executor (debug stream, profile, trap report)",
    details:
      "Prints exit code, cycles, image ID, output; the guest's fd 2 goes to stderr. --circuit <name>:\n" +
      "the real chunk count under that circuit's limits. --profile: cycles per function (ELF symbols)\n" +
      "and the run's cost at the network's default circuit. A trap prints the function and offset of\n" +
      "the pc, the guest's fd-2 output and the last instructions, and exits 1.",
    load: run("exec"),
  },
  prove: {
    usage: `concentric prove <elf> ${INPUT} [--chunk-size K | --circuit <name> | --key-set <name>] [--prover <address>] [--max-cycles N] --out <proof.json>`,
    summary: "execute and prove every chunk with Groth16 (keys built on first use)",
    details:
      "--key-set job2_test | job2_production: the versioned-cells job of issue 12 (chunks of 8 or\n" +
      "1,024 cycles with whole-buffer read/write, plus the job's boundary, input and output proofs;\n" +
      "input and output up to 64 bytes, committed as SHA-256). Without it: today's network chunks.",
    load: run("prove"),
  },
  verify: {
    usage: "concentric verify <proof.json> [--expect <hex>]",
    summary: "check a run proof off chain (exit 1 if invalid or the output is not --expect)",
    load: run("verify"),
  },
  "keystore-new": {
    usage: "concentric keystore-new --out <file>",
    summary: "a new encrypted key (password from CONCENTRIC_KEYSTORE_PASSWORD); never overwrites",
    load: chain("keystore-new"),
  },
  balance: {
    usage: `concentric balance [<address>] ${READ} [--keystore <file> | --dev-account <i>]`,
    summary: "the ETH balance, stake and rewards of an address (default: your key's)",
    load: chain("balance"),
  },
  fund: {
    usage: `concentric fund <address> <eth> ${READ} [--dev-account <i>]`,
    summary: "devnets only: send ETH to an address from a dev account (default 0)",
    load: chain("fund"),
  },
  stake: {
    usage: `concentric stake <eth> ${KEY}`,
    summary: "stake ETH (checks your balance first)",
    load: chain("stake"),
  },
  unstake: {
    usage: `concentric unstake <eth> ${KEY}`,
    summary: "start unbonding staked ETH",
    load: chain("unstake"),
  },
  withdraw: {
    usage: `concentric withdraw ${KEY}`,
    summary: "withdraw unbonded stake",
    load: chain("withdraw"),
  },
  "register-orchestrator": {
    usage: `concentric register-orchestrator --endpoint <url> [--parent <address>] ${KEY}`,
    summary: "register as an orchestrator (a ring under --parent)",
    load: chain("register-orchestrator"),
  },
  "approve-child": {
    usage: `concentric approve-child <address> [--revoke] ${KEY}`,
    summary: "as a parent, admit a child ring before it registers",
    load: chain("approve-child"),
  },
  "evict-child": {
    usage: `concentric evict-child <address> ${KEY}`,
    summary: "as a parent, evict a child ring",
    load: chain("evict-child"),
  },
  "request-exit": {
    usage: `concentric request-exit ${KEY}`,
    summary: "as an orchestrator, start leaving the registry (deregister after the exit delay)",
    load: chain("request-exit"),
  },
  deregister: {
    usage: `concentric deregister ${KEY}`,
    summary: "leave the orchestrator registry once the exit delay has passed",
    load: chain("deregister"),
  },
  "submit-job": {
    usage: `concentric submit-job <elf> ${INPUT} [--cycles <bound>] [--fee <eth>] [--orchestrator <url>] ${KEY}`,
    summary: "check a guest locally (traps, limits), register its image if new, submit a job",
    load: chain("submit-job"),
  },
  "provide-input": {
    usage: `concentric provide-input <job> <file> --orchestrator <url> ${KEY}`,
    summary: "upload the bytes of a job input committed by digest",
    load: chain("provide-input"),
  },
  job: {
    usage: `concentric job <id> [--wait [--timeout <s>] [--expect <hex>] [--elf <elf>] [--input…]] ${READ}`,
    summary: "a job's status, why it is not settled, when it is refundable; --wait until it is",
    details:
      "--wait polls until the job settles (exit 0) or is refunded (exit 1); with a progress line\n" +
      "while it waits for its epoch. --expect <hex>: the settled output must be these bytes\n" +
      "(checked against the on-chain output digest); exit 1 otherwise.",
    load: chain("job"),
  },
  refund: {
    usage: `concentric refund <job> ${KEY}`,
    summary: "take back the fee of a job nobody settled, once its refund timeout has passed",
    load: chain("refund"),
  },
  epoch: {
    usage: `concentric epoch [<n>] ${READ}`,
    summary: "an epoch's window, deadline, submitter and Universal Proof",
    load: chain("epoch"),
  },
  "slash-missed": {
    usage: `concentric slash-missed <epoch> ${KEY}`,
    summary: "slash the submitter of an epoch that missed its deadline (the caller gets a share)",
    load: chain("slash-missed"),
  },
  rewards: {
    usage: `concentric rewards [<address>] [--withdraw [--to <address>]] ${KEY}`,
    summary: "prover and orchestrator rewards; --withdraw them",
    load: chain("rewards"),
  },
  orchestrator: {
    usage:
      "concentric orchestrator [--port 7001] [--host 127.0.0.1] [--db <file>] [--lease-seconds 60] [--prove-locally] [--parent <url> [--segment-chunks 8]] [--verbose] " +
      KEY,
    summary: "run an orchestrator node (the chain service, API and dashboard)",
    load: network("orchestrator"),
  },
  delegator: {
    usage:
      "concentric delegator --orchestrator <url> [--workers N] [--name <s>] [--verbose] (--keystore <file> | --dev-account <i>)",
    summary: "prove chunks for an orchestrator until stopped",
    load: network("delegator"),
  },
};

const EXIT_CODES = "exit status: 0 ok, 1 a check failed (revert, invalid proof, trap), 2 usage";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return `concentric ${pkg.version}`;
}

function overview(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: concentric <command> [options]   (concentric <command> --help for one)",
    "",
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(w)}  ${c.summary}`),
    "",
    "  --version  the package version",
    EXIT_CODES,
  ].join("\n");
}

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return [
    `usage: ${c.usage}`,
    "",
    c.summary,
    ...(c.details ? ["", c.details] : []),
    "",
    EXIT_CODES,
  ].join("\n");
}

/** Runs one command line; returns the exit status (never throws). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(overview());
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    if (rest[0] && COMMANDS[rest[0]]) console.log(commandHelp(rest[0]));
    else console.log(overview());
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(version());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`unknown command "${name}"; concentric --help lists them`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(commandHelp(name));
    return 0;
  }
  try {
    return await (
      await command.load()
    )(rest);
  } catch (e) {
    return reportError(name, e);
  }
}

/** One line for an error, and its exit status. */
function reportError(name: string, e: unknown): number {
  if (process.env.CONCENTRIC_DEBUG) console.error(e);
  const err = e as Error & { code?: string; name?: string };
  if (e instanceof UsageError) {
    console.error(`${e.message} (concentric ${name} --help)`);
    return 2;
  }
  if (e instanceof CliError) {
    console.error(e.message);
    return e.status;
  }
  if (err?.name === "WalletError" || err?.constructor?.name === "WalletError") {
    console.error(err.message);
    return 2;
  }
  if (typeof err?.code === "string" && err.code.startsWith("ERR_PARSE_ARGS")) {
    console.error(`${err.message} (concentric ${name} --help)`);
    return 2;
  }
  if (typeof err?.code === "string" && /^E[A-Z]+$/.test(err.code) && "syscall" in err) {
    console.error(fileErrorMessage(e));
    return 2;
  }
  if (err?.name === "Trap" || err?.name === "WitnessError") {
    console.error(err.message);
    return 1;
  }
  if (err?.name === "ElfError" || e instanceof RangeError) {
    console.error(err.message);
    return 2;
  }
  // viem's errors carry a one-line shortMessage.
  const short = (e as { shortMessage?: string }).shortMessage;
  console.error(`error: ${short ?? err?.message ?? String(e)} (CONCENTRIC_DEBUG=1 for details)`);
  return 1;
}

// snarkjs keeps worker threads alive after proving: exit explicitly once the command is done.
process.exit(await main(process.argv.slice(2)));
