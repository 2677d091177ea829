// Writes docs/stack-file.schema.json from the zod schema (npm run schema); a test checks it.
import { writeFileSync } from "node:fs";
import { stackFileJsonSchema } from "../src/stack/index.js";

writeFileSync(
  new URL("../docs/stack-file.schema.json", import.meta.url),
  `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`,
);
