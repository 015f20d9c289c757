/**
 * The app's pages. Each builds its static part once (forms keep what the user typed) and
 * returns a `refresh` that re-reads the chain (through the wallet) and the orchestrator, and
 * re-renders only the parts that show data.
 */
import { hexToBytes, parseEther, type Address, type Hex } from "viem";
import {
  approveChild,
  deregister,
  evictChild,
  imageRegistered,
  jobFee,
  MAX_INLINE_INPUT_BYTES,
  readAccount,
  readJob,
  registerImage,
  registerOrchestrator,
  requestExit,
  stake,
  submitJob,
  unstake,
  withdraw,
  withdrawRewards,
  type AccountView,
  type ConcentricClient,
  type ImageRegistration,
  type JobView,
} from "../../client/actions.ts";
import { confirmed, describeWalletError, outputDigestOnChain } from "../../client/browser.ts";
import {
  MAX_INPUT_BYTES,
  OrchestratorRequestError,
  provideInput,
} from "../../client/orchestrator.ts";
import type { Ctx, Page } from "./main.ts";
import { ago, decodeOutput, dl, duration, eth, fill, h, hex32, short, table } from "./ui.ts";

const ZERO = "0x0000000000000000000000000000000000000000" as Address;

/** The SDK's client over the wallet, to send from; an error to show when it is not ready. */
function walletClientOf(ctx: Ctx): ConcentricClient {
  const s = ctx.wallet.state;
  if (s.status !== "ready" || !s.client) throw new Error("Connect your wallet first.");
  return s.client;
}

/** The client over the wallet for reads, when the wallet is ready. */
const readyClient = (ctx: Ctx) =>
  ctx.wallet.state.status === "ready" ? ctx.wallet.state.client : undefined;

/** The SDK's client over the wallet when it is on the right chain; else a notice in `el`. */
function clientOr(ctx: Ctx, el: HTMLElement, what: string): ConcentricClient | undefined {
  const s = ctx.wallet.state;
  if (!ctx.deployment) {
    fill(
      el,
      h(
        "p",
        { class: "notice" },
        "This orchestrator does not follow a chain (a child ring): open its root's app.",
      ),
    );
    return undefined;
  }
  if (s.status === "ready" && s.client) return s.client;
  const text =
    s.status === "wrong-chain"
      ? `Switch your wallet to chain ${ctx.config.chainId} to ${what}.`
      : s.status === "no-wallet"
        ? `A browser wallet (MetaMask, Rabby…) is needed to ${what}.`
        : `Connect your wallet to ${what}.`;
  fill(
    el,
    h(
      "p",
      { class: "notice" },
      text,
      " ",
      s.status === "idle" || s.status === "disconnected"
        ? h(
            "button",
            { type: "button", onclick: () => void ctx.wallet.connect() },
            "Connect wallet",
          )
        : null,
    ),
  );
  return undefined;
}

/**
 * Runs a wallet action from `button`: disabled while it runs, the result or the failure (the
 * rejected request, the contract's custom error by name) in the message area.
 */
async function act(
  ctx: Ctx,
  button: HTMLButtonElement,
  pending: string,
  fn: () => Promise<string | void>,
  after?: () => Promise<void>,
): Promise<boolean> {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  ctx.notify("info", pending);
  try {
    const ok = await fn();
    if (ok) ctx.notify("ok", ok);
    return true;
  } catch (e) {
    ctx.notify("error", describeWalletError(e).shortMessage);
    return false;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    await ctx.wallet.refresh().catch(() => undefined);
    await after?.().catch(() => undefined);
  }
}

function ethInput(id: string, label: string, value = ""): [HTMLLabelElement, HTMLInputElement] {
  const input = h("input", {
    id,
    name: id,
    type: "text",
    inputmode: "decimal",
    autocomplete: "off",
    required: true,
    pattern: "[0-9]*[.]?[0-9]*",
    value,
  });
  return [h("label", { for: id }, label), input];
}

function parseEth(v: string): bigint {
  if (!/^\d*\.?\d+$|^\d+\.$/.test(v.trim())) throw new Error(`not an amount of ETH: "${v}"`);
  return parseEther(v.trim());
}

// ---------------------------------------------------------------------------------------------
// Stake

export function stakePage(ctx: Ctx, main: HTMLElement): Page {
  const summary = h("section", { "aria-labelledby": "stake-summary-h" });
  const [stakeLabel, stakeAmount] = ethInput("stake-amount", "Amount to stake (ETH)", "2");
  const [unstakeLabel, unstakeAmount] = ethInput("unstake-amount", "Amount to unstake (ETH)", "1");
  const stakeBtn = h("button", { type: "submit", class: "primary" }, "Stake");
  const unstakeBtn = h("button", { type: "submit" }, "Request unstake");
  const withdrawBtn = h(
    "button",
    { type: "button", id: "withdraw-stake" },
    "Withdraw unbonded stake",
  );
  const rewardsBtn = h("button", { type: "button", id: "withdraw-rewards" }, "Withdraw rewards");
  let view: AccountView | undefined;

  const refresh = async () => {
    const c = clientOr(ctx, summary, "stake");
    if (!c) return;
    view = await readAccount(c);
    const v = view;
    const free = v.staked > v.locked ? v.staked - v.locked : 0n;
    const left = Number(v.unbonding.releaseAt - v.now);
    fill(
      summary,
      h("h2", { id: "stake-summary-h" }, "Your stake"),
      dl(
        [
          ["Staked", h("span", { id: "staked" }, eth(v.staked))],
          ["Locked as orchestrator", h("span", { id: "locked" }, eth(v.locked))],
          ["Free to unstake", eth(free)],
          [
            "Unbonding",
            h(
              "span",
              { id: "unbonding" },
              v.unbonding.amount === 0n
                ? "nothing"
                : `${eth(v.unbonding.amount)} — ${left > 0 ? `withdrawable in ${duration(left)}` : "withdrawable now"}`,
            ),
          ],
          ["Unbonding delay", duration(Number(v.unbondingDelay))],
          ["Rewards", h("span", { id: "rewards" }, eth(v.rewards))],
        ],
        { class: "facts" },
      ),
    );
    withdrawBtn.disabled = v.unbonding.amount === 0n;
    rewardsBtn.disabled = v.rewards === 0n;
  };

  const client = () => walletClientOf(ctx);
  fill(
    main,
    h("h1", {}, "Stake"),
    h(
      "p",
      { class: "lede" },
      "Stake in the chain's native currency from your wallet. Orchestrators must keep the minimum stake while registered; unstaked amounts wait out the unbonding delay before you withdraw them. Rewards for proofs and assembled epochs accrue here too.",
    ),
    summary,
    h(
      "div",
      { class: "cards" },
      h(
        "form",
        {
          class: "card",
          "aria-labelledby": "stake-h",
          onsubmit: (e: Event) => {
            e.preventDefault();
            void act(
              ctx,
              stakeBtn,
              "Confirm the stake in your wallet…",
              async () => {
                const value = parseEth(stakeAmount.value);
                confirmed(await stake(client(), { amount: value }));
                return `Staked ${eth(value)}.`;
              },
              refresh,
            );
          },
        },
        h("h2", { id: "stake-h" }, "Add stake"),
        stakeLabel,
        stakeAmount,
        stakeBtn,
      ),
      h(
        "form",
        {
          class: "card",
          "aria-labelledby": "unstake-h",
          onsubmit: (e: Event) => {
            e.preventDefault();
            void act(
              ctx,
              unstakeBtn,
              "Confirm the unstake request in your wallet…",
              async () => {
                const amount = parseEth(unstakeAmount.value);
                confirmed(await unstake(client(), { amount }));
                return `Unstaking ${eth(amount)}: withdraw it after the unbonding delay.`;
              },
              refresh,
            );
          },
        },
        h("h2", { id: "unstake-h" }, "Unstake"),
        unstakeLabel,
        unstakeAmount,
        unstakeBtn,
        h("p", { class: "hint" }, "Moves stake into unbonding (the delay restarts)."),
      ),
      h(
        "div",
        { class: "card" },
        h("h2", {}, "Withdraw"),
        h("p", {}, withdrawBtn),
        h("p", {}, rewardsBtn),
      ),
    ),
  );
  withdrawBtn.addEventListener(
    "click",
    () =>
      void act(
        ctx,
        withdrawBtn,
        "Confirm the withdrawal in your wallet…",
        async () => {
          confirmed(await withdraw(client()));
          return "Unbonded stake withdrawn to your account.";
        },
        refresh,
      ),
  );
  rewardsBtn.addEventListener(
    "click",
    () =>
      void act(
        ctx,
        rewardsBtn,
        "Confirm the rewards withdrawal in your wallet…",
        async () => {
          const amount = view?.rewards ?? 0n;
          confirmed(await withdrawRewards(client()));
          return `Rewards withdrawn: ${eth(amount)}.`;
        },
        refresh,
      ),
  );
  return { refresh };
}

// ---------------------------------------------------------------------------------------------
// Orchestrate

interface NodeRow {
  address: string;
  name: string | null;
  role: string;
  accepted: number;
  rejected: number;
  last_seen: number;
}

export function orchestratePage(ctx: Ctx, main: HTMLElement): Page {
  const mine = h("section", { "aria-labelledby": "reg-h" });
  const ring = h("section", { "aria-labelledby": "ring-h" });
  const endpoint = h("input", {
    id: "endpoint",
    name: "endpoint",
    type: "url",
    required: true,
    value: location.origin,
    autocomplete: "url",
  });
  const parent = h("input", {
    id: "parent",
    name: "parent",
    type: "text",
    placeholder: "0x… (empty: a root)",
    autocomplete: "off",
    pattern: "(0x[0-9a-fA-F]{40})?",
  });
  const registerBtn = h("button", { type: "submit", class: "primary" }, "Register as orchestrator");
  const leaveBtn = h("button", { type: "button", id: "leave" }, "Leave (request exit)");
  const deregisterBtn = h("button", { type: "button", id: "deregister" }, "Deregister");
  const child = h("input", {
    id: "child-address",
    name: "child-address",
    type: "text",
    placeholder: "0x…",
    autocomplete: "off",
    required: true,
  });
  const approveBtn = h("button", { type: "submit" }, "Approve child");
  const client = () => walletClientOf(ctx);

  const refresh = async () => {
    const c = clientOr(ctx, mine, "register as an orchestrator");
    if (!c) {
      fill(ring);
      return;
    }
    const me = c.account!.address;
    const v = await readAccount(c);
    const o = v.orchestrator;
    const leaving = o.leavingAt > 0n;
    fill(
      mine,
      h("h2", { id: "reg-h" }, "Your registration"),
      dl(
        [
          [
            "Status",
            h(
              "span",
              { id: "orch-status" },
              !o.registered
                ? "not registered"
                : leaving
                  ? `leaving: deregister ${o.leavingAt > v.now ? `in ${duration(Number(o.leavingAt - v.now))}` : "now"}`
                  : v.active
                    ? "active"
                    : "registered, inactive (below the minimum stake)",
            ),
          ],
          ["Endpoint", o.registered ? h("code", {}, o.endpoint) : "—"],
          [
            "Parent",
            o.registered
              ? o.parent === ZERO
                ? "none (a root, ring " + o.depth + ")"
                : h("code", {}, o.parent)
              : "—",
          ],
          ["Depth", o.registered ? String(o.depth) : "—"],
          ["Staked / minimum", `${eth(v.staked)} / ${eth(v.minStake)}`],
          ["Exit delay", duration(Number(v.exitDelay))],
        ],
        { class: "facts" },
      ),
    );
    leaveBtn.disabled = !o.registered || leaving;
    deregisterBtn.disabled = !o.registered || !leaving;
    if (!o.registered) {
      fill(
        ring,
        h("h2", { id: "ring-h" }, "Your ring"),
        h("p", { class: "muted" }, "Register to have a ring."),
      );
      return;
    }
    const children = (await c.contracts.registry.read.childrenOf([me])) as Address[];
    const nodes =
      ctx.config.orchestrator.toLowerCase() === me.toLowerCase()
        ? await ctx.api<NodeRow[]>("/v1/nodes")
        : [];
    const byAddr = new Map(nodes.map((n) => [n.address.toLowerCase(), n]));
    const kids = await Promise.all(
      children.map(async (child) => ({
        address: child,
        stake: (await c.contracts.staking.read.stakeOf([child])) as bigint,
        active: (await c.contracts.registry.read.isActive([child])) as boolean,
      })),
    );
    const delegators = nodes.filter((n) => n.role !== "orchestrator");
    fill(
      ring,
      h("h2", { id: "ring-h" }, "Your ring"),
      table(
        "Child rings registered under you on chain",
        ["orchestrator", "stake", "active", "segments accepted", "refused", ""],
        kids.map((k) => {
          const n = byAddr.get(k.address.toLowerCase());
          const evict: HTMLButtonElement = h(
            "button",
            {
              type: "button",
              "aria-label": `Evict ${k.address}`,
              onclick: () =>
                void act(
                  ctx,
                  evict,
                  "Confirm the eviction in your wallet…",
                  async () => {
                    confirmed(await evictChild(client(), { child: k.address }));
                    return `Evicted ${k.address}.`;
                  },
                  refresh,
                ),
            },
            "Evict",
          );
          return [
            h("code", {}, k.address),
            eth(k.stake),
            k.active ? "yes" : "no",
            String(n?.accepted ?? "—"),
            String(n?.rejected ?? "—"),
            evict,
          ];
        }),
        () => ({}),
        "no child rings",
      ),
      ctx.config.orchestrator.toLowerCase() === me.toLowerCase()
        ? table(
            "Delegators proving for you (this orchestrator)",
            ["delegator", "name", "accepted", "refused", "last seen"],
            delegators.map((n) => [
              h("code", {}, n.address),
              n.name ?? "",
              String(n.accepted),
              String(n.rejected),
              ago(n.last_seen),
            ]),
          )
        : h(
            "p",
            { class: "muted" },
            "Your delegators' work is shown by your own orchestrator's app.",
          ),
    );
  };

  fill(
    main,
    h("h1", {}, "Orchestrate"),
    h(
      "p",
      { class: "lede" },
      "An orchestrator stakes at least the minimum, registers its endpoint and a parent (or none, as a root), and serves jobs' chunks to delegators and rings below it. A parent must approve a child before it registers.",
    ),
    mine,
    h(
      "form",
      {
        class: "card",
        "aria-labelledby": "register-h",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void act(
            ctx,
            registerBtn,
            "Confirm the registration in your wallet…",
            async () => {
              const p = parent.value.trim();
              if (p && !/^0x[0-9a-fA-F]{40}$/.test(p))
                throw new Error("The parent is an address: 0x and 40 hex digits.");
              confirmed(
                await registerOrchestrator(client(), {
                  endpoint: endpoint.value.trim(),
                  parent: (p || ZERO) as Address,
                }),
              );
              return `Registered as an orchestrator at ${endpoint.value.trim()}.`;
            },
            refresh,
          );
        },
      },
      h("h2", { id: "register-h" }, "Register"),
      h("label", { for: "endpoint" }, "Endpoint URL"),
      endpoint,
      h("label", { for: "parent" }, "Parent orchestrator (optional)"),
      parent,
      registerBtn,
    ),
    ring,
    h(
      "form",
      {
        class: "card",
        "aria-labelledby": "approve-h",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void act(
            ctx,
            approveBtn,
            "Confirm the approval in your wallet…",
            async () => {
              const c = child.value.trim();
              if (!/^0x[0-9a-fA-F]{40}$/.test(c))
                throw new Error("The child is an address: 0x and 40 hex digits.");
              confirmed(await approveChild(client(), { child: c as Address }));
              return `Approved ${c} to register under you.`;
            },
            refresh,
          );
        },
      },
      h("h2", { id: "approve-h" }, "Approve a child ring"),
      h(
        "p",
        { class: "hint" },
        "A ring registers under you only with your approval, used up by its registration.",
      ),
      h("label", { for: "child-address" }, "Child orchestrator's address"),
      child,
      approveBtn,
    ),
    h(
      "div",
      { class: "card" },
      h("h2", {}, "Leave"),
      h(
        "p",
        { class: "hint" },
        "Request exit (your children are evicted), then deregister after the exit delay.",
      ),
      h("p", {}, leaveBtn, " ", deregisterBtn),
    ),
  );
  leaveBtn.addEventListener(
    "click",
    () =>
      void act(
        ctx,
        leaveBtn,
        "Confirm the exit request in your wallet…",
        async () => {
          confirmed(await requestExit(client()));
          return "Exit requested.";
        },
        refresh,
      ),
  );
  deregisterBtn.addEventListener(
    "click",
    () =>
      void act(
        ctx,
        deregisterBtn,
        "Confirm the deregistration in your wallet…",
        async () => {
          confirmed(await deregister(client()));
          return "Deregistered.";
        },
        refresh,
      ),
  );
  return { refresh };
}

// ---------------------------------------------------------------------------------------------
// Submit a job

/** What the orchestrator prepares for a job (`POST /v1/app/prepare`): the guest run there once. */
interface Prepared {
  imageId: string;
  registerImage: ImageRegistration;
  /** The input's digest (decimal): what a job over 64 bytes commits on chain. */
  inputDigest: string;
  cycleBound: string;
  exitCode: number;
  output: string;
}

const toHex = (b: Uint8Array): Hex =>
  `0x${Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")}`;

/** A job input too long for an orchestrator, refused before anything is sent. */
const tooLong = (n: number) =>
  new Error(
    `The input is ${n.toLocaleString("en")} bytes; a job's input is at most ${MAX_INPUT_BYTES.toLocaleString("en")} bytes (64 KiB), the most an orchestrator takes.`,
  );

/**
 * Inputs of jobs this page submitted by digest (over 64 bytes), kept until their upload to the
 * orchestrator is done: job id → bytes. The job page uploads them (and offers a retry).
 */
const pendingInputs = new Map<number, Uint8Array>();

export function submitPage(ctx: Ctx, main: HTMLElement): Page {
  const guest = h("select", { id: "guest", name: "guest" });
  const elfFile = h("input", {
    id: "elf-file",
    type: "file",
    accept: ".elf,application/octet-stream",
  });
  const elfRow = h(
    "div",
    { class: "field", hidden: true },
    h("label", { for: "elf-file" }, "ELF file (RV32IM)"),
    elfFile,
  );
  const kind = h(
    "select",
    { id: "input-kind", name: "input-kind" },
    h("option", { value: "u32" }, "a u32 (little-endian word)"),
    h("option", { value: "hex" }, "hex bytes"),
    h("option", { value: "text" }, "text (UTF-8)"),
    h("option", { value: "file" }, "a file"),
  );
  const value = h("input", {
    id: "input-value",
    name: "input-value",
    type: "text",
    value: "10",
    autocomplete: "off",
  });
  const valueRow = h("div", { class: "field" }, h("label", { for: "input-value" }, "Input"), value);
  const inputFile = h("input", { id: "input-file", type: "file" });
  const fileRow = h(
    "div",
    { class: "field", hidden: true },
    h("label", { for: "input-file" }, "Input file"),
    inputFile,
  );
  const preview = h("section", {
    "aria-labelledby": "preview-h",
    "aria-live": "polite",
    class: "card",
  });
  const submitBtn = h(
    "button",
    { type: "submit", class: "primary", id: "submit-job" },
    "Submit job",
  );
  let prepared: { p: Prepared; input: Hex; fee: bigint; registered: boolean } | undefined;
  let seq = 0;

  const inputBytes = async (): Promise<Uint8Array> => {
    const v = value.value;
    switch (kind.value) {
      case "u32": {
        if (!/^\d+$/.test(v.trim()) || BigInt(v.trim()) > 0xffffffffn)
          throw new Error("The input is a u32: 0 … 4294967295.");
        const b = new Uint8Array(4);
        new DataView(b.buffer).setUint32(0, Number(v.trim()), true);
        return b;
      }
      case "hex": {
        const c = v.trim().replace(/^0x/, "");
        if (!/^([0-9a-fA-F]{2})*$/.test(c))
          throw new Error("Hex input: an even number of hex digits.");
        return new Uint8Array(c.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
      }
      case "text":
        return new TextEncoder().encode(v);
      default: {
        const f = inputFile.files?.[0];
        if (f && f.size > MAX_INPUT_BYTES) throw tooLong(f.size);
        return f ? new Uint8Array(await f.arrayBuffer()) : new Uint8Array(0);
      }
    }
  };

  const prepare = async () => {
    const mine = ++seq;
    prepared = undefined;
    submitBtn.disabled = true;
    fill(preview, h("h2", { id: "preview-h" }, "Job"), h("p", { class: "muted" }, "Preparing…"));
    try {
      const bytes = await inputBytes();
      if (bytes.length > MAX_INPUT_BYTES) throw tooLong(bytes.length);
      const input = toHex(bytes);
      const byDigest = bytes.length > MAX_INLINE_INPUT_BYTES;
      const body: Record<string, string> = { input };
      if (guest.value === "__upload") {
        const f = elfFile.files?.[0];
        if (!f) throw new Error("Choose an ELF file.");
        body.elf = toHex(new Uint8Array(await f.arrayBuffer()));
      } else body.guest = guest.value;
      const p = await ctx.api<Prepared>("/v1/app/prepare", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const c = readyClient(ctx);
      const fee = c ? await jobFee(c, { cycleBound: BigInt(p.cycleBound) }) : undefined;
      const image = c
        ? { registered: await imageRegistered(c, { imageId: BigInt(p.imageId) }) }
        : undefined;
      if (mine !== seq) return;
      fill(
        preview,
        h("h2", { id: "preview-h" }, "Job"),
        dl(
          [
            ["Image ID", h("code", { id: "image-id", class: "wrap" }, hex32(p.imageId))],
            [
              "Image on chain",
              image
                ? image.registered
                  ? "registered"
                  : "not yet: registered first, in its own transaction"
                : "connect your wallet to check",
            ],
            [
              "Input",
              h(
                "code",
                { id: "input-hex", class: "wrap" },
                input === "0x"
                  ? "(empty)"
                  : byDigest
                    ? `${input.slice(0, 2 + 64)}… (${bytes.length} bytes)`
                    : input,
              ),
            ],
            [
              "Input on chain",
              h(
                "span",
                { id: "input-path" },
                byDigest
                  ? `by its digest (over ${MAX_INLINE_INPUT_BYTES} bytes): once the job is submitted, your wallet signs the upload of its ${bytes.length} bytes to this orchestrator`
                  : "stored with the job",
              ),
            ],
            ["Cycle bound", `${p.cycleBound} cycles (the run, executed by the orchestrator)`],
            [
              "Fee",
              h(
                "span",
                { id: "fee" },
                fee !== undefined ? eth(fee) : "connect your wallet to see the fee",
              ),
            ],
          ],
          { class: "facts" },
        ),
      );
      if (fee !== undefined && image) {
        prepared = { p, input, fee, registered: image.registered };
        submitBtn.disabled = false;
      }
    } catch (e) {
      if (mine !== seq) return;
      fill(
        preview,
        h("h2", { id: "preview-h" }, "Job"),
        h("p", { class: "bad", role: "alert" }, (e as Error).message),
      );
    }
  };

  const sync = () => {
    elfRow.hidden = guest.value !== "__upload";
    fileRow.hidden = kind.value !== "file";
    valueRow.hidden = kind.value === "file";
    void prepare();
  };
  for (const el of [guest, kind, elfFile, inputFile]) el.addEventListener("change", sync);
  let debounce: ReturnType<typeof setTimeout> | undefined;
  value.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void prepare(), 300);
  });

  fill(
    main,
    h("h1", {}, "Submit a job"),
    h(
      "p",
      { class: "lede" },
      "Choose a program and its input. The orchestrator executes it once to tell the image ID and the cycles to declare; you pay the fee from your wallet, the network proves the run in chunks and settles it in the epoch's Universal Proof.",
    ),
    h(
      "form",
      {
        class: "card",
        "aria-labelledby": "job-form-h",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void act(ctx, submitBtn, "Confirm in your wallet…", async () => {
            const c = walletClientOf(ctx);
            if (!prepared) throw new Error("The job is not prepared yet.");
            const { p, input, fee } = prepared;
            const bytes = hexToBytes(input);
            if (bytes.length > MAX_INPUT_BYTES) throw tooLong(bytes.length);
            const imageId = BigInt(p.imageId);
            if (!prepared.registered) {
              ctx.notify("info", "Confirm the image registration in your wallet…");
              const reg = await registerImage(c, { imageId, image: p.registerImage });
              if (reg.transaction) confirmed(reg.transaction);
            }
            ctx.notify("info", "Confirm the job submission in your wallet…");
            // Inputs over 64 bytes are committed by digest; the job page then uploads their
            // bytes to the orchestrator, signed by the wallet (as `concentric submit-job` does).
            const r = await submitJob(c, {
              imageId,
              input: bytes,
              inputDigest: BigInt(p.inputDigest),
              cycleBound: BigInt(p.cycleBound),
              fee,
            });
            confirmed(r.transaction);
            if (!r.inputOnChain) pendingInputs.set(Number(r.jobId), bytes);
            ctx.navigate(`/jobs/${r.jobId}`);
            return r.inputOnChain
              ? `Job ${r.jobId} submitted into epoch ${r.epoch}.`
              : `Job ${r.jobId} submitted into epoch ${r.epoch}; sign the upload of its input in your wallet.`;
          });
        },
      },
      h("h2", { id: "job-form-h" }, "Program and input"),
      h("div", { class: "field" }, h("label", { for: "guest" }, "Guest program"), guest),
      elfRow,
      h("div", { class: "field" }, h("label", { for: "input-kind" }, "Input as"), kind),
      valueRow,
      fileRow,
      submitBtn,
    ),
    preview,
  );
  submitBtn.disabled = true;

  let loaded = false;
  const refresh = async () => {
    if (!loaded) {
      loaded = true;
      const guests =
        await ctx.api<{ name: string; imageId: string; bytes: number }[]>("/v1/app/guests");
      fill(
        guest,
        guests.map((g) =>
          h(
            "option",
            { value: g.name, selected: g.name === "fibonacci" },
            `${g.name} (${g.bytes} bytes)`,
          ),
        ),
        h("option", { value: "__upload" }, "Upload an ELF…"),
      );
      sync();
    } else if (
      !prepared &&
      ctx.wallet.state.status === "ready" &&
      !submitBtn.getAttribute("aria-busy")
    ) {
      // The wallet connected after the preview: fee and image status can be read now.
      void prepare();
    }
  };
  return { refresh };
}

// ---------------------------------------------------------------------------------------------
// Job page

interface AppJob {
  id: number;
  seen: boolean;
  /** Whether the orchestrator has the job's input bytes (on chain, or uploaded). */
  inputKnown: boolean;
  job: {
    id: number;
    epoch: number;
    status: string;
    chunks: number;
    error: string | null;
    created_at: number;
    proven_at: number | null;
  } | null;
  tasks: {
    idx: number;
    status: string;
    prover: string | null;
    proved_at: number | null;
    attempts: number;
  }[];
  run: {
    exitCode: number | null;
    cycles: string | null;
    output: string;
    outputDigest: string;
  } | null;
  epoch: {
    epoch: number;
    status: string;
    jobs: number;
    chunks: number;
    tx_hash: string | null;
    gas: string | null;
    error: string | null;
  } | null;
}

/** Where the upload of a job's input (submitted by digest from this page) stands. */
type Delivery =
  | { state: "waiting" }
  | { state: "signing" }
  | { state: "delivered"; bytes: number }
  | { state: "rejected" }
  | { state: "failed"; message: string };
const deliveries = new Map<number, Delivery>();

export function jobPage(ctx: Ctx, main: HTMLElement, id: number): Page {
  const status = h("p", { id: "job-status", class: "status", "aria-live": "polite" }, "loading…");
  const steps = h("ol", { class: "steps", "aria-label": "Progress" });
  const inputBox = h("div", { id: "job-input", "aria-live": "polite" });
  const facts = h("section", { "aria-labelledby": "job-facts-h" });
  const result = h("section", { "aria-labelledby": "job-result-h" });
  const chunks = h("section", { "aria-labelledby": "job-chunks-h" });
  fill(main, h("h1", {}, `Job ${id}`), status, inputBox, steps, result, facts, chunks);
  /** The output's digest recomputed on chain (null: not possible here); computed once. */
  let digestHere: bigint | null | undefined;
  /** What the orchestrator said of the input last (its `inputKnown`), and what is shown. */
  let inputKnown: boolean | undefined;
  let shownInput = "";

  /** The input file chosen again (the bytes a page held are gone after a reload). */
  const pickFile = () =>
    h(
      "label",
      { class: "file-again" },
      "Input file for this job ",
      h("input", {
        type: "file",
        id: "input-again",
        onchange: (ev: Event) => {
          const f = (ev.target as HTMLInputElement).files?.[0];
          if (!f) return;
          if (f.size > MAX_INPUT_BYTES)
            return setDelivery({ state: "failed", message: tooLong(f.size).message });
          void f.arrayBuffer().then((b) => {
            pendingInputs.set(id, new Uint8Array(b));
            return deliver();
          });
        },
      }),
    );
  const renderInput = () => {
    const d = deliveries.get(id);
    const retry = () =>
      h(
        "button",
        { type: "button", id: "retry-input", onclick: () => void deliver() },
        "Retry the upload",
      );
    const [key, cls, ...content]: [string, string, ...(string | HTMLElement)[]] =
      d?.state === "delivered"
        ? [
            "delivered",
            "ok",
            `Input delivered: the orchestrator has its ${d.bytes} bytes, checked against the digest the job committed on chain.`,
          ]
        : d?.state === "signing"
          ? ["signing", "", "Sign the upload of the job's input in your wallet…"]
          : d?.state === "waiting"
            ? ["waiting", "", "Waiting for the orchestrator to see the job, to upload its input…"]
            : d?.state === "rejected"
              ? [
                  "rejected",
                  "bad",
                  "You rejected the signature, so the input was not uploaded. The job is on chain and waits for its input: ",
                  retry(),
                ]
              : d?.state === "failed"
                ? [
                    `failed:${d.message}`,
                    "bad",
                    `The input upload failed: ${d.message} `,
                    retry(),
                    " ",
                    pickFile(),
                  ]
                : inputKnown === false
                  ? [
                      "missing",
                      "bad",
                      `The orchestrator waits for this job's input (committed on chain by its digest). Choose the file again to upload it, signed in your wallet, or deliver it with concentric provide-input ${id} <file> --orchestrator ${location.origin}. `,
                      pickFile(),
                    ]
                  : ["", ""];
    if (key === shownInput) return;
    shownInput = key;
    fill(
      inputBox,
      key
        ? h(
            "p",
            { id: "input-status", class: cls, role: cls === "bad" ? "alert" : null },
            ...content,
          )
        : null,
    );
  };
  const setDelivery = (d: Delivery) => {
    deliveries.set(id, d);
    renderInput();
  };

  /** Uploads the input held for this job, signed by the wallet (once at a time). */
  let uploading = false;
  const deliver = async () => {
    const bytes = pendingInputs.get(id);
    const c = readyClient(ctx);
    if (!bytes || uploading) return;
    if (!c) return setDelivery({ state: "failed", message: "connect your wallet to sign it." });
    uploading = true;
    setDelivery({ state: "signing" });
    try {
      const r = await provideInput(c, { orchestrator: location.origin, jobId: id, input: bytes });
      pendingInputs.delete(id);
      setDelivery({ state: "delivered", bytes: r.bytes });
    } catch (e) {
      if (
        e instanceof OrchestratorRequestError &&
        e.status === 409 &&
        /already has/.test(e.reason)
      ) {
        pendingInputs.delete(id);
        setDelivery({ state: "delivered", bytes: bytes.length });
      } else if (e instanceof OrchestratorRequestError && e.status === 404)
        setDelivery({ state: "waiting" }); // not synced yet: the next refresh retries
      else {
        const w = describeWalletError(e);
        setDelivery(
          w.kind === "rejected"
            ? { state: "rejected" }
            : {
                state: "failed",
                message: e instanceof OrchestratorRequestError ? e.reason : w.shortMessage,
              },
        );
      }
    } finally {
      uploading = false;
    }
  };

  const refresh = async () => {
    const o = await ctx.api<AppJob>(`/v1/app/jobs/${id}`);
    inputKnown = o.seen ? o.inputKnown : undefined;
    const held = pendingInputs.get(id);
    if (held) {
      const d = deliveries.get(id);
      if (o.inputKnown) {
        // Delivered already (the answer to this page's upload was lost, or someone else's).
        pendingInputs.delete(id);
        if (d?.state !== "delivered") setDelivery({ state: "delivered", bytes: held.length });
      } else if (d === undefined || d.state === "waiting") {
        if (o.seen) void deliver();
        else setDelivery({ state: "waiting" });
      }
    }
    renderInput();
    const s = readyClient(ctx);
    let chain: JobView | undefined;
    if (s) {
      chain = await readJob(s, { jobId: BigInt(id) }).catch(() => undefined);
      if (chain && chain.status === "none") chain = undefined;
      if (!chain && !o.seen) {
        const count = (await s.contracts.jobs.read.jobCount()) as bigint;
        fill(status, `No job ${id} on chain (${count} jobs so far).`);
        return;
      }
    }
    const proven = o.tasks.filter((t) => t.status === "done").length;
    const total = o.job?.chunks ?? 0;
    const settled = chain?.status === "settled";
    const refunded = chain?.status === "refunded";
    const inProof = o.epoch?.status === "submitted";
    const stage = settled
      ? 5
      : inProof
        ? 4
        : o.job && total > 0 && proven === total
          ? 3
          : o.job
            ? 2
            : o.seen
              ? 1
              : 0;
    const epochNo = o.job?.epoch ?? (chain ? Number(chain.epoch) : undefined);
    let endsIn = "";
    if (s && epochNo !== undefined && !settled) {
      const [end, block] = await Promise.all([
        s.contracts.epochs.read.epochEnd([BigInt(epochNo)]) as Promise<bigint>,
        s.public.getBlock(),
      ]);
      const left = Number(end - block.timestamp);
      endsIn = left > 0 ? ` (ends in ${duration(left)})` : " (ended)";
    }
    const text = refunded
      ? "refunded (nobody settled it in time)"
      : o.job?.status === "failed"
        ? `cannot be proven: ${o.job.error ?? "failed"}`
        : settled
          ? "verified on chain"
          : inProof
            ? `in the Universal Proof of epoch ${epochNo}`
            : stage === 3
              ? `every chunk proven; waiting for epoch ${epochNo} to end${endsIn}`
              : stage === 2
                ? `proving: ${proven} / ${total} chunks`
                : stage === 1
                  ? o.inputKnown
                    ? "executing"
                    : "waiting for its input"
                  : chain
                    ? "pending (submitted on chain, not yet seen by this orchestrator)"
                    : "pending";
    fill(
      status,
      h("strong", {}, "Status: "),
      h("span", { class: settled ? "ok" : refunded ? "bad" : "" }, text),
    );
    main.setAttribute("data-job-stage", String(stage));
    const gas = o.epoch?.gas ? `${Number(o.epoch.gas).toLocaleString("en")} gas` : "";
    const labels: [string, string][] = [
      ["Pending", chain ? `submitted on chain into epoch ${chain.epoch}` : "submitted"],
      [
        "Executing",
        !o.seen
          ? "waiting for the orchestrator"
          : o.inputKnown
            ? "the orchestrator executed the run once and cut it into chunks"
            : "the orchestrator waits for the job's input",
      ],
      ["Chunks proven", total ? `${proven} / ${total}` : "—"],
      [
        "In the Universal Proof",
        inProof
          ? `epoch ${o.epoch!.epoch}, ${gas}, tx ${short(o.epoch!.tx_hash)}`
          : epochNo !== undefined
            ? `epoch ${epochNo}`
            : "—",
      ],
      ["Settled", settled ? "verified on chain" : "—"],
    ];
    fill(
      steps,
      labels.map(([k, v], i) =>
        h(
          "li",
          {
            class: i < stage || settled ? "done" : i === stage ? "current" : "todo",
            "aria-current": i === stage && !settled ? "step" : null,
          },
          h("span", { class: "step-name" }, k),
          h("span", { class: "step-detail" }, v),
        ),
      ),
    );

    fill(
      facts,
      h("h2", { id: "job-facts-h" }, "Job"),
      dl(
        [
          ["Requester", chain ? h("code", {}, chain.requester) : "—"],
          ["Image ID", chain ? h("code", { class: "wrap" }, hex32(chain.imageId)) : "—"],
          ["Fee", chain ? eth(chain.fee) : "—"],
          ["Cycle bound", chain ? `${chain.cycleBound} (at most ${chain.maxChunks} chunks)` : "—"],
          ["Epoch", epochNo !== undefined ? String(epochNo) : "—"],
          [
            "On chain",
            chain ? chain.status : s ? "not found" : "connect your wallet to read the chain",
          ],
          [
            "Universal Proof",
            inProof
              ? h("span", {}, h("code", { class: "wrap" }, o.epoch!.tx_hash ?? ""), ` (${gas})`)
              : "—",
          ],
        ],
        { class: "facts" },
      ),
    );

    if (o.run || settled) {
      const out = o.run ? decodeOutput(o.run.output) : undefined;
      // The digest of the bytes shown, recomputed here with the chain's Poseidon contract (once);
      // the orchestrator's own figure only when the deployment names no such contract.
      if (settled && o.run && s && digestHere === undefined) {
        const bytes = new Uint8Array(
          o.run.output
            .replace(/^0x/, "")
            .match(/../g)
            ?.map((b) => parseInt(b, 16)) ?? [],
        );
        digestHere = (await outputDigestOnChain(s, bytes)) ?? null;
      }
      const digestOk =
        settled && o.run
          ? (digestHere ?? BigInt(o.run.outputDigest)) === chain!.result!.outputDigest
          : undefined;
      const how =
        digestHere !== undefined && digestHere !== null
          ? "recomputed in your browser with the chain's Poseidon contract"
          : "as computed by the orchestrator";
      fill(
        result,
        h(
          "h2",
          { id: "job-result-h" },
          settled ? "Result (settled on chain)" : "Result (executed; not yet settled)",
        ),
        dl(
          [
            [
              "Exit code",
              h(
                "span",
                { id: "exit-code" },
                settled ? String(chain!.result!.exitCode) : String(o.run?.exitCode ?? "—"),
              ),
            ],
            [
              "Cycles",
              h(
                "span",
                { id: "cycles" },
                settled ? String(chain!.result!.cycles) : String(o.run?.cycles ?? "—"),
              ),
            ],
            ["Output (u32)", h("span", { id: "output-u32" }, out?.u32 ?? "—")],
            ["Output (hex)", h("code", { id: "output-hex", class: "wrap" }, out?.hex ?? "—")],
            ["Output (UTF-8)", h("span", { id: "output-utf8" }, out?.utf8 ?? "—")],
            [
              "Output digest",
              settled
                ? h(
                    "span",
                    { id: "digest-check", class: digestOk ? "ok" : "bad" },
                    digestOk
                      ? `matches the chain's (${how}): the output shown is the one proven`
                      : `DOES NOT match the chain's (${how}): do not trust the output shown`,
                  )
                : "checked against the chain once settled",
            ],
          ],
          { class: "facts" },
        ),
      );
    } else fill(result);

    fill(
      chunks,
      h("h2", { id: "job-chunks-h" }, `Chunks${total ? ` (${proven} / ${total} proven)` : ""}`),
      h("progress", { max: Math.max(total, 1), value: proven, "aria-label": "chunks proven" }),
      table(
        "Chunk proofs",
        ["chunk", "status", "prover", "proven"],
        o.tasks.map((t) => [
          String(t.idx),
          t.status === "done" ? "proven" : t.status,
          t.prover ? h("code", {}, t.prover) : "—",
          ago(t.proved_at),
        ]),
        () => ({}),
        o.seen ? "no chunks" : "not executed yet",
      ),
    );
  };
  return { refresh };
}

// ---------------------------------------------------------------------------------------------
// Explore

interface Status {
  address: string;
  chainId: number;
  circuit: string;
  parent?: string;
  uptimeSeconds: number;
  tasks: Record<string, number>;
}
interface JobRow {
  id: number;
  epoch: number;
  status: string;
  chunks: number;
  error: string | null;
  proven: number;
}
interface EpochRow {
  epoch: number;
  status: string;
  jobs: number;
  chunks: number;
  gas: string | null;
  tx_hash: string | null;
  error: string | null;
}

export function explorePage(ctx: Ctx, main: HTMLElement, path: string): Page {
  const overview = h("section", { "aria-labelledby": "overview-h" });
  const jobs = h("section", { id: "jobs", "aria-labelledby": "jobs-h" });
  const epochs = h("section", { id: "epochs", "aria-labelledby": "epochs-h" });
  const rings = h("section", { id: "rings", "aria-labelledby": "rings-h" });
  const chart = h("section", { id: "throughput", "aria-labelledby": "tp-h" });
  fill(main, h("h1", {}, "Explore the network"), overview, jobs, epochs, rings, chart);
  let scrolled = false;

  const refresh = async () => {
    const [s, nodes, jobRows, epochRows, tp] = await Promise.all([
      ctx.api<Status>("/v1/status"),
      ctx.api<NodeRow[]>("/v1/nodes"),
      ctx.api<JobRow[]>("/v1/jobs"),
      ctx.api<EpochRow[]>("/v1/epochs"),
      ctx.api<{ minute: number; proofs: number }[]>("/v1/throughput"),
    ]);
    // Who submitted each verified epoch, as the chain records it (when the wallet can read it).
    const submitters = new Map<number, string>();
    const client = readyClient(ctx);
    if (client)
      await Promise.all(
        epochRows
          .filter((e) => e.status === "submitted")
          .slice(0, 20)
          .map(async (e) => {
            const r = await (
              client.contracts.epochs.read.epochRecord([BigInt(e.epoch)]) as Promise<{
                submitter: string;
              }>
            ).catch(() => undefined);
            if (r && !/^0x0{40}$/.test(r.submitter)) submitters.set(e.epoch, r.submitter);
          }),
      );
    fill(
      overview,
      h("h2", { id: "overview-h" }, "This orchestrator"),
      dl(
        [
          ["Address", h("code", { class: "wrap" }, s.address)],
          ["Place", s.parent ? `a ring below ${s.parent}` : "a root (settles epochs on chain)"],
          ["Chain", String(s.chainId)],
          ["Circuit", s.circuit],
          [
            "Tasks",
            Object.entries(s.tasks ?? {})
              .map(([k, v]) => `${k}: ${v}`)
              .join(" · ") || "none yet",
          ],
          ["Up", duration(s.uptimeSeconds)],
        ],
        { class: "facts" },
      ),
    );
    fill(
      jobs,
      h("h2", { id: "jobs-h" }, "Jobs"),
      table(
        "Jobs this orchestrator proves (newest first)",
        ["job", "epoch", "status", "chunks proven"],
        jobRows.map((j) => [
          h("a", { href: `/jobs/${j.id}` }, `Job ${j.id}`),
          String(j.epoch),
          j.status + (j.error ? `: ${j.error}` : ""),
          `${j.proven} / ${j.chunks}`,
        ]),
      ),
    );
    fill(
      epochs,
      h("h2", { id: "epochs-h" }, "Epochs"),
      table(
        "Epochs and their Universal Proofs",
        ["epoch", "status", "submitter", "jobs", "chunks", "gas", "transaction"],
        epochRows.map((e) => [
          String(e.epoch),
          h(
            "span",
            { class: e.status === "submitted" ? "ok" : e.error ? "bad" : "" },
            e.status === "submitted"
              ? "verified on chain"
              : e.status + (e.error ? `: ${e.error}` : ""),
          ),
          e.status === "submitted"
            ? h(
                "code",
                { title: submitters.get(e.epoch) ?? s.address },
                short(submitters.get(e.epoch) ?? s.address),
              )
            : "—",
          String(e.jobs),
          String(e.chunks),
          e.gas ? Number(e.gas).toLocaleString("en") : "—",
          e.tx_hash ? h("code", { title: e.tx_hash }, short(e.tx_hash)) : "—",
        ]),
        (i) => ({ class: "epoch", "data-status": epochRows[i]!.status }),
      ),
    );
    const orchs = nodes.filter((n) => n.role === "orchestrator");
    const dels = nodes.filter((n) => n.role !== "orchestrator");
    fill(
      rings,
      h("h2", { id: "rings-h" }, "Ring tree and delegators"),
      h(
        "ul",
        { class: "tree", "aria-label": "Ring tree" },
        h(
          "li",
          {},
          s.parent ? `parent ${s.parent} → ` : "",
          h("strong", {}, "this orchestrator "),
          h("code", {}, short(s.address)),
          h(
            "ul",
            {},
            orchs.map((n) =>
              h(
                "li",
                {},
                "ring below: ",
                h("code", {}, short(n.address)),
                ` ${n.name ?? ""} — ${n.accepted} segments accepted`,
              ),
            ),
            dels.map((n) =>
              h(
                "li",
                {},
                "delegator ",
                h("code", {}, short(n.address)),
                ` ${n.name ?? ""} — ${n.accepted} proofs`,
              ),
            ),
          ),
        ),
      ),
      table(
        "Delegators and rings with their accepted and refused proofs",
        ["address", "name", "role", "accepted", "refused", "last seen"],
        nodes.map((n) => [
          h("code", { class: "wrap" }, n.address),
          n.name ?? "",
          n.role,
          String(n.accepted),
          h("span", { class: n.rejected ? "bad" : "" }, String(n.rejected)),
          ago(n.last_seen),
        ]),
      ),
    );
    fill(chart, h("h2", { id: "tp-h" }, "Throughput"), throughputChart(tp));
    if (!scrolled && path !== "/") {
      scrolled = true;
      document.getElementById(path.slice(1))?.scrollIntoView();
    }
  };
  return { refresh };
}

/** Accepted proofs per minute, the last hour, as an SVG bar chart with a text summary. */
function throughputChart(tp: { minute: number; proofs: number }[]): HTMLElement {
  const now = Math.floor(Date.now() / 60000) * 60000;
  const byMinute = new Map(tp.map((b) => [b.minute, b.proofs]));
  const bars = Array.from({ length: 60 }, (_, i) => {
    const m = now - (59 - i) * 60000;
    return { m, n: byMinute.get(m) ?? 0 };
  });
  const max = Math.max(1, ...bars.map((b) => b.n));
  const total = tp.reduce((a, b) => a + b.proofs, 0);
  const W = 600;
  const H = 120;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H + 20}`);
  svg.setAttribute("role", "img");
  svg.setAttribute(
    "aria-label",
    `Accepted proofs per minute over the last hour: ${total} in all, at most ${max === 1 && total === 0 ? 0 : max} in one minute`,
  );
  svg.classList.add("chart");
  bars.forEach((b, i) => {
    const r = document.createElementNS(ns, "rect");
    const bh = (b.n / max) * H;
    r.setAttribute("x", String(i * (W / 60) + 1));
    r.setAttribute("y", String(H - bh));
    r.setAttribute("width", String(W / 60 - 2));
    r.setAttribute("height", String(bh));
    const t = document.createElementNS(ns, "title");
    t.textContent = `${new Date(b.m).toLocaleTimeString()}: ${b.n} proofs`;
    r.append(t);
    svg.append(r);
  });
  for (const [x, label, anchor] of [
    [0, "60 min ago", "start"],
    [W, "now", "end"],
  ] as const) {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", String(x));
    t.setAttribute("y", String(H + 15));
    t.setAttribute("text-anchor", anchor);
    t.textContent = label;
    svg.append(t);
  }
  return h(
    "figure",
    {},
    svg as unknown as HTMLElement,
    h(
      "figcaption",
      { id: "throughput-total" },
      `${total} accepted proofs in the last hour (peak ${max === 1 && total === 0 ? 0 : max} per minute).`,
    ),
  );
}
