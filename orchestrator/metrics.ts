/** Prometheus metrics of one orchestrator (its own registry, so several can share a process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    leased: new Counter({
      name: "concentric_tasks_leased_total",
      help: "Chunk leases issued (re-issues included)",
      registers: [registry],
    }),
    accepted: new Counter({
      name: "concentric_proofs_accepted_total",
      help: "Chunk proofs accepted after verification",
      registers: [registry],
    }),
    rejected: new Counter({
      name: "concentric_proofs_rejected_total",
      help: "Chunk proofs rejected (wrong statement, invalid, someone else's lease)",
      registers: [registry],
    }),
    latency: new Histogram({
      name: "concentric_proving_latency_seconds",
      help: "From lease to accepted proof",
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    epochs: new Counter({
      name: "concentric_epochs_submitted_total",
      help: "Universal Proofs verified on chain",
      registers: [registry],
    }),
    gas: new Counter({
      name: "concentric_epoch_gas_total",
      help: "Gas used by Universal Proof submissions",
      registers: [registry],
    }),
    lastGas: new Gauge({
      name: "concentric_epoch_gas_last",
      help: "Gas of the last Universal Proof submission",
      registers: [registry],
    }),
    http: new Counter({
      name: "concentric_http_responses_total",
      help: "HTTP responses by status code",
      labelNames: ["status"],
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
