// Writes docs/verifier.md from the rule catalogue (npm run docs:verifier).
import { writeFileSync } from "node:fs";
import { verifierCatalogueMarkdown } from "../src/verifier/catalogue-doc.js";

writeFileSync(new URL("../docs/verifier.md", import.meta.url), verifierCatalogueMarkdown());
console.log("wrote docs/verifier.md");
