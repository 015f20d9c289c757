/** The CLI's errors (no dependencies: the entry point loads this before any command). */

/** An error a person can act on: one line on stderr, then exit with `status`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly status: 1 | 2 = 2,
  ) {
    super(message);
  }
}

/** A usage error (exit 2): printed with a pointer to the command's --help. */
export class UsageError extends CliError {}

/** One line for a failed file operation (ENOENT, EEXIST, EACCES, EISDIR…), or undefined. */
export function fileErrorMessage(e: unknown, path?: string, what = "file"): string {
  const err = e as NodeJS.ErrnoException;
  const p = path ?? err.path ?? "?";
  switch (err.code) {
    case "ENOENT":
      return `${what} ${p} does not exist (check the path)`;
    case "EEXIST":
      return `${p} already exists: choose another path or remove it first (it is never overwritten)`;
    case "EACCES":
    case "EPERM":
      return `${what} ${p}: permission denied`;
    case "EISDIR":
      return `${what} ${p} is a directory, not a file`;
    case "ENOTDIR":
      return `${what} ${p}: a part of the path is not a directory`;
    default:
      return `${what} ${p}: ${err.message}`;
  }
}
