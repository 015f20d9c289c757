/**
 * Staking and the orchestrator registry on hardhat's network: every revert path with its
 * custom error, the ring tree, and the accounting invariant under randomized sequences of
 * operations from several accounts.
 */
import { network } from "hardhat";
import { describe, expect, it } from "vitest";
import { deployConcentric } from "../scripts/lib/deploy.ts";

const ETH = 10n ** 18n;

async function system() {
  const connection = await network.create();
  const c = await deployConcentric(connection);
  const wallets = await connection.viem.getWalletClients();
  const publicClient = await connection.viem.getPublicClient();
  const as = (i: number) => ({ account: wallets[i]!.account });
  return { connection, c, wallets, publicClient, as, time: connection.networkHelpers.time };
}

describe("Staking", () => {
  it("stakes, unbonds, and withdraws only after the delay; every misuse reverts by name", async () => {
    const { c, wallets, publicClient, as, time } = await system();
    const a = wallets[1]!.account.address;
    await expect(c.staking.write.stake(as(1))).rejects.toThrow(/Staking__ZeroAmount/);
    await c.staking.write.stake({ ...as(1), value: 3n * ETH });
    expect(await c.staking.read.stakeOf([a])).toBe(3n * ETH);
    await expect(c.staking.write.requestUnstake([0n], as(1))).rejects.toThrow(
      /Staking__ZeroAmount/,
    );
    await expect(c.staking.write.requestUnstake([4n * ETH], as(1))).rejects.toThrow(
      /Staking__InsufficientStake/,
    );
    await expect(c.staking.write.withdraw(as(1))).rejects.toThrow(/Staking__NothingToWithdraw/);
    await c.staking.write.requestUnstake([ETH], as(1));
    await expect(c.staking.write.withdraw(as(1))).rejects.toThrow(/Staking__StillUnbonding/);
    await time.increase(3600);
    const before = await publicClient.getBalance({ address: a });
    await c.staking.write.withdraw(as(1));
    const after = await publicClient.getBalance({ address: a });
    expect(after - before).toBeGreaterThan(ETH - 10n ** 15n); // minus gas
    expect(await c.staking.read.stakeOf([a])).toBe(2n * ETH);
    await expect(c.staking.write.slash([a, 1n], as(1))).rejects.toThrow(/Staking__NotSlasher/);
    await expect(c.staking.write.configure([a, a], as(0))).rejects.toThrow(
      /Staking__AlreadyConfigured/,
    );
    await expect(c.staking.write.configure([a, a], as(1))).rejects.toThrow(/Staking__NotDeployer/);
  });

  it("locks a registered orchestrator's minimum stake until it deregisters", async () => {
    const { c, as, time } = await system();
    await c.staking.write.stake({ ...as(1), value: ETH + 5n });
    await c.registry.write.register(
      ["http://127.0.0.1:7000", "0x0000000000000000000000000000000000000000"],
      as(1),
    );
    await expect(c.staking.write.requestUnstake([6n], as(1))).rejects.toThrow(
      /Staking__StakeLocked/,
    );
    await c.staking.write.requestUnstake([5n], as(1));
    await c.registry.write.requestExit(as(1));
    await expect(c.staking.write.requestUnstake([1n], as(1))).rejects.toThrow(
      /Staking__StakeLocked/,
    );
    await time.increase(3600);
    await c.registry.write.deregister(as(1));
    await c.staking.write.requestUnstake([ETH], as(1));
  });

  it("keeps balance == staked + unbonding, and matches a model, under random operations", async () => {
    // A standalone Staking whose slasher is a test account (account 9) stands in for the epoch
    // manager, so that slashing can be part of the random sequence.
    const connection = await network.create();
    const { viem, networkHelpers } = connection;
    const wallets = await viem.getWalletClients();
    const pc = await viem.getPublicClient();
    const staking = await viem.deployContract("Staking", [100n]);
    const zero = "0x0000000000000000000000000000000000000000";
    await staking.write.configure([zero, wallets[9]!.account.address]);
    const accounts = wallets.slice(1, 5);
    const model = new Map(accounts.map((w) => [w.account.address, { stake: 0n, unb: 0n, at: 0n }]));
    let seed = 0x5eedn;
    const rand = (n: number) => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      return Number((seed >> 33n) % BigInt(n));
    };
    const now = async () => (await pc.getBlock()).timestamp;
    for (let step = 0; step < 120; step++) {
      const w = accounts[rand(accounts.length)]!;
      const m = model.get(w.account.address)!;
      const opt = { account: w.account };
      const op = rand(5);
      const amount = BigInt(rand(1000) + 1) * 10n ** 15n;
      if (op === 0) {
        await staking.write.stake({ ...opt, value: amount });
        m.stake += amount;
      } else if (op === 1) {
        if (amount > m.stake) {
          await expect(staking.write.requestUnstake([amount], opt)).rejects.toThrow(
            /InsufficientStake/,
          );
        } else {
          await staking.write.requestUnstake([amount], opt);
          m.stake -= amount;
          m.unb += amount;
          m.at = (await now()) + 100n;
        }
      } else if (op === 2) {
        const t = await now();
        if (m.unb === 0n)
          await expect(staking.write.withdraw(opt)).rejects.toThrow(/NothingToWithdraw/);
        else if (t + 1n < m.at)
          await expect(staking.write.withdraw(opt)).rejects.toThrow(/StillUnbonding/);
        else {
          await staking.write.withdraw(opt);
          m.unb = 0n;
        }
      } else if (op === 3) {
        await staking.write.slash([w.account.address, amount], { account: wallets[9]!.account });
        const fromStake = amount < m.stake ? amount : m.stake;
        const rest = amount - fromStake;
        m.stake -= fromStake;
        m.unb -= rest < m.unb ? rest : m.unb;
      } else {
        await networkHelpers.time.increase(rand(120));
      }
      const [balance, staked, unbonding] = await Promise.all([
        pc.getBalance({ address: staking.address }),
        staking.read.totalStaked(),
        staking.read.totalUnbonding(),
      ]);
      expect(balance).toBe(staked + unbonding);
      let sumStake = 0n;
      let sumUnb = 0n;
      for (const [addr, mm] of model) {
        expect(await staking.read.stakeOf([addr])).toBe(mm.stake);
        expect((await staking.read.unbondingOf([addr])).amount).toBe(mm.unb);
        sumStake += mm.stake;
        sumUnb += mm.unb;
      }
      expect(staked).toBe(sumStake);
      expect(unbonding).toBe(sumUnb);
    }
  });
});

describe("OrchestratorRegistry", () => {
  const ZERO = "0x0000000000000000000000000000000000000000" as const;

  it("derives ring depth from the parent chain and exposes the tree", async () => {
    const { c, wallets, as } = await system();
    const addr = (i: number) => wallets[i]!.account.address;
    for (const i of [1, 2, 3, 4]) await c.staking.write.stake({ ...as(i), value: ETH });
    await expect(c.registry.write.register(["", ZERO], as(1))).rejects.toThrow(
      /Registry__BadEndpoint/,
    );
    await expect(c.registry.write.register(["http://x", addr(2)], as(1))).rejects.toThrow(
      /Registry__BadParent/,
    );
    await expect(c.registry.write.register(["http://x", ZERO], as(5))).rejects.toThrow(
      /Registry__InsufficientStake/,
    );
    await c.registry.write.register(["http://root", ZERO], as(1));
    await expect(c.registry.write.register(["http://root", ZERO], as(1))).rejects.toThrow(
      /Registry__AlreadyRegistered/,
    );
    await c.registry.write.approveChild([addr(2), true], as(1));
    await c.registry.write.register(["http://ring2", addr(1)], as(2));
    await c.registry.write.approveChild([addr(3), true], as(2));
    await c.registry.write.approveChild([addr(4), true], as(2));
    await c.registry.write.register(["http://ring1", addr(2)], as(3));
    await c.registry.write.register(["http://ring1b", addr(2)], as(4));
    const depth = async (i: number) => (await c.registry.read.orchestrator([addr(i)])).depth;
    expect([await depth(1), await depth(2), await depth(3), await depth(4)]).toEqual([0, 1, 2, 2]);
    expect(
      (await c.registry.read.childrenOf([addr(2)])).map((a) => a.toLowerCase()).sort(),
    ).toEqual([addr(3), addr(4)].map((a) => a.toLowerCase()).sort());
    expect((await c.registry.read.activeRoots()).map((a) => a.toLowerCase())).toEqual([
      addr(1).toLowerCase(),
    ]);
    expect(await c.registry.read.members()).toHaveLength(4);
    await c.registry.write.updateEndpoint(["http://ring1-new"], as(3));
    expect((await c.registry.read.orchestrator([addr(3)])).endpoint).toBe("http://ring1-new");
    await expect(c.registry.write.updateEndpoint(["http://x"], as(5))).rejects.toThrow(
      /Registry__NotRegistered/,
    );
  });

  it("leaves after an exit request and the delay", async () => {
    const { c, wallets, as, time } = await system();
    const addr = (i: number) => wallets[i]!.account.address;
    for (const i of [1, 2]) await c.staking.write.stake({ ...as(i), value: ETH });
    await c.registry.write.register(["http://root", ZERO], as(1));
    await c.registry.write.approveChild([addr(2), true], as(1));
    await c.registry.write.register(["http://child", addr(1)], as(2));
    await expect(c.registry.write.deregister(as(2))).rejects.toThrow(/Registry__NotLeaving/);
    await c.registry.write.requestExit(as(2));
    await expect(c.registry.write.requestExit(as(2))).rejects.toThrow(/Registry__AlreadyLeaving/);
    // A leaving orchestrator takes no new children.
    await c.staking.write.stake({ ...as(3), value: ETH });
    await expect(c.registry.write.approveChild([addr(3), true], as(2))).rejects.toThrow(
      /Registry__BadParent/,
    );
    await expect(c.registry.write.register(["http://x", addr(2)], as(3))).rejects.toThrow(
      /Registry__BadParent/,
    );
    await expect(c.registry.write.deregister(as(2))).rejects.toThrow(/Registry__ExitDelay/);
    await time.increase(3600);
    await c.registry.write.deregister(as(2));
    expect((await c.registry.read.orchestrator([addr(2)])).registered).toBe(false);
    expect(await c.registry.read.childrenOf([addr(1)])).toEqual([]);
    await c.registry.write.requestExit(as(1));
    expect(await c.registry.read.activeRoots()).toEqual([]);
    expect(await c.registry.read.rootCount()).toBe(0n);
    await expect(c.registry.write.deregister(as(7))).rejects.toThrow(/Registry__NotRegistered/);
  });

  it("attack: a stranger cannot pin a root by registering under it; a parent evicts and can always leave", async () => {
    const { c, wallets, as, time } = await system();
    const addr = (i: number) => wallets[i]!.account.address;
    for (const i of [1, 2, 3]) await c.staking.write.stake({ ...as(i), value: ETH });
    await c.registry.write.register(["http://root", ZERO], as(1));
    // Mallory (3) registers under the root without its consent: refused.
    await expect(c.registry.write.register(["http://mallory", addr(1)], as(3))).rejects.toThrow(
      /Registry__NotApproved/,
    );
    // Approval is for one named account and is used up by its registration.
    await c.registry.write.approveChild([addr(2), true], as(1));
    await expect(c.registry.write.register(["http://mallory", addr(1)], as(3))).rejects.toThrow(
      /Registry__NotApproved/,
    );
    await c.registry.write.register(["http://child", addr(1)], as(2));
    expect(await c.registry.read.childApproved([addr(1), addr(2)])).toBe(false);
    // Only the parent evicts; the evicted child is detached, inactive, and may leave at once.
    await expect(c.registry.write.evictChild([addr(2)], as(3))).rejects.toThrow(
      /Registry__NotParent/,
    );
    await c.registry.write.evictChild([addr(2)], as(1));
    const child = await c.registry.read.orchestrator([addr(2)]);
    expect(child.parent).toBe(ZERO);
    expect(await c.registry.read.isActive([addr(2)])).toBe(false);
    expect(await c.registry.read.childrenOf([addr(1)])).toEqual([]);
    await c.registry.write.deregister(as(2));
    // A parent with children can always leave: they are evicted with it.
    await c.registry.write.approveChild([addr(3), true], as(1));
    await c.registry.write.register(["http://child3", addr(1)], as(3));
    await c.registry.write.requestExit(as(1));
    expect(await c.registry.read.isActive([addr(3)])).toBe(false);
    expect((await c.registry.read.orchestrator([addr(3)])).parent).toBe(ZERO);
    await time.increase(3600);
    await c.registry.write.deregister(as(1));
    await c.registry.write.deregister(as(3));
    await c.staking.write.requestUnstake([ETH], as(1));
  });

  it("attack: rings cannot grow deeper than MAX_DEPTH", async () => {
    const { c, wallets, as } = await system();
    const addr = (i: number) => wallets[i]!.account.address;
    const maxDepth = await c.registry.read.MAX_DEPTH();
    expect(maxDepth).toBe(8);
    for (let i = 1; i <= maxDepth + 2; i++) await c.staking.write.stake({ ...as(i), value: ETH });
    await c.registry.write.register(["http://r1", ZERO], as(1));
    for (let i = 2; i <= maxDepth + 1; i++) {
      await c.registry.write.approveChild([addr(i), true], as(i - 1));
      await c.registry.write.register([`http://r${i}`, addr(i - 1)], as(i));
    }
    expect((await c.registry.read.orchestrator([addr(maxDepth + 1)])).depth).toBe(maxDepth);
    const deep = maxDepth + 2;
    await c.registry.write.approveChild([addr(deep), true], as(deep - 1));
    await expect(
      c.registry.write.register(["http://too-deep", addr(deep - 1)], as(deep)),
    ).rejects.toThrow(/Registry__TooDeep/);
  });
});
