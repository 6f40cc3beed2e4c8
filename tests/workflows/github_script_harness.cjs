// Runs an actions/github-script script against a recording fake of the GitHub REST API.
//
//   node github_script_harness.cjs SCRIPT_FILE SCENARIO_JSON
//
// github-script wraps the script in an async function whose parameters include
// `require`, `github` (an Octokit), `context` and `core`; the fakes below provide the
// parts our workflows use. The scenario JSON holds the repository state the fake API
// answers from (`comments`, `issues`, `labels`) and the event `payload`. Prints
// {"calls": [...], "logs": [...]} on stdout; exits 1 if the script throws.
"use strict";
const fs = require("node:fs");

const [scriptFile, scenarioFile] = process.argv.slice(2);
const script = fs.readFileSync(scriptFile, "utf8");
const scenario = JSON.parse(fs.readFileSync(scenarioFile, "utf8"));

const calls = [];
const logs = [];
const record = (method, params) => calls.push({ method, params });

function httpError(status, message) {
  const error = new Error(message);
  error.status = status;
  return error;
}

const issues = {
  async listComments(params) {
    record("issues.listComments", params);
    return { data: scenario.comments || [] };
  },
  async createComment(params) {
    record("issues.createComment", params);
    return { data: { id: 900001, body: params.body } };
  },
  async updateComment(params) {
    record("issues.updateComment", params);
    return { data: { id: params.comment_id, body: params.body } };
  },
  async listForRepo(params) {
    record("issues.listForRepo", params);
    const wanted = (params.labels || "").split(",").filter(Boolean);
    const data = (scenario.issues || []).filter(
      (i) =>
        (params.state === "all" || (i.state || "open") === params.state) &&
        wanted.every((l) => (i.labels || []).some((x) => (x.name || x) === l))
    );
    return { data };
  },
  async create(params) {
    record("issues.create", params);
    return { data: { number: 5001, ...params } };
  },
  async update(params) {
    record("issues.update", params);
    return { data: { ...params } };
  },
  async getLabel(params) {
    record("issues.getLabel", params);
    if (scenario.labelError) throw httpError(scenario.labelError, "label lookup failed");
    if ((scenario.labels || []).includes(params.name)) return { data: { name: params.name } };
    throw httpError(404, "Not Found");
  },
  async createLabel(params) {
    record("issues.createLabel", params);
    return { data: { ...params } };
  },
};

const github = {
  rest: { issues },
  // Octokit's paginate(method, params) resolves to every item of every page.
  async paginate(method, params) {
    const { data } = await method(params);
    return data;
  },
};

const context = {
  repo: { owner: "acme", repo: "genesys-config" },
  serverUrl: "https://github.com",
  runId: 4242,
  payload: scenario.payload || {},
};

const core = Object.fromEntries(
  ["debug", "info", "notice", "warning", "error", "setFailed"].map((level) => [
    level,
    (message) => logs.push({ level, message: String(message) }),
  ])
);

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;

(async () => {
  const fn = new AsyncFunction("require", "github", "context", "core", script);
  await fn(require, github, context, core);
  process.stdout.write(JSON.stringify({ calls, logs }));
})().catch((error) => {
  process.stderr.write(`script failed: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
