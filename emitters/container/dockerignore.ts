// .dockerignore: what must never reach the build context (history, secrets, local state) and what
// the build makes itself (gems, JS packages, assets). Code the image needs stays in.
import type { AppModel, EmitResult } from "../../src/model.js";
import { K8S_BASE } from "../contract.js";
import { dockerignorePath } from "../encode/dockerfile.js";
import { assetsPrefix } from "./rules.js";

export const DOCKERIGNORE = ".dockerignore";

type Out = Pick<EmitResult, "provenance" | "notes">;

export function emitDockerignore(model: AppModel, out: Out): string {
  const k8sRoot = K8S_BASE.split("/")[0]!;
  const L = [
    "# Written by rails2k8s. Keeps history, secrets and local state out of the image build context.",
    "",
    "# Version control",
    "/.git/",
    "",
    "# Local environment and secret files (the pod gets its secrets from Kubernetes Secrets)",
    "/.env*",
    "**/.env*",
    "/config/master.key",
    "/config/credentials/*.key",
    "**/*.key",
    "",
    "# Kubernetes manifests, including the git-ignored per-stage secrets.env files",
    `/${k8sRoot}/`,
    "",
    "# Local Bundler settings and installed gems would override the image's",
    "/.bundle/",
    "/vendor/bundle/",
    "",
    "# Logs, temporary files, local uploads",
    "/log/*",
    "!/log/.keep",
    "/tmp/*",
    "!/tmp/.keep",
    "/storage/*",
    "!/storage/.keep",
    "",
    "# Rebuilt in the image: JS packages and precompiled assets",
    "/node_modules/",
    "/public/assets/",
    "/public/packs/",
    "/public/packs-test/",
    "/app/assets/builds/*",
    "!/app/assets/builds/.keep",
    "",
    "# Test output and editor/OS files",
    "/coverage/",
    "/.rails2k8s.yml",
    "# rails2k8s' own state (journal, secret-file list)",
    "/.rails2k8s/",
    "# Built in the image (bootsnap's precompiled cache)",
    "/.bootsnap/",
    ".DS_Store",
  ];
  // Assets precompiled under another prefix (config.assets.prefix '/recursos') are rebuilt in the image too.
  const prefix = assetsPrefix(model);
  const prefixLine = prefix ? dockerignorePath(`public${prefix.path}`, true) : null;
  if (prefix && prefixLine !== null && !L.includes(prefixLine)) {
    L.splice(L.indexOf("/public/assets/") + 1, 0, prefixLine);
    out.provenance.push({ output: DOCKERIGNORE, what: `assets prefix ${prefix.path} (${prefix.via}) → public${prefix.path}/ rebuilt in the image, kept out of the context`, source: prefix.source });
  }
  const data = model.linked.filter((l) => l.kind === "dir" && l.class === "data");
  const secretFiles = model.linked.filter((l) => l.kind === "file" && l.class === "secret");
  if (data.length || secretFiles.length) {
    L.push("", "# Linked on the servers by Capistrano: data and secrets that live outside the image");
    // Repo paths go through the .dockerignore encoder: a glob character in a name matches itself only.
    const unwritable = (l: (typeof model.linked)[number]) =>
      out.notes.push({ message: `linked ${l.kind} ${JSON.stringify(l.path)} holds a line break or control character: it cannot be written to .dockerignore; keep it out of the image by hand`, source: l.source });
    for (const l of data) {
      const line = dockerignorePath(l.path, true);
      if (line === null) {
        unwritable(l);
        continue;
      }
      if (!L.includes(line)) L.push(line);
      out.provenance.push({ output: DOCKERIGNORE, what: `linked data dir ${l.path} → kept out of the image`, source: l.source });
    }
    for (const l of secretFiles) {
      const line = dockerignorePath(l.path, false);
      if (line === null) {
        unwritable(l);
        continue;
      }
      if (!L.includes(line) && !(/(^|\/)\.env[^/]*$/.test(line) && L.includes("**/.env*"))) L.push(line);
      out.provenance.push({ output: DOCKERIGNORE, what: `linked secret file ${l.path} → kept out of the image`, source: l.source });
    }
  }
  return L.join("\n") + "\n";
}
