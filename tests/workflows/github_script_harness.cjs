// Runs an actions/github-script script against a recording fake of the GitHub REST API.
//
//   node github_script_harness.cjs SCRIPT_FILE SCENARIO_JSON
//
// github-script wraps the script in an async function whose parameters include
// `require`, `github` (an Octokit), `context` and `core`; the fakes below provide the
// parts our workflows use. The scenario JSON holds the repository state the fake API
// answers from (`comments`, `issues`, `labels`, `pulls` of the pushed commit, `artifacts`
// with each one's `zip_base64` content), the event `payload` and the commit `sha`. Prints
// {"calls": [...], "logs": [...], "outputs": {...}} on stdout; exits 1 if the script throws.
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

const repos = {
  async listPullRequestsAssociatedWithCommit(params) {
    record("repos.listPullRequestsAssociatedWithCommit", params);
    return { data: scenario.pulls || [] };
  },
};

const actions = {
  async listArtifactsForRepo(params) {
    record("actions.listArtifactsForRepo", params);
    // GitHub filters by exact name when one is given.
    const artifacts = (scenario.artifacts || [])
      .filter((a) => !params.name || a.name === params.name)
      .map(({ zip_base64, ...rest }) => rest);
    return { data: { total_count: artifacts.length, artifacts } };
  },
  async downloadArtifact(params) {
    record("actions.downloadArtifact", params);
    const found = (scenario.artifacts || []).find((a) => a.id === params.artifact_id);
    if (!found) throw httpError(404, "Not Found");
    const bytes = Buffer.from(found.zip_base64 || "", "base64");
    // Octokit answers a download with an ArrayBuffer.
    return { data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) };
  },
};

const github = {
  rest: { issues, repos, actions },
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
  sha: scenario.sha || "0000000000000000000000000000000000000000",
  payload: scenario.payload || {},
};

const outputs = {};
const core = {
  ...Object.fromEntries(
    ["debug", "info", "notice", "warning", "error", "setFailed"].map((level) => [
      level,
      (message) => logs.push({ level, message: String(message) }),
    ])
  ),
  setOutput(name, value) {
    outputs[name] = String(value);
  },
};

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;

(async () => {
  const fn = new AsyncFunction("require", "github", "context", "core", script);
  await fn(require, github, context, core);
  process.stdout.write(JSON.stringify({ calls, logs, outputs }));
})().catch((error) => {
  process.stderr.write(`script failed: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
