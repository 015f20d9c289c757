/**
 * Silences one warning on purpose: Node's "SQLite is an experimental feature" ExperimentalWarning,
 * printed when the orchestrator's store loads node:sqlite. The API it warns about is pinned by
 * the Node version this package runs on (package.json engines and the `node` devDependency), and
 * a CLI must not print noise on every command. Every other warning still prints.
 * Imported first by scripts/cli.ts (ES modules evaluate in import order).
 */
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const message = typeof warning === "string" ? warning : warning?.message;
  const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string })?.type;
  const name = typeof warning === "string" ? type : warning?.name;
  if (
    (name === "ExperimentalWarning" || type === "ExperimentalWarning") &&
    /SQLite/.test(message ?? "")
  )
    return;
  (emitWarning as (...a: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
