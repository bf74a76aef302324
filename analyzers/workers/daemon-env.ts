// The environment a daemon's service manager gave its process (a systemd unit's `Environment=`, an
// init script's `export NAME=value` before its start, a god watch's `w.env`, an eye `env`, a bluepill
// `environment`), sorted into what the worker's container carries:
// - a literal value: the container's env (the emitter writes it through the kubelet encoder);
// - a secret-named variable or a secret-shaped value: never in the tracked Deployment nor in any
//   message; the name goes to the stage's secrets.env.example (the same path as a worker line's own
//   `TOKEN=… sidekiq`, src/model/secret-env.ts), to fill in secrets.env by hand;
// - a value naming a path of the servers (`/srv/app/shared/x`, `~/x`), one the servers' shell, Ruby or
//   systemd computed (each reader gives it as null with why: `$HOME`, `` `hostname` ``, `#{ENV[…]}`,
//   `%h`), or a file of the servers the manager read (`EnvironmentFile=`, `. /etc/default/x`): not
//   carried, named with its line (names only). A `$` that no one expanded (systemd's Environment=, a
//   Ruby string) is the value itself: the emitter escapes it for the kubelet (emitters/encode/kubelet.ts);
// - the servers' Ruby and user placement and RAILS_ENV/RACK_ENV: the image and each overlay's
//   ConfigMap set those, so they are left out, said in the worker's note.
import type { Source } from "../../src/model.js";
import { localAddressOf } from "../services/local-addresses.js";
import { secretEnvEntry, secretEnvName } from "../../src/model/secret-env.js";
import { SERVER_PLACEMENT } from "./start-line.js";

/** One assignment as the source wrote it: `value` null when the source does not state it as a literal (`why` says how). */
export interface EnvSetting {
  name: string;
  value: string | null;
  source: Source;
  why?: string;
}

export interface DaemonEnv {
  env: Record<string, string>;
  secretEnv: { name: string; source: Source }[];
  /** Settings not carried, each with its line, by name only. */
  notCarried: { text: string; source: Source }[];
  /** Names left out because the image or the stage's ConfigMap sets them. */
  dropped: string[];
}

/** Names the image (its Ruby, user, directory) or the overlay's ConfigMap (the stage's Rails env) set. */
const IMAGE_OR_STAGE = (name: string) => SERVER_PLACEMENT.test(name) || /^(?:PWD|RAILS_ENV|RACK_ENV|PIDFILE|LOGFILE)$/.test(name);

/** A name a process's environment can carry as a variable (POSIX: letters, digits, `_`, not led by a digit); Kubernetes rejects `""` or a name with `=`. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A secret word anywhere in a key's text, glued or not (`MY TOKEN`, `XTOKENY`, `db pass`): for a key
 * that is no variable name, which the word rules (src/model/secret-names.ts) read only between `_`s.
 */
const SECRET_WORD_ANYWHERE = /PASS|PWD|SECRET|TOKEN|KEY|CRED|AUTH|DSN|SALT|PEPPER|PRIVATE|SIGNATURE|CERT|WEBHOOK|SESSION/i;

/**
 * How a setting's name may be shown: the name itself when it is one a variable can have; otherwise
 * (a god Hash key like `"X_TOKEN=Y"`, `"MY TOKEN"`, `""`) as written, escaped, unless it may hold a
 * secret: a `=` means part of it is a value, and a secret word anywhere in it cuts it.
 */
export function envNameShown(name: string): string {
  if (ENV_NAME.test(name)) return name;
  if (name === "") return "an empty key";
  if (name.includes("=") || SECRET_WORD_ANYWHERE.test(name) || secretEnvName(name.replace(/[^A-Za-z0-9_]+/g, "_"))) return "a key that is no variable name (not shown: it may hold a secret)";
  return `the key ${JSON.stringify(name)}`;
}

/** A path of the servers in the value: an absolute or home path, alone or in a `:`/`,`/space-separated list (a URL's own path is not one). */
export function serverPathIn(value: string): boolean {
  const noUrls = value.replace(/\b[a-z][\w+.-]*:\/\/\S*/gi, "");
  return noUrls.split(/[\s:,;=]+/).some((p) => /^~?\//.test(p));
}

/**
 * An address of the server itself (`localhost`, `127.0.0.1:6379`, `http://127.0.0.1:9200`), as the
 * local-address hazard reads one, alone or as a word of a list (`HOSTS=localhost:9200,search2:9200`):
 * carried, the pod would reach itself, the wrong host (audit B s26 #5).
 */
function localInValue(value: string): boolean {
  return [value, ...value.split(/[\s,;]+/)].some((w) => w !== "" && localAddressOf(w) !== null && !localAddressOf(w)!.socket);
}

/**
 * The settings sorted (later settings of a name win, as each manager applies them in order); `files`:
 * files of the servers the manager read into the environment, which may set any name.
 */
export function daemonEnv(settings: readonly EnvSetting[], files: readonly { path: string; source: Source }[] = []): DaemonEnv {
  const last = new Map<string, EnvSetting>();
  for (const s of settings) {
    last.delete(s.name);
    last.set(s.name, s);
  }
  const out: DaemonEnv = { env: {}, secretEnv: [], notCarried: [], dropped: [] };
  for (const s of last.values()) {
    // A key that is no variable name (god's `w.env` takes any Hash key) is no env entry a container can
    // have, and its text may hold a value: named, never carried nor held as a secret's name.
    if (!ENV_NAME.test(s.name)) {
      out.notCarried.push({ source: s.source, text: `sets ${envNameShown(s.name)} in its process's environment, which is not a variable name (letters, digits and \`_\`): not carried into the Deployment (value not shown); set what the process needs in the stage's ConfigMap, or in secrets.env for a secret, by hand` });
      continue;
    }
    if (IMAGE_OR_STAGE(s.name)) {
      out.dropped.push(s.name);
      continue;
    }
    // A secret by its name is held whatever its value (even one not known): it is filled in on the stage's side.
    if (secretEnvEntry(s.name, s.value ?? "")) {
      out.secretEnv.push({ name: s.name, source: s.source });
      continue;
    }
    const why =
      s.value === null
        ? (s.why ?? "its value is not a literal the file states")
        : serverPathIn(s.value)
          ? "its value names a path of the servers, which the image does not have"
          : localInValue(s.value)
            ? "its value is an address of the server itself (localhost): in a pod localhost is the pod itself, where that service does not run"
            : null;
    if (why) out.notCarried.push({ source: s.source, text: `sets \`${s.name}\` in its process's environment, but ${why}: not carried into the Deployment (value not shown); set what the process needs in the stage's ConfigMap by hand` });
    else out.env[s.name] = s.value!;
  }
  for (const f of files)
    out.notCarried.push({ source: f.source, text: `reads \`${f.path}\` (a file of the servers, which may set any variable) into its process's environment: not carried into the Deployment; set what the process needs in the stage's ConfigMap, or in secrets.env for a secret, by hand` });
  out.notCarried.sort((a, b) => a.source.line - b.source.line);
  return out;
}

/** The text of an env note: the settings carried and held, by name, for the worker's note (never a value). */
export function daemonEnvNote(e: DaemonEnv, what: string): string[] {
  const notes: string[] = [];
  const carried = Object.keys(e.env);
  if (carried.length) notes.push(`${what} sets ${carried.map((n) => `\`${n}\``).join(", ")}: carried into the container's env`);
  if (e.secretEnv.length) notes.push(`${what} sets ${e.secretEnv.map((s) => `\`${s.name}\``).join(", ")}, which look${e.secretEnv.length > 1 ? "" : "s"} secret: held out of the Deployment, listed in the stage's secrets.env.example`);
  if (e.dropped.length) notes.push(`left out ${what}'s ${e.dropped.map((n) => `\`${n}\``).join(", ")} (the image's Ruby and user, the stage's Rails env: the pod's own set them)`);
  return notes;
}
