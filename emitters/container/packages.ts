// Gem → OS packages: the one table saying which native libraries a gem needs to build (build stage)
// and to run (final stage), for Debian (ruby:*-slim) and Alpine (ruby:*-alpine). Rows follow what
// each gem's extension links against; a row may depend on the locked version (precompiled gems).
import { versionAtLeast } from "./version.js";

export type Base = "slim" | "alpine";

export interface PackageSet {
  build: string[];
  runtime: string[];
}

interface Row {
  /** Gems that trigger the row (any of them locked). */
  gems: string[];
  /** Why the packages are needed, for the Dockerfile comment. */
  why: string;
  /** When given, the row applies only if this is true of the locked version. */
  when?: (version: string) => boolean;
  slim: PackageSet;
  alpine: PackageSet;
}

/** Always present: compilers for native extensions, git for git-sourced gems, jemalloc, time zones. */
export const BASE_PACKAGES: Record<Base, PackageSet> = {
  slim: { build: ["build-essential", "git", "pkg-config", "libyaml-dev"], runtime: ["libjemalloc2"] },
  alpine: { build: ["build-base", "git", "pkgconf", "yaml-dev"], runtime: ["jemalloc", "tzdata"] },
};

export const GEM_PACKAGES: Row[] = [
  {
    // The image runs Passenger Standalone (builtin engine): its agent is built or fetched in the
    // build stage (dockerfile.ts) and links libcurl, zlib and OpenSSL; curl brings libcurl at run time.
    gems: ["passenger"],
    why: "passenger's agent links libcurl, zlib and OpenSSL",
    slim: { build: ["libcurl4-openssl-dev", "zlib1g-dev", "libssl-dev"], runtime: ["curl"] },
    alpine: { build: ["curl-dev", "zlib-dev", "openssl-dev", "linux-headers"], runtime: ["libcurl"] },
  },
  {
    gems: ["mysql2"],
    why: "mysql2 links libmysqlclient; the client for db console",
    slim: { build: ["default-libmysqlclient-dev"], runtime: ["default-mysql-client"] },
    alpine: { build: ["mariadb-dev"], runtime: ["mariadb-connector-c", "mysql-client"] },
  },
  {
    gems: ["trilogy", "activerecord-trilogy-adapter"],
    why: "trilogy needs no client library; the client for db console",
    slim: { build: [], runtime: ["default-mysql-client"] },
    alpine: { build: [], runtime: ["mysql-client"] },
  },
  {
    gems: ["pg"],
    why: "pg links libpq; psql for db console",
    slim: { build: ["libpq-dev"], runtime: ["postgresql-client"] },
    alpine: { build: ["postgresql-dev"], runtime: ["postgresql-client"] },
  },
  {
    gems: ["sqlite3"],
    why: "sqlite3 links libsqlite3",
    slim: { build: ["libsqlite3-dev"], runtime: ["sqlite3"] },
    alpine: { build: ["sqlite-dev"], runtime: ["sqlite", "sqlite-libs"] },
  },
  {
    // Since 1.11 nokogiri ships precompiled for x86_64/aarch64 Linux (glibc and musl) with its own
    // libxml2; before that it compiled, and the Dockerfile tells it to use the system libraries.
    gems: ["nokogiri"],
    why: "nokogiri before 1.11 compiles against libxml2/libxslt",
    when: (v) => !versionAtLeast(v, "1.11.0"),
    slim: { build: ["libxml2-dev", "libxslt1-dev"], runtime: ["libxml2", "libxslt1.1"] },
    alpine: { build: ["libxml2-dev", "libxslt-dev"], runtime: ["libxml2", "libxslt"] },
  },
  {
    gems: ["ruby-vips", "image_processing"],
    why: "ruby-vips loads libvips at run time",
    slim: { build: [], runtime: ["libvips"] },
    alpine: { build: [], runtime: ["vips"] },
  },
  {
    gems: ["mini_magick", "paperclip"],
    why: "mini_magick/paperclip shell out to ImageMagick (paperclip also to `file`)",
    slim: { build: [], runtime: ["imagemagick", "file"] },
    alpine: { build: [], runtime: ["imagemagick", "file"] },
  },
  {
    gems: ["rmagick"],
    why: "rmagick links MagickWand",
    slim: { build: ["libmagickwand-dev"], runtime: ["imagemagick"] },
    alpine: { build: ["imagemagick-dev"], runtime: ["imagemagick"] },
  },
  {
    gems: ["ffi"],
    why: "ffi links libffi",
    slim: { build: ["libffi-dev"], runtime: [] },
    alpine: { build: ["libffi-dev"], runtime: ["libffi"] },
  },
  {
    // psych 5 dropped its bundled copy of libyaml (the base set has the headers; this row is the reason).
    gems: ["psych"],
    why: "psych 5+ compiles against the system libyaml",
    when: (v) => versionAtLeast(v, "5.0.0"),
    slim: { build: ["libyaml-dev"], runtime: [] },
    alpine: { build: ["yaml-dev"], runtime: ["yaml"] },
  },
  {
    gems: ["curb"],
    why: "curb links libcurl",
    slim: { build: ["libcurl4-openssl-dev"], runtime: ["libcurl4"] },
    alpine: { build: ["curl-dev"], runtime: ["libcurl"] },
  },
  {
    gems: ["rgeo", "activerecord-postgis-adapter"],
    why: "rgeo links GEOS and PROJ",
    slim: { build: ["libgeos-dev", "libproj-dev"], runtime: ["libgeos-c1v5"] },
    alpine: { build: ["geos-dev", "proj-dev"], runtime: ["geos", "proj"] },
  },
  {
    gems: ["wkhtmltopdf-binary", "wicked_pdf", "pdfkit"],
    why: "wkhtmltopdf needs X fonts libraries",
    slim: { build: [], runtime: ["libxrender1", "libfontconfig1", "libxext6"] },
    alpine: { build: [], runtime: ["libxrender", "fontconfig", "libxext"] },
  },
];

/** database.yml adapters → the gem that implements them (the gem may be missing from the lock). */
export const ADAPTER_GEMS: Record<string, string> = {
  mysql2: "mysql2",
  trilogy: "trilogy",
  postgresql: "pg",
  postgis: "pg",
  sqlite3: "sqlite3",
};

export interface ChosenPackages extends PackageSet {
  /** Each gem row applied: gem (version) → why. */
  reasons: { gem: string; why: string }[];
}

/** The packages for the locked gems (name → version) on a base. */
export function packagesFor(gems: Record<string, string>, base: Base): ChosenPackages {
  const build = [...BASE_PACKAGES[base].build];
  const runtime = [...BASE_PACKAGES[base].runtime];
  const reasons: { gem: string; why: string }[] = [];
  for (const row of GEM_PACKAGES) {
    const gem = row.gems.find((g) => g in gems && (!row.when || row.when(gems[g]!)));
    if (!gem) continue;
    build.push(...row[base].build);
    runtime.push(...row[base].runtime);
    reasons.push({ gem, why: row.why });
  }
  return { build: [...new Set(build)], runtime: [...new Set(runtime)], reasons };
}
