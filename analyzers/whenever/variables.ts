// What each stage's deploy passed to `whenever --set`: whenever/capistrano runs
// `whenever --update-crontab <identifier> --set <whenever_variables>` (its whenever_update_flags, v2
// and v3 alike) through the servers' shell, and whenever's JobList#pre_set reads that word as
// `name=value&name=value` (each pair cut at `=`, empty names and values skipped, a name's first value kept). A value the
// Capistrano evaluation could not know stays unknown, under its name.
import type { RValue, Source, Stage, Unknown } from "../../src/model.js";
import { isInterp, isUnknown } from "../../src/model.js";
import type { PreSet } from "./schedule.js";
import { isCap, literal, piecesOf, shellSegments, stringCommands, stringCommandWarnings, type Piece } from "./command-string.js";

export interface StageWheneverSet {
  stage: string;
  /** The variables whenever got, a value not known statically as an Unknown naming it. */
  set: PreSet;
  /**
   * Where the deploy may pass further variables this reading cannot name (a name or the whole `--set`
   * word not known statically): a schedule's `@x ||= default` then is not known to take its default.
   */
  open: Source | null;
  /** The deploy line that sets them (whenever_variables, else whenever_update_flags). */
  from: Source;
  /** The environment variables whenever's process had, where the deploy exported them (process-env.ts). */
  env?: Record<string, string>;
  /** The sets differ by that environment only (the plugin's own `--set`): said as such. */
  byEnvironment?: boolean;
  /** whenever_command is a String that installs no crontab (no --update-crontab/--write-crontab): the servers' crontab is not this run's. */
  installsNothing?: true;
}

/**
 * Per stage, the `--set` variables its deploy passed, when some stage sets whenever_variables or
 * whenever_update_flags of its own; null when every stage runs the plugin's defaults
 * (`environment=<whenever_environment>`, read per Rails env by analyzeCron) or none loads the plugin.
 */
export function wheneverStageSets(stages: Stage[], warn: (at: Source, message: string) => void = () => {}): StageWheneverSet[] | null {
  const withPlugin = stages.filter((st) => st.variables["whenever_update_flags"] !== undefined);
  // A whenever_command SSHKit sends as written drops the flags: its own words are what whenever got.
  const strings = new Map(stringCommands(withPlugin).map((c) => [c.stage, c]));
  stringCommandWarnings([...strings.values()], stages, warn);
  const custom = strings.size > 0 || withPlugin.some((st) => st.variables["whenever_update_flags"]!.defaultOf === undefined || (st.variables["whenever_variables"] !== undefined && st.variables["whenever_variables"].defaultOf === undefined));
  if (!custom) return null;
  const unknownOn = new Map<string, { at: Source; stages: string[] }>();
  const sets = withPlugin.map((st) => {
    const flags = st.variables["whenever_update_flags"]!;
    const vars = st.variables["whenever_variables"];
    const sc = strings.get(st.name);
    const from = sc ? sc.source : flags.defaultOf === undefined || !vars ? flags.source : vars.source;
    const r = !sc
      ? setOfFlags(piecesOf(flags.value), from)
      : sc.run
        ? { ...setOfWords(sc.run.args, from), cut: sc.run.background ? "&" : null }
        : { ...setOfWords([[{ unknown: "whenever_command runs no whenever command: what set the crontab is not read" }]], from), cut: null };
    if (r.cut) warn(from, `cron.whenever-set-cut: stage ${st.name}: the whenever command is run by the servers' shell, and an unquoted \`${r.cut}\` in its flags ends the command there: whenever got only the variables before it (quote the --set value, as whenever's README does)`);
    for (const [name, set] of Object.entries(r.set))
      for (const v of isInterp(set) ? set.interp : [set]) {
        if (!isUnknown(v)) continue;
        const k = `${name}\0${v.unknown}`;
        if (unknownOn.has(k)) unknownOn.get(k)!.stages.push(st.name);
        else unknownOn.set(k, { at: from, stages: [st.name] });
      }
    if (r.open) warn(from, `cron.whenever-variables-open: stage ${st.name}: the whenever variables its deploy passes hold a name (or the whole --set) not known statically: any of the schedule's \`@x ||= default\` may not take its default there`);
    return { stage: st.name, set: r.set, open: r.open ? from : null, from, ...(sc && !sc.run?.installs ? { installsNothing: true as const } : {}) };
  });
  // Every stage passes `environment=` alone (a String command's own --set among them): the stages differ
  // by their environment only, and are said so (as analyzeCron's process-env reading does).
  if (strings.size && sets.every((x) => !x.open && Object.keys(x.set).every((k) => k === "environment"))) return sets.map((x) => ({ ...x, byEnvironment: true }));
  for (const [k, { at, stages: on }] of unknownOn) {
    const [name, why] = k.split("\0");
    warn(at, `cron.whenever-variable-unknown: stage${on.length > 1 ? "s" : ""} ${on.join(", ")}: ${why}: the schedule's \`${name}\` (\`@${name}\`) is not known there, and jobs that depend on it are written suspended or with a placeholder`);
  }
  return sets;
}

/** Shell words of the flags (quotes removed), up to an unquoted `&`, `;` or `|`, which ends the command. */
function shellWords(pieces: Piece[]): { words: Piece[][]; cut: string | null } {
  const first = shellSegments(pieces)[0];
  return { words: first?.words ?? [], cut: first?.sep ? first.sep[0]! : null };
}

/** Splits pieces at each literal occurrence of `sep`. */
function splitPieces(pieces: Piece[], sep: string): Piece[][] {
  const out: Piece[][] = [[]];
  for (const p of pieces) {
    if (typeof p !== "string") {
      out[out.length - 1]!.push(p);
      continue;
    }
    const parts = p.split(sep);
    parts.forEach((part, i) => {
      if (i > 0) out.push([]);
      if (part) out[out.length - 1]!.push(part);
    });
  }
  return out;
}


/** The `--set` word of the flags, read as JobList#pre_set reads it. */
function setOfFlags(pieces: Piece[], from: Source): { set: PreSet; open: boolean; cut: string | null } {
  const { words, cut } = shellWords(pieces);
  return { ...setOfWords(words, from), cut };
}

/** whenever's options that take the next word as their argument (bin/whenever's OptionParser). */
const OPTION_WITH_ARG = /^(?:-[iwcfukrx]|--(?:update-crontab|write-crontab|clear-crontab|load-file|user|cut|roles|crontab-command))$/;

/** whenever's `-s`/`--set` among its argument words (the last one given wins, as OptionParser keeps it), read as JobList#pre_set reads it. */
function setOfWords(words: Piece[][], from: Source): { set: PreSet; open: boolean } {
  let at = -1;
  words.forEach((w, i) => {
    const t = literal(w);
    if (t === "--set" || t === "-s" || (typeof w[0] === "string" && w[0].startsWith("--set="))) at = i;
  });
  // A flags word not known at all may hold a --set of its own, unless it is the argument of the
  // whenever option before it (`-u #{cron_user}`, `--update-crontab #{identifier}`).
  const open = words.some((w, i) => literal(w) === null && w.length === 1 && !(i > 0 && OPTION_WITH_ARG.test(literal(words[i - 1]!) ?? "")));
  if (at < 0) return { set: {}, open };
  const first = words[at]!;
  const word = literal(first) === "--set" || literal(first) === "-s" ? words[at + 1] ?? [] : [(first[0] as string).slice("--set=".length), ...first.slice(1)];
  const set: PreSet = {};
  let unnamed = false;
  // whenever's `set` keeps a pre-set variable's FIRST value (JobList#set returns when
  // @pre_set_variables has it). A piece not known may hold `&name=value` and so set a variable
  // before a known pair that comes after it, or hold a quote or a space and move that pair out of
  // the --set word: from the first such piece on, a known pair is not known to apply.
  let firstUnknown: string | null = null;
  const shown = (ps: Piece[]) => ps.map((p) => (typeof p === "string" ? p : isCap(p) ? `#{${p.cap}}` : `<${p.unknown}>`)).join("");
  for (const pair of splitPieces(word, "&")) {
    if (!pair.length) continue;
    const after = firstUnknown;
    if (firstUnknown === null && pair.some((p) => typeof p !== "string" && !isCap(p))) firstUnknown = shown(pair);
    const parts = splitPieces(pair, "=");
    if (parts.length < 2) {
      // no literal `=`: skipped by whenever, unless a piece not known holds one
      if (literal(pair) === null) unnamed = true;
      continue;
    }
    const name = literal(parts[0]!);
    if (name === null) {
      unnamed = true;
      continue;
    }
    // `variable, value = *pair.split('=')`: the value ends at the next `=`
    const value = parts[1]!;
    const text = literal(value);
    if (!name.trim() || text === "") continue;
    if (name.trim() in set) continue;
    if (after !== null) {
      set[name.trim()] = { unknown: `the deploy passes ${name.trim()}=${shown(value)} to whenever (${from.file}:${from.line}) after \`${after}\`, a piece not known statically: whenever keeps a variable's first value, and that piece may already have set ${name.trim()} (or, holding a quote or a space, moved this pair out of the --set word)` };
      continue;
    }
    // The release directory whenever ran in stays that reference: it is the image's app directory.
    const only = value.length === 1 && isCap(value[0]) ? value[0] : null;
    // Text around a piece not known stays (whenever pastes the value whole): `<rvm_path>/bin/rvm` still
    // reads as RVM's wrapper in a job's line, where the command's own rules can know it.
    const passed = (why: string) => ({ unknown: `the deploy passes ${name.trim()} to whenever (${from.file}:${from.line}) as ${shown(value)}${why}` });
    const mixed = value.some((p) => typeof p === "string" && p.trim() !== "");
    set[name.trim()] =
      text !== null ? text.trim() : only ?? (mixed ? { interp: value.map((p) => (typeof p === "string" || isCap(p) ? p : passed(`: ${p.unknown}`))) as RValue[] } : passed(""));
  }
  // Pairs the deploy passes that this reading cannot name may set any variable: whenever's own
  // defaults (`environment` production, `path` the release) are then not known to apply either.
  if (open || unnamed)
    for (const name of ["environment", "path"])
      if (!(name in set)) set[name] = { unknown: `the deploy passes whenever variables not known statically (${from.file}:${from.line}); whether they set ${name} is not known` };
  return { set, open: open || unnamed };
}
