// Strings that reach a container's `command`, `args` or `env[].value`. The kubelet expands those
// before the process sees them: `$(NAME)` becomes the value of the container's env var NAME when one
// is defined, and `$$` becomes `$` (Kubernetes' third_party/forked/golang/expansion; the API
// reference for Container.args: "Double $$ are reduced to a single $, which allows for escaping the
// $(VAR_NAME) syntax"). A repo's `--banner '$(SECRET_KEY_BASE)'`, passed literally by the servers'
// shell, would put the secret's value in the pod's argv. So every `$` that the expansion reads as
// the start of `$$` or `$(` is doubled; any other `$` (`$HOME`, `$1`) is left as it is, which the
// expansion also leaves, so the process gets back exactly the repo's string.

/** `value` written so the kubelet's expansion gives back `value` itself. */
export const kubeletLiteral = (value: string): string => value.replace(/\$(?=[$(])/g, "$$$$");

/** What the kubelet gives the process for `written` when no env var is referenced: the inverse, for checks. */
export const kubeletUnescape = (written: string): string => written.replace(/\$\$/g, "$");
