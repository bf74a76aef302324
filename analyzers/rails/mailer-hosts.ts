// The host each Rails environment's mailer links to: `config.action_mailer.default_url_options =
// { host: "shop.example.org" }` in config/environments/<env>.rb. Links in mail point at the site's
// public host, so it is evidence of that environment's host when nginx names none. Only a literal
// host counts (an ENV read or a variable is not a fact).
import type { AnalyzerContext, Fact } from "../../src/model.js";

const ENV_FILE = /^config\/environments\/([^/]+)\.rb$/;
/** `default_url_options = { host: "x" ... }`, `{ :host => 'x' }`, or `default_url_options[:host] = "x"`. */
const MAILER_HOST = /action_mailer\.default_url_options\s*(?:=\s*\{[^}\n]*?(?:\bhost:|:host\s*=>)\s*|\[\s*:host\s*\]\s*=\s*)(["'])([^"'#\s]+)\1/;

export function readMailerHosts(ctx: AnalyzerContext): Record<string, Fact<string>> {
  const out: Record<string, Fact<string>> = {};
  for (const file of ctx.repo.paths) {
    const env = ENV_FILE.exec(file)?.[1];
    if (!env) continue;
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const lines = r.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      if (/^\s*#/.test(lines[i]!)) continue;
      const m = MAILER_HOST.exec(lines[i]!);
      if (m) {
        out[env] = { value: m[2]!.replace(/:\d+$/, ""), source: { file, line: i + 1 } };
        break;
      }
    }
  }
  return out;
}
