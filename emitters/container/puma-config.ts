// The container Puma config (contract PUMA_CONTAINER_CONFIG), derived from the app's own: workers
// and threads from ENV with today's values as defaults, bound to TCP APP_PORT (an nginx sidecar
// reaches it on 127.0.0.1), no pidfile/state file/log redirect, preload and worker_timeout kept.
import type { AppServerConfig, EmitResult, RValue, Source } from "../../src/model.js";
import { APP_PORT, PUMA_CONTAINER_CONFIG } from "../contract.js";
import { boolOf, intFromEnv, literalInt, show } from "./server-values.js";
import template from "./puma.rb.tmpl?raw";
import { fill } from "../text/fill.js";
import { rubyCommentValue, rubyString } from "../encode/ruby.js";
import { APP_SERVER_DEFAULTS, isPlaceholderNumber } from "../app-server.js";
import { answeredNumbersComment } from "./server-values.js";

type Out = Pick<EmitResult, "provenance" | "notes">;

function threadBounds(v: RValue[] | undefined): [RValue, RValue] | null {
  return v && v.length >= 2 ? [v[0]!, v[1]!] : v && v.length === 1 ? [v[0]!, v[0]!] : null;
}

export function emitPumaConfig(server: AppServerConfig | null, out: Out): string {
  const file = PUMA_CONTAINER_CONFIG;
  const prov = (what: string, source: Source) => out.provenance.push({ output: file, what, source });
  const note = (message: string, source?: Source) => out.notes.push(source ? { message, source } : { message });
  const from = server ? server.file : "Puma's defaults (no Puma config found)";

  // Puma without `workers` runs in single mode (0); the container keeps that unless told otherwise.
  const d = APP_SERVER_DEFAULTS.puma;
  const workers = intFromEnv("WEB_CONCURRENCY", server?.workers ?? null, d.workers);
  if (server?.workers) {
    if (isPlaceholderNumber(server.workers)) note(`workers ${workers.value}: ${server.workers.defaultOf}`);
    else if (workers.unread) note(`workers ${show(server.workers.value)} could not be read: the container runs ${workers.value} (set WEB_CONCURRENCY)`, server.workers.source);
    else prov(`workers ${show(server.workers.value)} → default of WEB_CONCURRENCY`, server.workers.source);
  }
  const bounds = threadBounds(server?.threads?.value);
  const maxT = intFromEnv("RAILS_MAX_THREADS", bounds ? { value: bounds[1], source: server!.threads!.source } : null, d.threads[1]);
  const minT = intFromEnv("RAILS_MIN_THREADS", bounds ? { value: bounds[0], source: server!.threads!.source } : null, maxT.value);
  if (isPlaceholderNumber(server?.threads)) note(`threads ${show(server!.threads!.value)}: ${server!.threads!.defaultOf}`);
  else if (server?.threads && (maxT.unread || minT.unread)) note(`threads ${show(server.threads.value)} could not be read: the container runs Puma's default ${minT.value}, ${maxT.value} (set RAILS_MIN_THREADS/RAILS_MAX_THREADS)`, server.threads.source);
  else if (server?.threads) prov(`threads ${show(server.threads.value)} → defaults of RAILS_MIN_THREADS/RAILS_MAX_THREADS`, server.threads.source);
  const preload = boolOf(server?.preloadApp ?? null, false);
  if (server?.preloadApp) prov(`preload_app! ${preload.value}`, server.preloadApp.source);
  // Written only when known: an unread or placeholder worker_timeout leaves Puma's own default, said in a note.
  const read = server?.timeout ? literalInt(server.timeout, d.timeout) : null;
  const timeout = read && !read.unread && !isPlaceholderNumber(server!.timeout) ? read : null;
  if (isPlaceholderNumber(server?.timeout)) note(`worker_timeout ${show(server!.timeout!.value)}: ${server!.timeout!.defaultOf}`);
  else if (read?.unread) note(`worker_timeout ${show(server!.timeout!.value)} could not be read: the container runs Puma's default ${d.timeout}s`, server!.timeout!.source);
  else if (server?.timeout) prov(`worker_timeout ${show(server.timeout.value)}`, server.timeout.source);
  for (const l of server?.listen ?? []) prov(`bind ${show(l.address)} → tcp://0.0.0.0:${APP_PORT}`, l.source);
  for (const [name, f] of [["pidfile", server?.pid], ["stdout_redirect", server?.stdoutPath ?? server?.stderrPath]] as const)
    if (f) note(`${name} ${show(f.value)} dropped: in the container logs go to stdout/stderr and no pid file is needed`, f.source);
  if (server?.workingDirectory) note(`directory ${show(server.workingDirectory.value)} dropped: Puma runs from the image's WORKDIR`, server.workingDirectory.source);
  for (const h of server?.hooks ?? [])
    note(`${h.value} not carried over: review it and port it to ${file} by hand if it is still needed (database reconnects are automatic on Rails 5.2+)`, h.source);
  for (const c of server?.hookCalls ?? []) note(`${c.value} is not carried into ${file} (no repo code is copied into generated files): port it there if each worker needs it`, c.source);

  return fill(
    template,
    {
      from: server ? rubyCommentValue(from) : from,
      file,
      numbers: answeredNumbersComment(server),
      workers: workers.expr,
      max_threads: maxT.expr,
      // The same default as max_threads: said as max_threads, so one variable changes both.
      min_threads: minT.expr.replace(rubyString(String(maxT.value)), "max_threads.to_s"),
      bind: rubyString(`tcp://0.0.0.0:${APP_PORT}`),
      preload: preload.value ? "preload_app!\n" : "",
      worker_timeout: timeout ? `worker_timeout ${timeout.expr}\n` : "",
    },
    "puma.rb.tmpl",
  );
}
