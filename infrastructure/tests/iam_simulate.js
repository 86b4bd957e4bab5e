// Evaluates IAM requests with @cloud-copilot/iam-simulate (AWS's policy evaluation logic: Action,
// NotAction, Resource and NotResource wildcards, every condition operator, explicit deny first;
// it also refuses an action IAM does not have, or a resource ARN that is no resource type of the
// action). `make tools` installs it into target/tools/iam-simulate (dev/tools.sh).
//
// stdin: a JSON array of simulations (iam-simulate's `Simulation`); stdout: a JSON array, one
// {result, errors, statements} per simulation, in order. Used by test_iam_evaluation.py.
"use strict";
const path = require("path");
const tools = path.resolve(__dirname, "../../target/tools/iam-simulate");
const { runSimulation } = require(require.resolve("@cloud-copilot/iam-simulate", { paths: [tools] }));

async function main() {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const answers = [];
  for (const simulation of JSON.parse(input)) {
    const outcome = await runSimulation(simulation, { simulationMode: "Strict" });
    if (outcome.resultType === "error") {
      answers.push({ result: "Error", errors: outcome.errors });
    } else {
      answers.push({ result: outcome.overallResult, errors: null });
    }
  }
  process.stdout.write(JSON.stringify(answers));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
