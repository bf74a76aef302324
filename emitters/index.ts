// Every emitter, in the order their files appear in the review. Each is pure: (model, answers) →
// files; the migration guide comes last because it cites what the others produced.
import type { Emitter } from "../src/model.js";
import { emitContainer } from "./container/index.js";
import { emitKustomize } from "./kustomize/index.js";
import { emitRailsConfig } from "./rails-config/index.js";
import { emitRelease } from "./release/index.js";

export const EMITTERS: { name: string; emit: Emitter }[] = [
  { name: "container", emit: emitContainer },
  { name: "kustomize", emit: emitKustomize },
  { name: "rails-config", emit: emitRailsConfig },
  { name: "release", emit: emitRelease },
];
