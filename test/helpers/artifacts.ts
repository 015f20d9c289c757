/**
 * The one cached way tests get circuit artifacts: built once per machine (per cache key),
 * reused afterwards, in `defaultCacheDir()` (CONCENTRIC_CACHE_DIR or `.cache/`).
 */
import {
  defaultCacheDir,
  getCircuitArtifacts,
  type CircuitArtifacts,
} from "../../prover/setup/artifacts.ts";

const cacheDir = defaultCacheDir();
const built = new Map<string, Promise<CircuitArtifacts>>();

export function getTestArtifacts(name: string): Promise<CircuitArtifacts> {
  let p = built.get(name);
  if (!p) {
    p = getCircuitArtifacts(name, { cacheDir });
    built.set(name, p);
  }
  return p;
}
