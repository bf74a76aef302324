// Each kind of backing service an app may reach on its own machine (LocalAddress), in the words a
// message uses: the analyzers' hazards and the lines for an ENV read's default (env-default-addresses.ts)
// say it the same way.
import type { LocalAddress } from "../model.js";

/** The service a LocalAddress kind names, as a sentence says it. */
export const LOCAL_KIND_LABEL: Record<LocalAddress["kind"], string> = {
  redis: "Redis", memcached: "memcached", elasticsearch: "Elasticsearch", opensearch: "OpenSearch", postgresql: "PostgreSQL", mysql: "MySQL",
  rabbitmq: "RabbitMQ", solr: "Solr", mongodb: "MongoDB", sphinx: "Sphinx", smtp: "an SMTP server",
  local: "a local service",
};
