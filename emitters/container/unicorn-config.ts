// The container Unicorn config (contract UNICORN_CONTAINER_CONFIG), derived from the app's own:
// same workers (WEB_CONCURRENCY, today's value by default), timeout and preload; it listens on TCP,
// or on the socket shared with the nginx sidecar; logs go to stderr/stdout; no pid file, no path
// of the EC2 layout. Hooks: the standard fork-safety pair only (see hookPlan).
import type { AppServerConfig, EmitResult, Source } from "../../src/model.js";
import { APP_DIR, APP_PORT, UNICORN_CONTAINER_CONFIG, UNICORN_SOCKET } from "../contract.js";
import { boolOf, intFromEnv, show } from "./server-values.js";
import template from "./unicorn.rb.tmpl?raw";
import FORK_HOOKS from "./unicorn-fork-hooks.rb.tmpl?raw";
import { fill } from "../text/fill.js";
import { rubyCommentValue, rubyInteger, rubyString } from "../encode/ruby.js";
import { APP_SERVER_DEFAULTS, isPlaceholderNumber } from "../app-server.js";
import { answeredNumbersComment } from "./server-values.js";

type Out = Pick<EmitResult, "provenance" | "notes">;

/** Unicorn's own defaults (Unicorn::Configurator::DEFAULTS). */
const UNICORN_DEFAULT_TIMEOUT = APP_SERVER_DEFAULTS.unicorn.timeout;
const UNICORN_DEFAULT_WORKERS = APP_SERVER_DEFAULTS.unicorn.workers;

export function emitUnicornConfig(server: AppServerConfig | null, sidecar: boolean, out: Out): string {
  const file = UNICORN_CONTAINER_CONFIG;
  const prov = (what: string, source: Source) => out.provenance.push({ output: file, what, source });
  const note = (message: string, source?: Source) => out.notes.push(source ? { message, source } : { message });
  const from = server ? server.file : "Unicorn's defaults (no Unicorn config found)";

  const workers = intFromEnv("WEB_CONCURRENCY", server?.workers ?? null, UNICORN_DEFAULT_WORKERS);
  if (server?.workers) {
    if (isPlaceholderNumber(server.workers)) note(`worker_processes ${workers.value}: ${server.workers.defaultOf}`);
    else if (workers.unread) note(`worker_processes ${show(server.workers.value)} could not be read: the container starts ${workers.value} (set WEB_CONCURRENCY)`, server.workers.source);
    else prov(`worker_processes ${show(server.workers.value)} → default of WEB_CONCURRENCY`, server.workers.source);
  }
  // From the environment, production's value by default: each overlay sets its stage's own (config.env).
  const timeout = intFromEnv("UNICORN_TIMEOUT", server?.timeout ?? null, UNICORN_DEFAULT_TIMEOUT);
  if (server?.timeout) {
    if (isPlaceholderNumber(server.timeout)) note(`timeout ${timeout.value}: ${server.timeout.defaultOf}`);
    else if (timeout.unread) note(`timeout ${show(server.timeout.value)} could not be read: the container uses Unicorn's ${UNICORN_DEFAULT_TIMEOUT}s`, server.timeout.source);
    else if (!server.timeout.defaultOf) prov(`timeout ${timeout.value} → default of UNICORN_TIMEOUT`, server.timeout.source);
  }
  const preload = boolOf(server?.preloadApp ?? null, false);
  if (server?.preloadApp) {
    if (preload.unread) note(`preload_app ${show(server.preloadApp.value)} could not be read: the container does not preload`, server.preloadApp.source);
    else prov(`preload_app ${preload.value}`, server.preloadApp.source);
  }

  // listen: the pod's address replaces every address of the servers (sockets under shared/, ports).
  const backlog = server?.listen.map((l) => l.options["backlog"]).find((b) => typeof b === "number" && Number.isSafeInteger(b) && b > 0);
  const listenOpts = typeof backlog === "number" ? `, backlog: ${rubyInteger(backlog)}` : "";
  const listen = rubyString(sidecar ? UNICORN_SOCKET : `0.0.0.0:${APP_PORT}`) + listenOpts;
  // Behind the sidecar Unicorn also listens on TCP, for the kubelet's liveness probe only: liveness
  // must ask the app server itself, not nginx (a dead Unicorn behind a live nginx answers 502).
  const probeListen = sidecar ? `listen ${rubyString(`0.0.0.0:${APP_PORT}`)}\n` : "";
  for (const l of server?.listen ?? [])
    prov(`listen ${show(l.address)} → ${sidecar ? `${UNICORN_SOCKET} (shared with the nginx sidecar)` : `0.0.0.0:${APP_PORT}`}`, l.source);
  for (const [name, f] of [["pid", server?.pid], ["stderr_path", server?.stderrPath], ["stdout_path", server?.stdoutPath]] as const)
    if (f) note(`${name} ${show(f.value)} dropped: in the container ${name === "pid" ? "no pid file is needed (Unicorn is PID 1)" : "logs go to stderr/stdout, which Kubernetes collects"}`, f.source);
  if (server?.workingDirectory) prov(`working_directory ${show(server.workingDirectory.value)} → ${APP_DIR}`, server.workingDirectory.source);

  const hooks = hookPlan(server, preload.value, out);

  return fill(
    template,
    {
      from: server ? rubyCommentValue(from) : from,
      file,
      numbers: answeredNumbersComment(server),
      workers: workers.expr,
      timeout: timeout.expr,
      preload: String(preload.value),
      app_dir: rubyString(APP_DIR),
      listen_comment: sidecar ? "# On the socket in the directory shared with the nginx sidecar." : "# On TCP: the Service (or the edge) sends requests here.",
      listen,
      probe_listen: probeListen,
      hooks: hooks ?? "",
    },
    "unicorn.rb.tmpl",
  ).replace(/\n+$/, "\n");
}

/**
 * The app's hooks are known by name only, so none is copied: with preload_app the standard
 * disconnect/reconnect pair is written; before_exec and the old-master QUIT idiom in before_fork
 * serve the USR2 re-exec, which does not happen in a pod (a rollout starts new pods instead).
 */
function hookPlan(server: AppServerConfig | null, preload: boolean, out: Out): string | null {
  const hooks = server?.hooks ?? [];
  for (const h of hooks) {
    if (h.value === "before_fork")
      out.notes.push({
        message: preload
          ? "before_fork: replaced by the standard database disconnect; an old-master QUIT (USR2 re-exec) is dropped: a pod is replaced, not re-executed"
          : "before_fork dropped: without preload_app there is nothing to disconnect, and the old-master QUIT (USR2 re-exec) has no use in a pod",
        source: h.source,
      });
    else if (h.value === "after_fork")
      out.notes.push({
        message: preload
          ? "after_fork: replaced by the standard ActiveRecord reconnect; reconnect any other client (Redis, Sidekiq) there by hand if the original did"
          : "after_fork dropped: without preload_app each worker loads the app and connects itself; port any other work by hand",
        source: h.source,
      });
    else if (h.value === "before_exec")
      out.notes.push({ message: "before_exec dropped: it serves the USR2 re-exec, which does not happen in a pod", source: h.source });
    else out.notes.push({ message: `${h.value} not carried over: review it and port it to ${UNICORN_CONTAINER_CONFIG} by hand if it is still needed`, source: h.source });
  }
  for (const c of server?.hookCalls ?? [])
    out.notes.push({ message: `${c.value} is not carried into ${UNICORN_CONTAINER_CONFIG} (no repo code is copied into generated files): if each worker needs it after the fork, port it to an after_fork there`, source: c.source });
  if (!preload) return null;
  if (!hooks.some((h) => h.value === "before_fork" || h.value === "after_fork"))
    out.notes.push({ message: `preload_app without fork hooks in ${server?.file ?? "the app"}: the container config adds the standard database disconnect/reconnect` });
  return FORK_HOOKS;
}
