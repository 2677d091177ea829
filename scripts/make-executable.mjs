// Marks built entry points executable, so that `npx ndis` can run dist/cli/main.js directly
// (tsc keeps the shebang but not the file mode).
import { chmodSync } from "node:fs";

for (const file of process.argv.slice(2)) chmodSync(file, 0o755);
