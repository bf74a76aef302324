// The container emitter: the image (Dockerfile, .dockerignore, entrypoint), the app server's
// container config, and the nginx sidecar when the user keeps it. Each file has its module; the
// rules they share (and that the gaps use for their defaults) are in rules.ts.
import type { AppModel, Answers, EmitResult } from "../../src/model.js";
import { ENTRYPOINT, NGINX_SIDECAR_CONFIG, NGINX_SIDECAR_DOCKERFILE, PUMA_CONTAINER_CONFIG, UNICORN_CONTAINER_CONFIG } from "../contract.js";
import { DOCKERFILE, emitDockerfile } from "./dockerfile.js";
import { DOCKERIGNORE, emitDockerignore } from "./dockerignore.js";
import { emitEntrypoint } from "./entrypoint.js";
import { emitNginxDockerfile, emitNginxSidecarConfig } from "./nginx-sidecar.js";
import { emitPumaConfig } from "./puma-config.js";
import { answerBool, answerString, assetsPrefix, BODY_SIZE_ANSWER, chosenNginxFile, containerAppServer, SIDECAR_ANSWER, sidecarDefault } from "./rules.js";
import { appServerKind, replacedWebServer, webServerQuestion } from "../app-server.js";
import { dataDirs } from "../kustomize/pod.js";
// The image names the Kustomize overlays use: a DNS label, so the repo's application name is never pasted into the Dockerfile.
import { appName } from "../kustomize/names.js";
import { emitUnicornConfig } from "./unicorn-config.js";
import { emitPassengerfile, PASSENGERFILE } from "./passengerfile.js";
import { PASSENGER_RULE } from "../app-server.js";
import { appServerTimeout } from "../kustomize/rules/web.js";
import { webGracePeriod } from "../kustomize/rules/shutdown.js";
import { emitProbesInitializer, PROBES_INITIALIZER } from "./probes.js";

export function emitContainer(model: AppModel, answers: Answers): EmitResult {
  const out: EmitResult = { files: [], provenance: [], notes: [] };
  const kind = appServerKind(model);
  const sidecar = answerBool(answers, SIDECAR_ANSWER, sidecarDefault(model).keep);
  const server = containerAppServer(model);
  const serverOfKind = server && server.kind === kind ? server : null;

  const replaced = replacedWebServer(model);
  if (replaced?.was === "passenger")
    out.notes.push({
      message: `the servers ran Passenger, whose gem Gemfile.lock does not hold; the image runs ${replaced.now === "puma" ? "Puma" : "Unicorn"} (${model.rails.gems[replaced.now] ? "its gem is in Gemfile.lock" : `not in Gemfile.lock yet: add gem "${replaced.now}"`}) with Passenger Open Source's model, one request per process: ${replaced.now === "puma" ? "workers" : "worker_processes"} = Passenger's ${replaced.pool ?? "pool size"}${replaced.now === "puma" ? ", threads 1, 1. The app never ran threaded on the servers: raise RAILS_MAX_THREADS only once it is known to be thread-safe (gems and code alike)" : ""}. ${PASSENGER_RULE}`,
      source: replaced.source,
    });
  else if (replaced)
    out.notes.push({
      message: `the servers ran ${replaced.was === "passenger" ? "Passenger" : "Thin"}, which has no container config here; the image runs ${replaced.now === "puma" ? "Puma" : "Unicorn"} (${model.rails.gems[replaced.now] ? "its gem is in Gemfile.lock" : `not in Gemfile.lock yet: add gem "${replaced.now}"`}). Check its worker and thread counts against what ${replaced.was} ran${replaced.pool ? ` (${replaced.pool})` : ""}`,
      source: replaced.source,
    });
  for (const e of model.webServer?.answered ? [] : model.webServer?.evidence ?? []) out.provenance.push({ output: DOCKERFILE, what: `web server ${kind} (started by the deploy: ${e.value})`, source: e.source });
  // Nothing in the repo said which server ran: the image's server is the answer, and said to be one.
  const answered = model.webServer?.answered;
  if (answered) {
    // The question's reason as it was asked: an answered kind is reset to none (the question saw none),
    // but Thin stays, since Thin is what the deploy started and the question said so.
    const asked = model.webServer!.kind === "thin" ? model : { ...model, webServer: { ...model.webServer!, kind: null } };
    const why = webServerQuestion(asked)?.why ?? "nothing in the repo says which web server the deploy started";
    out.provenance.push({ output: DOCKERFILE, what: `web server ${kind} (${answered.value})`, source: answered.source });
    out.notes.push({ message: `${why}: the image runs ${kind}, ${answered.value}. Check which server the servers ran before the cut-over`, source: answered.source });
  }
  out.files.push({ path: DOCKERFILE, content: emitDockerfile(model, answers, out) });
  out.files.push({ path: DOCKERIGNORE, content: emitDockerignore(model, out) });
  out.files.push({ path: ENTRYPOINT, content: emitEntrypoint(kind), mode: 0o755 });
  out.files.push({ path: PROBES_INITIALIZER, content: emitProbesInitializer() });
  if (kind === "unicorn") out.files.push({ path: UNICORN_CONTAINER_CONFIG, content: emitUnicornConfig(serverOfKind, sidecar, out) });
  else if (kind === "passenger") {
    out.files.push({ path: PASSENGERFILE, content: emitPassengerfile(model, out) });
    out.notes.push({ message: `the image runs Passenger Standalone (\`bundle exec passenger start\`, builtin engine), the server the deploy ran: ${PASSENGER_RULE}`, source: model.rails.gems["passenger"]!.source });
    // Tested with Passenger 6.0.17: on TERM it drops the requests in flight.
    out.notes.push({ message: `Passenger Standalone stops at once on TERM, dropping requests in flight: the web pod's preStop waits until passenger-status shows none (at most ${appServerTimeout(null).seconds}s, rails2k8s's default: Passenger Open Source has no request timeout), and terminationGracePeriodSeconds ${webGracePeriod(appServerTimeout(null).seconds)} covers that wait` });
    for (const c of model.webServer?.passenger?.capistrano ?? [])
      out.notes.push({ message: `capistrano-passenger's ${c.value} is not carried: a rollout replaces the pods (no restart command, no restart.txt), and every web pod runs Passenger`, source: c.source });
  } else out.files.push({ path: PUMA_CONTAINER_CONFIG, content: emitPumaConfig(serverOfKind, out) });

  if (sidecar) {
    const file = chosenNginxFile(model);
    const health = model.rails.healthPaths[0]?.value ?? null;
    out.files.push({ path: NGINX_SIDECAR_CONFIG, content: emitNginxSidecarConfig({ file, kind, healthPath: health, dataDirs: dataDirs(model).map((d) => d.path), bodySize: answerString(answers, BODY_SIZE_ANSWER, "") || null, assetsPrefix: assetsPrefix(model), ...appSocketsOf(kind === "passenger" ? null : serverOfKind) }, out) });
    out.files.push({ path: NGINX_SIDECAR_DOCKERFILE, content: emitNginxDockerfile(appName(model)) });
  } else if (model.nginx.files.length) {
    out.notes.push({ message: `nginx is replaced by the edge (answer ${SIDECAR_ANSWER}): ${sidecarDefault(model).why}`, source: model.nginx.files[0]!.servers[0]?.source ?? { file: model.nginx.files[0]!.file, line: 1 } });
  }
  return out;
}

/** The unix sockets an app server's config listens on, for the sidecar to tell the app's socket from another service's; nothing when no config was read. */
function appSocketsOf(server: { listen: { kind: string; address: unknown }[] } | null | undefined): { appSockets?: string[] } {
  // a listen address not known as a literal may be any socket: then nothing is concluded
  if (!server || server.listen.some((l) => l.kind === "unknown" || (l.kind === "unix" && typeof l.address !== "string"))) return {};
  return { appSockets: server.listen.flatMap((l) => (l.kind === "unix" && typeof l.address === "string" ? [l.address.replace(/^unix:(\/\/)?/, "")] : [])) };
}
