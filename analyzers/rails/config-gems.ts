// Rails 2.3 apps without Bundler declared their gems in config/environment.rb (`config.gem
// 'delayed_job', :version => '~>1.8.4'`), and `rake gems:install` put them on the servers. With no
// Gemfile.lock, such a declaration is what says the app runs a gem: a job backend declared this way
// is as much the app's as one in the lockfile. A Gemfile.lock present decides instead (Bundler's
// bundle, not environment.rb, is what the servers loaded).
import type { AnalyzerContext, Fact } from "../../src/model.js";

const FILE = "config/environment.rb";
const LINE = /^\s*config\.gem\s*\(?\s*["']([\w.-]+)["']([^#\n]*)/;

/** Each `config.gem` of config/environment.rb, by gem: the version requirement as written (`~>1.8.4`, or `any version`), with its line. Empty when Gemfile.lock exists. */
export function configGems(ctx: AnalyzerContext): Record<string, Fact<string>> {
  const out: Record<string, Fact<string>> = {};
  if (ctx.repo.paths.includes("Gemfile.lock") || !ctx.repo.paths.includes(FILE)) return out;
  const r = ctx.repo.read(FILE);
  if ("error" in r) return out;
  r.text.split(/\r?\n/).forEach((t, i) => {
    const m = LINE.exec(t);
    if (!m) return;
    const v = /:version\s*=>\s*["']([^"']+)["']|\bversion:\s*["']([^"']+)["']/.exec(m[2]!);
    out[m[1]!] ??= { value: (v?.[1] ?? v?.[2] ?? "any version").replace(/\s+/g, " "), source: { file: FILE, line: i + 1 } };
  });
  return out;
}
