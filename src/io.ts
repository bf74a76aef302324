// Where a command's output goes: stdout and stderr, and whether colour is allowed. The CLI makes
// one (src/cli.ts); redaction wraps it (src/redact.ts scrubbingIo); migrate and switch-config write
// through it. Its own module, so that none of them imports the CLI for the type.
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Colour allowed: a TTY and no NO_COLOR, or FORCE_COLOR. */
  color: boolean;
}
