// Test helper: parse a Dockerfile with dockerfile-ast and lint it with dockerfile-utils' validator.
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";

export interface Parsed {
  instructions: { keyword: string; args: string; flags: string[] }[];
  /** FROM images per stage, in order, with their stage names. */
  stages: { image: string; name: string | null }[];
  problems: { severity: number; message: string; line: number }[];
}

export function lintDockerfile(content: string): Parsed {
  const df = DockerfileParser.parse(content);
  const instructions = df.getInstructions().map((i) => ({
    keyword: i.getKeyword(),
    args: i.getArgumentsContent() ?? "",
    flags: "getFlags" in i && typeof (i as { getFlags?: unknown }).getFlags === "function" ? (i as unknown as { getFlags(): { toString(): string }[] }).getFlags().map((f) => f.toString()) : [],
  }));
  const stages = df.getFROMs().map((f) => ({ image: f.getImage() ?? "", name: f.getBuildStage() ?? null }));
  const problems = validate(content).map((d) => ({ severity: d.severity ?? 0, message: typeof d.message === "string" ? d.message : d.message.value, line: d.range.start.line + 1 }));
  return { instructions, stages, problems };
}
