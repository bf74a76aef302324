// Lines of the env files kustomize's configMapGenerator/secretGenerator read (`envs:`). kustomize
// (checked with `kubectl kustomize`, v5) reads each line as KEY=VALUE, trims the space before the
// key, and takes the value verbatim to the end of the line: spaces, quotes and `#` stay part of it,
// no escape is read. So a value is written as it is, and the only values it cannot carry are those
// holding a line break (a CR too: a trailing one is dropped as part of CRLF) or a lone surrogate
// (not UTF-8, which kustomize rejects). Those are not written: the caller says so.
import { escapeControls } from "../../src/model/controls.js";

/** A name an env var can have in every shell and in Kubernetes' strictest rule. */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const isEnvKey = (key: string): boolean => ENV_KEY.test(key);

/** True when kustomize gives back exactly `value` from a `KEY=value` line. */
export function envExpressible(value: string): boolean {
  return !/[\r\n]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
}

/** `KEY=value\n`; throws on a key or value the caller should have held back (a bug, not input). */
export function envLine(key: string, value: string): string {
  if (!isEnvKey(key)) throw new Error(`not an env key: ${JSON.stringify(key)}`);
  if (!envExpressible(value)) throw new Error(`${key}: a value with a line break cannot be written to an env file`);
  return `${key}=${value}\n`;
}

/** A comment line: whatever the text holds, it stays one line that kustomize skips. */
export function envComment(text: string): string {
  return `# ${escapeControls(text)}\n`;
}
