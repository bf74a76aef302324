// capistrano-docker's compose strategy (`require "capistrano/docker"` + `set :docker_compose, true`):
// the deploy builds the release and runs `<compose> -f <docker_compose_path> -p <project> up -d` on
// the servers (the gem's docker:deploy after deploy:updated), so the compose file is what the servers
// ran, not the repo's Procfile, app server config or database.yml. Until those services are read
// as start lines, the file is named where the Capfile requires the gem: each service with what it ran,
// a database service as a hazard with the volume its data lives in. Environment values are never
// shown (names only), and a command is shown with its secret-shaped parts cut.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YNode } from "yaml";
import type { AnalyzerContext, CapistranoFacts, Source, Stage } from "../../src/model.js";
import { cutSecretShapes, SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";

const GEM = /^capistrano\/docker$/;
/** Images of a database server whose data lives in its volume (official images and Bitnami's). */
const DATABASE_IMAGE = /^(?:docker\.io\/)?(?:library\/)?(?:bitnami\/)?(postgres(?:ql)?|postgis\/postgis|mysql|mariadb|mongo(?:db)?)(?::|@|$)/;

interface ComposeService {
  name: string;
  line: number;
  image?: string;
  build?: string;
  command?: string;
  entrypoint?: string;
  volumes: string[];
  env: string[];
}

const text = (n: unknown): string | undefined => {
  if (isScalar(n)) return n.value === null || n.value === undefined ? undefined : String(n.value);
  if (isSeq(n)) return n.items.map((x) => text(x) ?? "").join(" ");
  return undefined;
};

function readCompose(src: string): { services: ComposeService[]; volumes: Set<string> } | { error: string } {
  const lc = new LineCounter();
  const doc = parseDocument(src, { lineCounter: lc, uniqueKeys: false });
  if (doc.errors.length) return { error: doc.errors[0]!.message.split("\n")[0]! };
  const root = doc.contents;
  if (!isMap(root)) return { error: "not a mapping" };
  const get = (m: unknown, key: string): YNode | undefined => (isMap(m) ? (m.items.find((p) => isScalar(p.key) && p.key.value === key)?.value as YNode | undefined) : undefined);
  const services: ComposeService[] = [];
  const svcs = get(root, "services");
  for (const p of isMap(svcs) ? svcs.items : []) {
    const name = isScalar(p.key) ? String(p.key.value) : "?";
    const at = (p.key as YNode | null)?.range?.[0] ?? 0;
    const s = p.value;
    const build = get(s, "build");
    const envNode = get(s, "environment");
    const env = isMap(envNode) ? envNode.items.map((e) => (isScalar(e.key) ? String(e.key.value) : "?")) : isSeq(envNode) ? envNode.items.map((e) => (text(e) ?? "").split("=")[0]!) : [];
    const vols = get(s, "volumes");
    services.push({
      name,
      line: lc.linePos(at).line,
      ...(text(get(s, "image")) ? { image: text(get(s, "image"))! } : {}),
      ...(build ? { build: text(build) ?? text(get(build, "context")) ?? "." } : {}),
      ...(text(get(s, "command")) ? { command: text(get(s, "command"))! } : {}),
      ...(text(get(s, "entrypoint")) ? { entrypoint: text(get(s, "entrypoint"))! } : {}),
      volumes: isSeq(vols) ? vols.items.map((v) => text(v) ?? text(get(v, "source")) ?? "?") : [],
      env,
    });
  }
  const vs = get(root, "volumes");
  return { services, volumes: new Set(isMap(vs) ? vs.items.map((p) => (isScalar(p.key) ? String(p.key.value) : "")) : []) };
}

const shown = (s: string) => cutSecretShapes(s, SECRET_SHOWN_AS).slice(0, 160);

/** The compose file each stage ran with the compose strategy on, and the warnings naming it. */
export function dockerCompose(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: Stage[]): void {
  const gem = cap?.requires.find((r) => GEM.test(r.value));
  if (!gem) return;
  const files = new Map<string, string[]>();
  for (const st of stages) {
    const on = st.variables["docker_compose"];
    if (on?.value !== true) continue;
    const path = st.variables["docker_compose_path"]?.value;
    // capistrano-docker's default compose file (its docker_compose_path default).
    const file = typeof path === "string" ? path.replace(/^\.\//, "") : "docker-compose.yml";
    files.set(file, [...(files.get(file) ?? []), st.name]);
  }
  for (const [file, on] of files) {
    const where = `stage${on.length > 1 ? "s" : ""} ${on.join(", ")}`;
    const r = ctx.repo.read(file);
    if (!("text" in r)) {
      ctx.problem({ ...gem.source, message: `capistrano.docker-compose: capistrano-docker's compose strategy is on (${where}): the servers ran the services of ${file}, which is not in the repo (${r.error}); what they ran (web, workers, database) is not known, and the web server, workers and database read from the repo's other files may not be what ran`, severity: "warning" });
      continue;
    }
    const c = readCompose(r.text);
    if ("error" in c) {
      ctx.problem({ ...gem.source, message: `capistrano.docker-compose: capistrano-docker's compose strategy is on (${where}): the servers ran the services of ${file}, which could not be read (${c.error})`, severity: "warning" });
      continue;
    }
    const at = (line: number): Source => ({ file, line });
    const list = c.services
      .map((s) => {
        const what = [s.image ? `image ${s.image}` : s.build ? `built from ${s.build}${s.command || s.entrypoint ? "" : " (the image's own CMD)"}` : "no image or build", s.entrypoint ? `entrypoint \`${shown(s.entrypoint)}\`` : "", s.command ? `command \`${shown(s.command)}\`` : "", s.env.length ? `environment ${s.env.join(", ")} (values not shown)` : ""].filter(Boolean);
        return `${s.name} (${file}:${s.line}: ${what.join("; ")})`;
      })
      .join(", ");
    ctx.problem({ ...gem.source, message: `capistrano.docker-compose: capistrano-docker's compose strategy is on (${where}): each deploy ran \`up -d\` on ${file}, so the servers ran its services, not what the repo's other files describe: ${list}. The web server, workers, environment and database this analysis reads from the repo's other files are not read from these services: compare them before the cutover`, severity: "warning" });
    for (const s of c.services) {
      const m = s.image ? DATABASE_IMAGE.exec(s.image) : null;
      if (!m) continue;
      const data = s.volumes.map((v) => v.split(":")[0]!).filter(Boolean);
      const named = data.filter((v) => c.volumes.has(v));
      const binds = data.filter((v) => !c.volumes.has(v));
      const holds = named.length || binds.length ? `its data is in ${[...named.map((v) => `the named volume ${v} (the compose project's, on that host)`), ...binds.map((v) => `the host folder ${v}`)].join(" and ")}` : "it has no volume, so its data lived in the container's own layer";
      ctx.problem({ ...at(s.line), message: `capistrano.docker-compose-database: the compose service ${s.name} ran the database (${s.image}) in a container on the deploy host(s) of ${where}; ${holds}. The cluster has no such container: dump the data from there and restore it into the database the stages will use, and point DATABASE_URL at it`, severity: "warning" });
    }
  }
}
