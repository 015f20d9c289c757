/**
 * The web app's read-only endpoints (explorer-api.ts) without a chain: the deployment and ABIs
 * it serves, jobs prepared from a committed guest and from an uploaded ELF (the same image ID),
 * refusals, a job this orchestrator has not seen, and the app's pages at stable URLs.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { join } from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inputDigest } from "../prover/executor/digest.ts";
import { REPO_ROOT } from "../prover/setup/registry.ts";
import { explorerRouter } from "./explorer-api.ts";
import { openDatabase } from "./store.ts";

let server: Server;
let url: string;
const db = openDatabase(":memory:");
const CONTRACTS = {
  staking: "0x0000000000000000000000000000000000000001",
  registry: "0x0000000000000000000000000000000000000002",
  jobs: "0x0000000000000000000000000000000000000003",
  epochs: "0x0000000000000000000000000000000000000004",
};

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.use(
    explorerRouter({
      db,
      info: () => ({ chainId: 31337, circuit: "c", address: "0xabc", contracts: CONTRACTS }),
    }),
  );
  server = await new Promise((r) => {
    const s = app.listen(0, "127.0.0.1", () => r(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server?.close();
  db.close();
});

const post = (path: string, body: unknown) =>
  fetch(url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("the web app's endpoints", () => {
  it("serves the deployment with ABIs that carry every custom error", async () => {
    const c = (await (await fetch(`${url}/v1/app/config`)).json()) as {
      chainId: number;
      contracts: Record<string, string>;
      abis: Record<string, { type: string; name?: string }[]>;
    };
    expect(c.chainId).toBe(31337);
    expect(c.contracts).toEqual(CONTRACTS);
    const errors = c.abis.staking!.filter((x) => x.type === "error").map((x) => x.name);
    expect(errors).toContain("Registry__AlreadyRegistered");
    expect(errors).toContain("Staking__StillUnbonding");
    expect(c.abis.jobs!.some((x) => x.name === "submitJobWithInput")).toBe(true);
  });

  it("prepares fibonacci(10) from a committed guest and from its uploaded ELF alike", async () => {
    const guests = (await (await fetch(`${url}/v1/app/guests`)).json()) as {
      name: string;
      imageId: string;
    }[];
    const fib = guests.find((g) => g.name === "fibonacci")!;
    const byName = (await (
      await post("/v1/app/prepare", { guest: "fibonacci", input: "0x0a000000" })
    ).json()) as {
      imageId: string;
      cycleBound: string;
      output: string;
      exitCode: number;
      registerImage: { elf: string };
    };
    expect(byName.imageId).toBe(fib.imageId);
    expect(byName.output).toBe("0x37000000");
    expect(byName.exitCode).toBe(0);
    expect(Number(byName.cycleBound)).toBeGreaterThan(100);
    const elf = readFileSync(join(REPO_ROOT, "guests", "elf", "fibonacci.elf"));
    const uploaded = (await (
      await post("/v1/app/prepare", { elf: `0x${elf.toString("hex")}`, input: "0x0a000000" })
    ).json()) as typeof byName;
    expect(uploaded).toEqual(byName);
    expect(uploaded.registerImage.elf).toBe(`0x${elf.toString("hex")}`);
  });

  it("returns the input digest a job commits on chain, for an input over 64 bytes too", async () => {
    // fibonacci reads the first 4 bytes (u32 10); the rest only changes the digest.
    const input = new Uint8Array(200).map((_, i) => (i < 4 ? [10, 0, 0, 0][i]! : i));
    const prepared = async (bytes: Uint8Array) =>
      (await (
        await post("/v1/app/prepare", {
          guest: "fibonacci",
          input: `0x${Buffer.from(bytes).toString("hex")}`,
        })
      ).json()) as { inputDigest: string; output: string };
    const long = await prepared(input);
    expect(long.inputDigest).toBe((await inputDigest(input)).toString());
    expect(long.output).toBe("0x37000000");
    const short = await prepared(input.slice(0, 4));
    expect(short.inputDigest).toBe((await inputDigest(input.slice(0, 4))).toString());
    expect(short.inputDigest).not.toBe(long.inputDigest);
    expect((await prepared(new Uint8Array())).inputDigest).toBe("0");
  });

  it("refuses what it cannot prepare, saying why", async () => {
    const notElf = await post("/v1/app/prepare", { elf: "0x00112233", input: "0x" });
    expect(notElf.status).toBe(422);
    expect(((await notElf.json()) as { error: string }).error).toMatch(/not a loadable/);
    const endless = await post("/v1/app/prepare", { guest: "fibonacci", input: "0xffffffff" });
    expect(endless.status).toBe(422);
    expect(((await endless.json()) as { error: string }).error).toMatch(/does not exit within/);
    expect((await post("/v1/app/prepare", { guest: "nope", input: "0x" })).status).toBe(404);
    expect((await post("/v1/app/prepare", { input: "0x" })).status).toBe(400);
    expect((await post("/v1/app/prepare", { guest: "fibonacci", input: "0xzz" })).status).toBe(400);
  });

  it("says a job is not seen yet, and refuses a malformed id", async () => {
    const j = (await (await fetch(`${url}/v1/app/jobs/42`)).json()) as {
      seen: boolean;
      job: unknown;
      tasks: unknown[];
    };
    expect(j).toMatchObject({ seen: false, job: null, tasks: [] });
    expect((await fetch(`${url}/v1/app/jobs/x`)).status).toBe(400);
  });

  it("answers every page URL with the app (or the dashboard when it is not built)", async () => {
    for (const p of ["/", "/jobs/7", "/stake", "/orchestrate", "/submit", "/epochs"]) {
      const r = await fetch(url + p);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/text\/html/);
    }
  });
});
