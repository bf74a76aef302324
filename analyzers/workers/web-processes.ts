// A process a supervisor ran (an eye/god/bluepill process, a monit check, a systemd or upstart unit,
// a foreman-exported Procfile line) whose command runs the app server is the web server itself: the
// web Deployment runs it. It is never a "not carried" worker, and the cutover never tells anyone to
// keep it running on the old servers (that would keep serving the old code beside the cluster).
// What it keeps: the line, so its flags, stop signal and grace can be compared with the web pod's.
import type { UncarriedProcess, WebServerFacts } from "../../src/model.js";
import { unwrapCommand } from "../../src/model/service-managers.js";

/** Programs that are an app server (`rails s`/`rackup` are read by their words below). */
const SERVERS = new Set(["unicorn", "unicorn_rails", "puma", "thin", "passenger", "falcon", "iodine", "agoo", "rainbows", "pitchfork", "goliath"]);
const ASSIGN = /^[A-Za-z_]\w*=/;

/** The app server a command line runs (`bundle exec unicorn -Dc config/unicorn.rb`), by its program, not by a word anywhere in it; null when it runs none. */
export function webServerRun(written: string): string | null {
  // A Ruby literal the analysis could not evaluate (`"bundle exec unicorn_rails -D -c #{dir}/unicorn.rb"`) still names its program.
  const command = /^(["'])[^]*\1$/.test(written.trim()) ? written.trim().slice(1, -1) : written;
  const u = unwrapCommand(command, (words) => serverOf(words) !== null);
  return u ? serverOf(u.words) : serverOf(command.trim().split(/\s+/));
}

function serverOf(words: string[]): string | null {
  let w = words.filter((x) => x !== "");
  while (w.length && ASSIGN.test(w[0]!)) w = w.slice(1);
  const base = (x: string | undefined) => (x ?? "").replace(/^.*\//, "");
  // `bundle exec X`, `rbenv exec X`, `/usr/bin/env X`, `ruby bin/X`: the program is X.
  for (;;) {
    if (base(w[0]) === "env") {
      w = w.slice(1);
      while (w.length && w[0]!.startsWith("-")) w = w.slice(1);
    }
    else if (["bundle", "rbenv", "rvm", "chruby-exec"].includes(base(w[0])) && w[1] === "exec") w = w.slice(2);
    else if (/^(ruby|jruby)(\d[\d.]*)?$/.test(base(w[0])) && w[1] && !w[1].startsWith("-")) w = w.slice(1);
    else break;
    while (w.length && ASSIGN.test(w[0]!)) w = w.slice(1);
  }
  const p = base(w[0]).replace(/\.rb$/, "");
  // A rack file other than the app's (`thin -R faye.ru`, `rackup private_pub.ru`) is a side server of its own (init-scripts.ts), not the web server.
  const r = w.findIndex((x) => x === "-R" || x === "--rackup");
  const rack = (r >= 0 ? w[r + 1] : w.find((x) => /^--rackup=/.test(x))?.replace(/^--rackup=/, "")) ?? w.slice(1).find((x) => /\.ru$/.test(x));
  if (rack && rack.replace(/^\.\//, "") !== "config.ru") return null;
  if (SERVERS.has(p)) return p;
  if (p === "pumactl" || p === "passenger-config") return p === "pumactl" ? "puma" : "passenger";
  if (p === "rackup") return "rackup";
  if ((p === "rails" || p === "server") && (p === "server" || /^s(erver)?$/.test(w[1] ?? ""))) return "rails server";
  return null;
}

/**
 * Marks the processes named as not carried whose command runs the app server: the web Deployment's,
 * said as such. A line that never ran (devOnly) or is already the web line stays as it is.
 */
export function asWebProcesses(uncarried: UncarriedProcess[], web: WebServerFacts | null): void {
  for (const u of uncarried) {
    if (u.devOnly || u.replacedByWeb) continue;
    const server = webServerRun(u.command);
    if (!server) continue;
    u.replacedByWeb = true;
    u.why = webWhy(web, `\`${u.name}\` runs ${server}`);
  }
}

/** Why a supervised web server process is the web Deployment's, with what to compare. */
export function webWhy(web: WebServerFacts | null, what: string): string {
  const runs = web?.kind ? `${web.kind} as the image starts it` : "the app server the image starts";
  return `the web server, not a worker (${what}); the web Deployment runs ${runs}, not this line as written: compare its flags, and its stop signal and grace with the web pod's`;
}
