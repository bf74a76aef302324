// Gaps of the container family: what the image needs and the repo does not decide. Defaults come
// from the emitter's own rules (emitters/container/rules.ts), with the reason.
import type { Gap } from "../model.js";
import type { ModelForGaps } from "./index.js";
import {
  BASE_ANSWER,
  bundlerCredentialEnv,
  defaultNodeVersion,
  rubyTag,
  DEFAULT_RUBY_VERSION,
  NODE_VERSION_ANSWER,
  PRIVATE_GEMS_SSH_ANSWER,
  privateSources,
  RUBY_VERSION_ANSWER,
  SIDECAR_ANSWER,
  sidecarDefault,
  BODY_SIZE_ANSWER,
  unresolvedBodySize,
} from "../../emitters/container/rules.js";

export function containerGaps(model: ModelForGaps): Gap[] {
  const gaps: Gap[] = [];
  gaps.push({
    id: BASE_ANSWER,
    question: "Which base image family for the app image?",
    why: "slim (Debian, glibc) is what the Rails generator uses and what precompiled gems target; alpine (musl) is smaller but some native gems must compile",
    default: "slim",
    choices: ["slim", "alpine"],
  });

  const side = sidecarDefault(model);
  gaps.push({
    id: SIDECAR_ANSWER,
    question: "Keep nginx as a sidecar in the web pod (true), or let the edge replace it (false)?",
    why: `Default ${side.keep}: ${side.why}`,
    default: side.keep,
    ...(side.source ? { source: side.source } : {}),
  });

  // The upload limit matters: a value the analysis does not know is asked, never written as found.
  const bodySize = side.keep ? unresolvedBodySize(model) : null;
  if (bodySize)
    gaps.push({
      id: BODY_SIZE_ANSWER,
      question: "Largest request body the nginx sidecar accepts (client_max_body_size, e.g. 20M)?",
      why: `the app's nginx template sets it with ERB that cannot be evaluated here (${bodySize.text}); 1m is nginx's own default, which refuses larger uploads`,
      default: "1m",
      format: "nginx-size",
      source: bodySize.source,
    });

  // A Ruby that is not MRI is refused by the image emitter: no MRI version to ask for.
  if (!model.rails.rubyVersion && !model.rails.rubyEngine)
    gaps.push({
      id: RUBY_VERSION_ANSWER,
      question: "Which Ruby version should the image use?",
      why: "neither .ruby-version nor the RUBY VERSION section of Gemfile.lock names one, nor does the deploy (rbenv_ruby, rvm_ruby_version, rvm_ruby_string, chruby_ruby)",
      default: DEFAULT_RUBY_VERSION,
      format: "version",
    });

  if (model.rails.assets.needsNode.value && !model.rails.assets.frontend?.nodeVersion)
    gaps.push({
      id: NODE_VERSION_ANSWER,
      question: "Which Node.js major version builds the assets?",
      why: "the asset build needs Node and the repo does not pin its version for the image",
      default: defaultNodeVersion(model.rails.rubyVersion ? rubyTag(model.rails.rubyVersion.value) : null),
      format: "version",
      source: model.rails.assets.needsNode.source,
    });

  const ssh = privateSources(model).filter((s) => s.kind === "ssh");
  if (ssh.length) {
    const hosts = [...new Set(ssh.map((s) => s.where))];
    gaps.push({
      id: PRIVATE_GEMS_SSH_ANSWER,
      question: `Fetch the private gems from ${hosts.join(", ")} over SSH with the builder's agent (true), or over HTTPS with a token build secret (false)?`,
      why: `Gemfile points at ${ssh.map((s) => s.fact.value).join(", ")}; SSH needs \`docker build --ssh default\`, HTTPS a secret ${hosts.map(bundlerCredentialEnv).join(", ")}; neither enters an image layer`,
      default: true,
      source: ssh[0]!.fact.source,
    });
  }
  return gaps;
}
